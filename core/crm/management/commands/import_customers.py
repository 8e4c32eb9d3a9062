"""``manage.py import_customers FILE [--dry-run]``: import customers from a CSV file (core.crm.imports)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.actors import Actor, Channel
from core.crm.imports import COLUMNS, ImportReport, RowResult, customers_import
from core.errors import DomainError

BAR = 30


class Command(BaseCommand):
    help = ("Import customers with their properties and dependents from a CSV file (UTF-8, header row; columns: "
            + ", ".join(COLUMNS) + "). Rows repeating a customer (same e-mail or mobile) add further properties "
            "and dependents. All rows or none; a re-run matches customers by e-mail or mobile. A dry run reports "
            "each row.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true",
                            help="Check every row and say what each would do; write nothing.")

    def _progress(self, done: int, total: int) -> None:
        filled = BAR * done // total
        self.stderr.write(f"\rchecking [{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}",
                          ending="\n" if done == total else "")
        self.stderr.flush()

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.")
        try:
            report = customers_import(actor=Actor.system(), channel=Channel.SYSTEM, file=data, dry_run=dry_run,
                                      progress=self._progress)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        self._report(report)
        if report.errors:
            raise CommandError(f"{len(report.errors)} rows refused; nothing was imported.")

    def _report(self, report: ImportReport) -> None:
        for error in report.errors:
            where = f" {error.column}" if error.column else ""
            self.stdout.write(f"row {error.row}{where}: {error.code}: {error.message}")
        verb = "would be" if report.dry_run else "were"
        summary = (f"{report.rows} rows: {report.created} customers {verb} created, {report.updated} updated, "
                   f"{report.unchanged} unchanged; {report.properties_added} properties and "
                   f"{report.dependents_added} dependents {verb} added.")
        if report.errors:
            return
        if report.dry_run:
            for result in report.results:
                self.stdout.write(f"row {result.row}: {_describe(result)}")
            self.stdout.write(self.style.WARNING("Dry run, nothing written. " + summary))
        else:
            self.stdout.write(self.style.SUCCESS(summary))


def _describe(result: RowResult) -> str:
    if result.customer == "repeated":
        parts = [f"the customer of row {result.customer_row}"]
    else:
        parts = [{"created": "new customer", "updated": "customer updated",
                  "unchanged": "customer unchanged"}[result.customer]]
    for what, outcome in (("property", result.property), ("dependent", result.dependent)):
        if outcome:
            parts.append(f"{what} {'added' if outcome == 'added' else 'exists already'}")
    return ", ".join(parts)
