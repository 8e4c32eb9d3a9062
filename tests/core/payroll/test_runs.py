"""Payroll runs: draft -> finalised -> paid, a statement per fieldworker (bookings, amounts,
adjustments), the CSV and the PDF, the command; an entry is paid in one run only."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from core.actors import Actor, Channel
from core.payroll import services as pay
from core.payroll import statements
from core.payroll.models import PayEntry, PayrollEvent, PayrollRun, PayrollRunItem, PayrollStatement, RunStatus
from core.payroll.selectors import today, visible_runs, visible_statements
from core.pdf import build_document, read_document_token
from tests import factories
from tests.core.sales.support import pdf_text

from .support import agreement, db_state, staffed_booking, this_period

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def staff():
    return factories.staff_actor()


@pytest.fixture
def paid_work(staff):
    """Two fieldworkers: A alone on one booking (fixed 80) and with B on another (commission 10% of
    a 200.00 line, split), and an adjustment of A's."""
    a, b = factories.fieldworker(name="Alice Able"), factories.fieldworker(name="Bob Baker")
    svc = factories.service(price=Decimal("200"), tax_rate=Decimal("0"))
    agreement(a, "fixed", fixed="80")
    agreement(b, "commission", rates=[(svc, None, "10")])
    alone = staffed_booking([a])
    together = staffed_booking([b, a], lines=[(svc, "1")])
    pay.booking_pay_adjust(actor=staff, channel=G, booking_id=alone.pk, fieldworker_id=a.pk, amount="12.50",
                           reason="=Parking (receipt)")
    return a, b, alone, together


def refused(call, code: str, field: str | None = None):
    before = db_state()
    with pytest.raises(Exception) as caught:
        call()
    assert getattr(caught.value, "code", None) == code, caught.value
    assert field is None or caught.value.field == field
    assert db_state() == before


def test_a_run_has_a_statement_per_fieldworker_with_bookings_amounts_and_adjustments(staff, paid_work):
    a, b, _alone, _together = paid_work
    start, end = this_period()
    run = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    assert run.status == RunStatus.DRAFT
    got = {row.fieldworker_id: row for row in run.statements.all()}
    # A: 80 fixed on one booking, 80 fixed (split with B: 40) on the other, +12.50
    assert (got[a.pk].bookings, got[a.pk].earned, got[a.pk].adjustments, got[a.pk].total) == (
        2, Decimal("120.00"), Decimal("12.50"), Decimal("132.50"))
    # B: 10% of 200 = 20, split in two: 10
    assert (got[b.pk].bookings, got[b.pk].earned, got[b.pk].total) == (1, Decimal("10.00"), Decimal("10.00"))
    assert run.total == Decimal("142.50") == sum(row.total for row in got.values())
    assert PayrollRunItem.objects.filter(run=run).count() == PayEntry.objects.count() == 4


def test_the_life_of_a_run_and_every_illegal_move(staff, paid_work):
    start, end = this_period()
    run = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    refused(lambda: pay.payroll_run_mark_paid(actor=staff, channel=G, run_id=run.pk), "run_not_finalised", "id")
    run = pay.payroll_run_finalise(actor=staff, channel=G, run_id=run.pk)
    assert (run.status, run.finalised_by) == (RunStatus.FINALISED, staff.user)
    refused(lambda: pay.payroll_run_finalise(actor=staff, channel=G, run_id=run.pk), "run_not_draft", "id")
    refused(lambda: pay.payroll_run_delete(actor=staff, channel=G, run_id=run.pk), "run_not_draft", "id")
    run = pay.payroll_run_mark_paid(actor=staff, channel=G, run_id=run.pk, reference="BATCH-7")
    assert (run.status, run.paid_by, run.payment_reference) == (RunStatus.PAID, staff.user, "BATCH-7")
    refused(lambda: pay.payroll_run_mark_paid(actor=staff, channel=G, run_id=run.pk), "run_not_finalised", "id")
    refused(lambda: pay.payroll_run_finalise(actor=Actor.for_fieldworker(paid_work[0]), channel=G, run_id=run.pk),
            "forbidden")
    assert list(PayrollEvent.objects.filter(run_id=run.pk).values_list("action", flat=True)) == [
        "created", "finalised", "paid"]


def test_pay_in_a_run_is_never_paid_again(staff, paid_work):
    a, _b, alone, _together = paid_work
    start, end = this_period()
    first = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    refused(lambda: pay.payroll_run_create(actor=staff, channel=G, period_start=end, period_end=end + timedelta(days=6)),
            "run_overlap", "periodStart")
    # an adjustment made later is earned later: the next period's run pays it, and only it
    later = pay.booking_pay_adjust(actor=staff, channel=G, booking_id=alone.pk, fieldworker_id=a.pk, amount="3",
                                   reason="Fuel")
    PayEntry.objects.filter(pk=later.pk).update(earned_on=end + timedelta(days=1))
    second = pay.payroll_run_create(actor=staff, channel=G, period_start=end + timedelta(days=1),
                                    period_end=end + timedelta(days=7))
    assert list(second.items.values_list("entry_id", flat=True)) == [later.pk]
    assert second.total == Decimal("3.00")
    # the database itself refuses an entry in a second run
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollRunItem.objects.create(run=second, statement=second.statements.get(),
                                      entry=first.items.first().entry)
    assert PayrollRunItem.objects.count() == 5


def test_deleting_a_draft_frees_its_pay_for_the_next_run(staff, paid_work):
    start, end = this_period()
    run = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    pay.payroll_run_delete(actor=staff, channel=G, run_id=run.pk)
    assert not PayrollRun.objects.exists() and not PayrollStatement.objects.exists()
    again = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    assert again.items.count() == 4 and again.total == Decimal("142.50")


def test_run_refusals_change_nothing(staff):
    refused(lambda: pay.payroll_run_create(actor=staff, channel=G, period_start=date(2026, 2, 1),
                                           period_end=date(2026, 1, 1)), "end_before_start", "periodEnd")
    refused(lambda: pay.payroll_run_create(actor=staff, channel=G, period_start=date(2025, 1, 1),
                                           period_end=date(2026, 1, 31)), "out_of_range", "periodEnd")
    refused(lambda: pay.payroll_run_create(actor=staff, channel=G, period_start=date(1999, 1, 1),
                                           period_end=date(2026, 1, 31)), "invalid_date", "periodStart")
    refused(lambda: pay.payroll_run_finalise(actor=staff, channel=G, run_id=987654), "not_found", "id")
    refused(lambda: pay.payroll_run_create(actor=Actor.anonymous(), channel=G, period_start=date(2026, 1, 1),
                                           period_end=date(2026, 1, 31)), "unauthenticated")
    assert not PayrollRun.objects.exists()


def test_the_csv_has_a_row_per_entry_and_totals_and_never_starts_a_formula(staff, paid_work):
    a, b, _alone, _together = paid_work
    start, end = this_period()
    run = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    rows = list(csv.reader(io.StringIO(statements.run_csv(run))))
    assert rows[0] == statements.CSV_HEADER
    body = [row for row in rows[1:] if row[4] in ("line", "booking", "adjustment")]
    assert len(body) == 4
    assert sum(Decimal(row[6]) for row in body) == run.total
    adjustment = next(row for row in body if row[4] == "adjustment")
    assert adjustment[5] == "Adjustment: =Parking (receipt)"  # not at the start of the cell: harmless
    totals = {row[1]: Decimal(row[6]) for row in rows if row[4] == "total"}
    assert totals == {str(a.pk): Decimal("132.50"), str(b.pk): Decimal("10.00")}
    assert rows[-1][4:] == ["run_total", f"{start} to {end}", "142.50"]
    assert statements._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and statements._cell("-5.00") == "-5.00"


def test_the_statement_pdf_prints_the_bookings_adjustments_and_total(staff, paid_work):
    a, _b, alone, together = paid_work
    start, end = this_period()
    run = pay.payroll_run_create(actor=staff, channel=G, period_start=start, period_end=end)
    statement = run.statements.get(fieldworker=a)
    url = statements.download_url(staff, statement)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    kind, pk, check = read_document_token(token)
    document = build_document(kind, pk, check)
    text = pdf_text(document.render())
    assert "DRAFT Pay statement" in text and "Alice Able" in text
    assert f"#{alone.number}" in text and f"#{together.number}" in text
    assert "Adjustment: =Parking (receipt)" in text
    assert "Total AUD 132.50" in text
    assert "share 2 of 2" in text  # A accepted the shared job second
    # a fieldworker's link only to their own statement, once the run is final
    assert statements.download_url(Actor.for_fieldworker(a), statement) is None
    pay.payroll_run_finalise(actor=staff, channel=G, run_id=run.pk)
    statement.refresh_from_db()  # with its run read again
    assert statements.download_url(Actor.for_fieldworker(a), statement) is not None
    other = run.statements.exclude(fieldworker=a).get()
    assert statements.download_url(Actor.for_fieldworker(a), other) is None
    assert set(visible_statements(Actor.for_fieldworker(a))) == {statement}
    assert not visible_runs(Actor.for_fieldworker(a)).exists()


def test_the_payroll_run_command_prints_progress_and_makes_a_draft(paid_work, capsys):
    start, end = this_period()
    call_command("payroll_run", "--from", start.isoformat(), "--to", end.isoformat(), "--finalise")
    out = capsys.readouterr().out
    assert "[1/2] Alice Able: 2 bookings, adjustments 12.50, total 132.50" in out
    assert "[2/2] Bob Baker: 1 bookings, adjustments 0.00, total 10.00" in out
    run = PayrollRun.objects.get()
    assert f"Payroll run {run.pk} (finalised)" in out and run.status == RunStatus.FINALISED
    assert PayrollEvent.objects.get(run_id=run.pk, action="created").actor_kind == "system"
    before = db_state()
    with pytest.raises(CommandError, match="run_overlap"):
        call_command("payroll_run", "--from", start.isoformat(), "--to", end.isoformat())
    with pytest.raises(CommandError, match="not a date"):
        call_command("payroll_run", "--from", "yesterday", "--to", end.isoformat())
    assert db_state() == before
    assert today() >= start
