"""What a statement shows (its bookings, amounts and adjustments), its PDF (``pdf/payroll_statement.html``,
a ``core.pdf.DOCUMENTS`` kind) and a run's CSV export. Every figure is read from the stored entries,
so the PDF, the CSV and the database add the same cents."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.actors import Actor
from core.company.selectors import default_trading_name, get_company
from core.money import ZERO
from core.pdf import Document, document_path, document_url, image_data_uri

from .models import EntryKind, PayEntry, PayrollRun, PayrollStatement, RunStatus


@dataclass
class BookingRow:
    booking_id: int
    number: int
    day: object
    entries: list[PayEntry] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((entry.amount for entry in self.entries), ZERO)


def entries_of(statement: PayrollStatement) -> list[PayEntry]:
    return list(PayEntry.objects.filter(run_item__statement=statement)
                .select_related("booking", "line").order_by("earned_on", "booking_id", "kind", "id"))


def breakdown(entries: list[PayEntry]) -> tuple[list[BookingRow], list[PayEntry]]:
    rows: dict[int, BookingRow] = {}
    adjustments: list[PayEntry] = []
    for entry in entries:
        if entry.kind == EntryKind.ADJUSTMENT:
            adjustments.append(entry)
            continue
        row = rows.setdefault(entry.booking_id, BookingRow(entry.booking_id, entry.booking.number, entry.earned_on))
        row.entries.append(entry)
    return list(rows.values()), adjustments


def describe(entry: PayEntry) -> str:
    if entry.kind == EntryKind.ADJUSTMENT:
        return f"Adjustment: {entry.reason}"
    what = entry.line.description if entry.line_id else "Booking"
    split = f", share {entry.share} of {entry.shares}" if entry.shares > 1 else ""
    return f"{what} ({entry.rate}{split})"


def context_for(statement: PayrollStatement) -> dict:
    entries = entries_of(statement)
    bookings, adjustments = breakdown(entries)
    company = get_company()
    trading_name = default_trading_name()
    return {
        "company": company,
        "trading_name": trading_name,
        "logo": image_data_uri(trading_name.logo) if trading_name else "",
        "currency": company.currency,
        "run": statement.run,
        "statement": statement,
        "fieldworker": statement.fieldworker,
        "bookings": [{"row": row, "lines": [{"entry": entry, "text": describe(entry)} for entry in row.entries]}
                     for row in bookings],
        "adjustments": [{"entry": entry, "text": describe(entry)} for entry in adjustments],
        "printed_at": timezone.now().astimezone(company.tz).strftime("%d %b %Y %H:%M"),
    }


def _statements():
    return PayrollStatement.objects.select_related("run", "fieldworker")


def statement_document(statement: PayrollStatement) -> Document:
    return Document(filename=f"pay-statement-{statement.run_id}-{statement.fieldworker_id}.pdf",
                    template="pdf/payroll_statement.html", context=context_for(statement))


def build(pk: int, check: str) -> Document | None:
    """For ``core.pdf.DOCUMENTS``: the statement a link names while its run still exists unchanged."""
    statement = _statements().filter(pk=pk).first()
    if statement is None or _check(statement) != check:
        return None
    return statement_document(statement)


def _check(statement: PayrollStatement) -> str:
    return f"{statement.run_id}:{statement.fieldworker_id}:{statement.total}"


def may_download(actor: Actor, statement: PayrollStatement) -> bool:
    """What ``visible_statements`` says of one statement, read from the row and its run (no query
    when the run is loaded with it)."""
    if actor.is_staff or actor.is_system:
        return True
    return (actor.is_fieldworker and statement.fieldworker_id == actor.fieldworker_id
            and statement.run.status in (RunStatus.FINALISED, RunStatus.PAID))


def download_url(actor: Actor, statement: PayrollStatement) -> str | None:
    if not may_download(actor, statement):
        return None
    return document_url("payroll_statement", statement.pk, _check(statement))


def download_path(statement: PayrollStatement) -> str:
    return document_path("payroll_statement", statement.pk, _check(statement))


# --- CSV ----------------------------------------------------------------------------------------

CSV_HEADER = ["fieldworker", "fieldworker_id", "booking", "earned_on", "kind", "description", "amount"]


def _cell(value: object) -> str:
    """A spreadsheet never runs a cell: text that starts like a formula is quoted with '."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except Exception:
        return False
    return True


def run_csv(run: PayrollRun) -> str:
    """One row per entry, then one total row per statement and the run's total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    statements = list(run.statements.select_related("fieldworker").order_by("fieldworker__name", "id"))
    entries = (PayEntry.objects.filter(run_item__run=run).select_related("booking", "line", "fieldworker")
               .order_by("fieldworker__name", "fieldworker_id", "earned_on", "booking_id", "kind", "id"))
    for entry in entries:
        writer.writerow([_cell(entry.fieldworker.name), entry.fieldworker_id, entry.booking.number,
                         entry.earned_on.isoformat(), entry.kind, _cell(describe(entry)), entry.amount])
    for statement in statements:
        writer.writerow([_cell(statement.fieldworker.name), statement.fieldworker_id, "", "", "total",
                         f"{statement.bookings} bookings, adjustments {statement.adjustments}", statement.total])
    writer.writerow(["", "", "", "", "run_total", f"{run.period_start} to {run.period_end}", run.total])
    return out.getvalue()
