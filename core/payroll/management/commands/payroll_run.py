"""Make a draft payroll run of a period from the command line, printing a line per statement."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.actors import Actor, Channel
from core.errors import DomainError
from core.payroll import services
from core.payroll.models import PayrollStatement


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).")


class Command(BaseCommand):
    help = "Make a draft payroll run of the pay earned from --from to --to (inclusive), a statement per fieldworker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--notes", default="")
        parser.add_argument("--finalise", action="store_true", help="Finalise the run once made.")

    def handle(self, *args, **options) -> None:
        start, end = _day(options["start"]), _day(options["end"])

        def progress(done: int, count: int, statement: PayrollStatement) -> None:
            self.stdout.write(f"[{done}/{count}] {statement.fieldworker.name}: {statement.bookings} bookings, "
                              f"adjustments {statement.adjustments}, total {statement.total}")

        actor = Actor.system()
        try:
            run = services.payroll_run_create(actor=actor, channel=Channel.SYSTEM, period_start=start,
                                              period_end=end, notes=options["notes"], progress=progress)
            if options["finalise"]:
                run = services.payroll_run_finalise(actor=actor, channel=Channel.SYSTEM, run_id=run.pk)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        self.stdout.write(self.style.SUCCESS(
            f"Payroll run {run.pk} ({run.status}) {run.period_start} to {run.period_end}: "
            f"{run.statements.count()} statements, total {run.total}."))
