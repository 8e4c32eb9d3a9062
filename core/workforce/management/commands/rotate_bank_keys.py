"""Re-encrypt every fieldworker's bank details under the first key of FIELDOPS_BANK_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.workforce.bank import rotate


class Command(BaseCommand):
    help = ("Re-encrypt all stored bank details with the newest key (the first of FIELDOPS_BANK_KEYS). "
            "Afterwards the old keys may be removed from the list.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=200, help="Rows locked and rewritten per transaction.")

    def handle(self, *args, **options) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"[{done}/{total}] re-encrypted")

        try:
            count = rotate(batch=max(1, options["batch"]), progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{count} bank details re-encrypted with the newest key."))
