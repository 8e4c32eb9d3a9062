"""Payment agreements and the pay of a booking: computed at completion by the agreement in force,
split among the fieldworkers on the job with the remainder cents rule, adjusted with a reason and
audited; refusals change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.errors import DomainError
from core.payroll import services as pay
from core.payroll.events import PayrollChanged
from core.payroll.models import EntryKind, PayEntry, PaymentAgreement, PayrollEvent
from core.payroll.selectors import today, visible_agreements, visible_entries
from tests import factories

from .support import agreement, db_state, staffed_booking

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def staff():
    return factories.staff_actor()


def refused(call, code: str, field: str | None = None) -> DomainError:
    before = db_state()
    with pytest.raises(DomainError) as caught:
        call()
    after = db_state()
    assert caught.value.code == code, caught.value.message
    assert field is None or caught.value.field == field, caught.value.field
    assert after == before
    return caught.value


def entries(booking) -> list[tuple[int, str, Decimal]]:
    return list(PayEntry.objects.filter(booking=booking).order_by("fieldworker_id", "kind", "line_id")
                .values_list("fieldworker_id", "kind", "amount"))


def test_a_commission_is_a_percent_of_the_line_total_rounded_half_up():
    fw = factories.fieldworker()
    svc = factories.service(price=Decimal("99.95"), tax_rate=Decimal("10"))
    agreement(fw, "commission", rates=[(svc, None, "12.5")])
    booking = staffed_booking([fw], lines=[(svc, "1")])
    entry = PayEntry.objects.get(booking=booking)
    line = booking.lines.get()
    assert line.total == Decimal("109.95")
    # 12.5% of 109.95 = 13.74375 -> 13.74
    assert (entry.kind, entry.gross, entry.amount, entry.rate) == (EntryKind.LINE, Decimal("13.74"),
                                                                   Decimal("13.74"), "12.5%")
    assert entry.earned_on == today()
    assert entry.agreement.fieldworker_id == fw.pk


def test_an_amount_per_service_is_paid_per_unit_and_lines_without_a_rate_pay_nothing():
    fw = factories.fieldworker()
    paid, unpaid = factories.service(), factories.service()
    agreement(fw, "per_service", rates=[(paid, "15.50", None)])
    booking = staffed_booking([fw], lines=[(paid, "3"), (unpaid, "1")])
    assert entries(booking) == [(fw.pk, "line", Decimal("46.50"))]


def test_a_fixed_agreement_pays_per_booking_whatever_its_lines():
    fw = factories.fieldworker()
    agreement(fw, "fixed", fixed="80")
    booking = staffed_booking([fw], lines=[(factories.service(), "2"), (factories.service(), "1")])
    assert entries(booking) == [(fw.pk, "booking", Decimal("80.00"))]


def test_pay_is_split_among_the_fieldworkers_and_the_spare_cents_go_to_the_first_to_accept():
    workers = [factories.fieldworker() for _ in range(3)]
    for fw in workers:
        agreement(fw, "fixed", fixed="100")
    booking = staffed_booking(workers)
    rows = PayEntry.objects.filter(booking=booking).order_by("share")
    assert [(row.fieldworker_id, row.share, row.shares, row.amount) for row in rows] == [
        (workers[0].pk, 1, 3, Decimal("33.34")), (workers[1].pk, 2, 3, Decimal("33.33")),
        (workers[2].pk, 3, 3, Decimal("33.33"))]
    assert sum(row.amount for row in rows) == Decimal("100.00")


def test_each_fieldworker_is_paid_by_their_own_agreement_in_force_on_the_completion_day():
    a, b, c = factories.fieldworker(), factories.fieldworker(), factories.fieldworker()
    svc = factories.service(price=Decimal("200"), tax_rate=Decimal("0"))
    yesterday = today() - timedelta(days=1)
    agreement(a, "fixed", fixed="50", end=yesterday)  # ended: not in force
    agreement(a, "commission", rates=[(svc, None, "10")], start=today())
    agreement(b, "per_service", rates=[(svc, "30", None)])
    booking = staffed_booking([a, b, c], lines=[(svc, "1")])  # c has no agreement: earns nothing here
    assert entries(booking) == [(a.pk, "line", Decimal("6.67")), (b.pk, "line", Decimal("10.00"))]
    computed = PayrollEvent.objects.filter(booking_id=booking.pk, action="computed").order_by("fieldworker_id")
    assert [(row.fieldworker_id, row.data["total"], row.data["share"]) for row in computed] == [
        (a.pk, "6.67", "1/3"), (b.pk, "10.00", "2/3"), (c.pk, "0.00", "3/3")]


def test_pay_is_computed_with_the_completion_in_one_transaction_and_once():
    fw = factories.fieldworker()
    agreement(fw, "fixed", fixed="40")
    booking = staffed_booking([fw])
    assert PayEntry.objects.filter(booking=booking).count() == 1
    refused(lambda: pay.booking_pay_compute(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk),
            "pay_computed", "bookingId")


def test_a_booking_not_completed_earns_nothing():
    fw = factories.fieldworker()
    agreement(fw, "fixed", fixed="40")
    booking = staffed_booking([fw], complete=False)
    assert not PayEntry.objects.filter(booking=booking).exists()
    refused(lambda: pay.booking_pay_compute(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk),
            "booking_not_completed", "bookingId")


def test_an_adjustment_is_recorded_with_its_reason_who_and_when(staff):
    fw = factories.fieldworker()
    agreement(fw, "fixed", fixed="40")
    booking = staffed_booking([fw])
    from tests.core.outreach.support import deliver

    deliver()  # what the completion published
    seen: list[PayrollChanged] = []
    events.subscribe(PayrollChanged, seen.append)
    try:
        entry = pay.booking_pay_adjust(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=fw.pk,
                                       amount="-5.005", reason="Late start")
        deliver()
    finally:
        events.unsubscribe(PayrollChanged, seen.append)
    assert (entry.kind, entry.amount, entry.reason, entry.created_by) == (
        EntryKind.ADJUSTMENT, Decimal("-5.01"), "Late start", staff.user)
    row = PayrollEvent.objects.get(action="adjusted")
    assert (row.actor_user, row.channel, row.data["amount"], row.data["reason"]) == (staff.user, "graphql",
                                                                                      "-5.01", "Late start")
    assert [(event.action, event.booking_id, event.fieldworker_id) for event in seen] == [
        ("adjusted", booking.pk, fw.pk)]


def test_adjustment_refusals_change_nothing(staff):
    fw, other = factories.fieldworker(), factories.fieldworker()
    booking = staffed_booking([fw])
    call = pay.booking_pay_adjust
    refused(lambda: call(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=fw.pk, amount="0",
                         reason="x"), "zero_adjustment", "amount")
    refused(lambda: call(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=fw.pk, amount="10",
                         reason="  "), "reason_required", "reason")
    refused(lambda: call(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=other.pk, amount="10",
                         reason="x"), "not_on_booking", "fieldworkerId")
    refused(lambda: call(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=fw.pk, amount="NaN",
                         reason="x"), "invalid", "amount")
    refused(lambda: call(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=fw.pk, amount="1e12",
                         reason="x"), "out_of_range", "amount")
    refused(lambda: call(actor=staff, channel=G, booking_id=987654, fieldworker_id=fw.pk, amount="1",
                         reason="x"), "not_found", "bookingId")
    refused(lambda: call(actor=Actor.for_fieldworker(fw), channel=G, booking_id=booking.pk, fieldworker_id=fw.pk,
                         amount="100", reason="x"), "forbidden")
    assert not PayEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()


def test_agreements_never_overlap_and_refusals_change_nothing(staff):
    fw = factories.fieldworker()
    svc = factories.service()
    agreement(fw, "fixed", fixed="10", start=date(2026, 1, 1), end=date(2026, 6, 30))
    create = pay.agreement_create
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="fixed", fixed_amount="5",
                           effective_from=date(2026, 6, 30)), "agreement_overlap", "effectiveFrom")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="fixed", fixed_amount="5",
                           effective_from=date(2025, 1, 1)), "agreement_overlap", "effectiveFrom")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="fixed",
                           effective_from=date(2027, 1, 1)), "required", "fixedAmount")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="commission",
                           effective_from=date(2027, 1, 1), rates=[pay.RateInput(svc.pk, percent="100.01")]),
            "out_of_range", "rates.0.percent")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="commission",
                           effective_from=date(2027, 1, 1), rates=[pay.RateInput(svc.pk, amount="3")]),
            "required", "rates.0.percent")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="per_service",
                           effective_from=date(2027, 1, 1),
                           rates=[pay.RateInput(svc.pk, amount="3"), pay.RateInput(svc.pk, amount="4")]),
            "duplicate", "rates.1.serviceId")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="per_service",
                           effective_from=date(2027, 1, 1), rates=[pay.RateInput(987654, amount="3")]),
            "not_found", "rates.0.serviceId")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="weekly",
                           effective_from=date(2027, 1, 1)), "invalid", "basis")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="fixed", fixed_amount="5",
                           effective_from=date(2027, 2, 1), effective_to=date(2027, 1, 1)),
            "end_before_start", "effectiveTo")
    refused(lambda: create(actor=staff, channel=G, fieldworker_id=987654, basis="fixed", fixed_amount="5",
                           effective_from=date(2027, 1, 1)), "not_found", "fieldworkerId")
    refused(lambda: create(actor=Actor.for_fieldworker(fw), channel=G, fieldworker_id=fw.pk, basis="fixed",
                           fixed_amount="500", effective_from=date(2027, 1, 1)), "forbidden")
    made = create(actor=staff, channel=G, fieldworker_id=fw.pk, basis="fixed", fixed_amount="12.345",
                  effective_from=date(2026, 7, 1))
    assert made.fixed_amount == Decimal("12.35")
    assert PaymentAgreement.objects.filter(fieldworker=fw).count() == 2


def test_an_agreement_pay_was_computed_under_keeps_its_terms(staff):
    fw = factories.fieldworker()
    made = agreement(fw, "fixed", fixed="40")
    staffed_booking([fw])
    refused(lambda: pay.agreement_update(actor=staff, channel=G, agreement_id=made.pk, fixed_amount="50"),
            "agreement_in_use", "fixedAmount")
    refused(lambda: pay.agreement_delete(actor=staff, channel=G, agreement_id=made.pk), "agreement_in_use", "id")
    refused(lambda: pay.agreement_update(actor=staff, channel=G, agreement_id=made.pk,
                                         effective_to=today() - timedelta(days=1)), "agreement_in_use", "effectiveTo")
    ended = pay.agreement_update(actor=staff, channel=G, agreement_id=made.pk, effective_to=today(), notes="ends")
    assert (ended.effective_to, ended.notes) == (today(), "ends")
    row = PayrollEvent.objects.filter(agreement_id=made.pk, action="updated").get()
    assert row.data["changes"]["effective_to"] == [None, today().isoformat()]


def test_an_unused_agreement_is_changed_and_deleted_with_history(staff):
    fw = factories.fieldworker()
    svc, other = factories.service(), factories.service()
    made = agreement(fw, "per_service", rates=[(svc, "10", None)])
    changed = pay.agreement_update(actor=staff, channel=G, agreement_id=made.pk,
                                   rates=[pay.RateInput(other.pk, amount="12")])
    assert list(changed.rates.values_list("service_id", "amount")) == [(other.pk, Decimal("12.00"))]
    assert pay.agreement_delete(actor=staff, channel=G, agreement_id=made.pk) == made.pk
    assert not PaymentAgreement.objects.filter(pk=made.pk).exists()
    assert list(PayrollEvent.objects.filter(agreement_id=made.pk).values_list("action", flat=True)) == [
        "created", "updated", "deleted"]


def test_a_fieldworker_sees_only_their_own_agreements_and_pay():
    a, b = factories.fieldworker(), factories.fieldworker()
    agreement(a, "fixed", fixed="10")
    agreement(b, "fixed", fixed="20")
    staffed_booking([a, b])
    mine = Actor.for_fieldworker(a)
    assert set(visible_agreements(mine).values_list("fieldworker_id", flat=True)) == {a.pk}
    assert set(visible_entries(mine).values_list("fieldworker_id", flat=True)) == {a.pk}
    cust = Actor.for_customer(factories.customer())
    assert not visible_entries(cust).exists() and not visible_agreements(cust).exists()


def test_a_booking_cancelled_instead_of_completed_pays_nothing():
    fw = factories.fieldworker()
    agreement(fw, "fixed", fixed="10")
    booking = staffed_booking([fw], complete=False)
    booking_services.booking_cancel(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk,
                                    reason="rain")
    assert not PayEntry.objects.filter(booking=booking).exists()
