"""booking_cancel and booking_cancellation_quote: reasons, flags, timing, fees, waiving, actors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import Booking, BookingStatus
from core.company.models import FeeType
from core.company.selectors import get_company
from tests import factories
from tests.core.support import assert_refused

from .conftest import last_row, offer


def set_company(**values):
    company = get_company()
    for key, value in values.items():
        setattr(company, key, value)
    company.save()
    return company


def cancel(actor, booking, channel=Channel.PORTAL, **kw):
    kw.setdefault("reason", "No longer needed")
    return services.booking_cancel(actor=actor, channel=channel, booking_id=booking.pk, **kw)


@pytest.fixture
def soon(customer, svc, published):
    """A booking of ``customer`` starting in two hours (total 110.00): inside a 24-hour window."""
    made = factories.booking(cust=customer, svc=svc, start=timezone.now() + timedelta(hours=2))
    published.clear()
    return made


def test_staff_cancel_records_who_when_why_and_publishes(booking, staff, staff_actor, published):
    accepted, offered, declined = factories.fieldworker(), factories.fieldworker(), factories.fieldworker()
    offer(booking, accepted, accept=True)
    offer(booking, offered)
    offer(booking, declined)
    services.assignment_respond(actor=Actor.for_fieldworker(declined), channel=Channel.TELEGRAM,
                                booking_id=booking.pk, accept=False, reason="away")
    published.clear()
    cancel(staff_actor, booking, channel=Channel.GRAPHQL, reason="  Customer moved  ")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_at is not None and booking.cancelled_by_id == staff.pk
    assert (booking.cancelled_by_kind, booking.cancel_channel, booking.cancel_reason, booking.cancellation_fee) == (
        "staff", "graphql", "Customer moved", Decimal("0.00"))
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == ("cancelled", "staff", staff.pk, "graphql")
    assert row.changes == {"status": ["pending", "cancelled"]}
    assert row.data == {"reason": "Customer moved", "fee": "0.00", "fee_waived": False}
    [event] = published.all()
    assert type(event) is events.BookingCancelled
    assert (event.event_id, event.booking_id, event.old_status, event.new_status, event.reason, event.fee) == (
        row.pk, booking.pk, "pending", "cancelled", "Customer moved", "0.00")
    assert sorted(event.fieldworker_ids) == sorted([accepted.pk, offered.pk])  # not the one who declined


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(reason, booking, staff_actor, published):
    assert_refused(lambda: cancel(staff_actor, booking, reason=reason), "reason_required", field="reason",
                   published=published)


def test_an_over_long_reason_is_refused(booking, staff_actor, published):
    assert_refused(lambda: cancel(staff_actor, booking, reason="r" * 2001), "too_long", field="reason",
                   published=published)


def test_a_second_cancel_changes_nothing_and_publishes_nothing(booking, staff_actor, customer_actor, published):
    cancel(staff_actor, booking)
    published.clear()
    for actor in (staff_actor, customer_actor):
        assert_refused(lambda actor=actor: cancel(actor, booking, reason="again"), "already_cancelled",
                       published=published)


def test_a_completed_booking_cannot_be_cancelled(booking, staff_actor, published):
    for step in ("confirmed", "in_progress", "completed"):
        services.booking_set_status(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, status=step)
    assert_refused(lambda: cancel(staff_actor, booking), "illegal_transition", published=published)


# --- customers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.PORTAL, Channel.EMAIL_LINK, Channel.SMS, Channel.GRAPHQL])
def test_customer_cancels_their_own_booking(channel, booking, customer, customer_actor, published):
    cancel(customer_actor, booking, channel=channel)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert (booking.cancelled_by_id, booking.cancelled_by_kind, booking.cancel_channel) == (
        customer.user_id, "customer", channel)
    row = last_row(booking)
    assert (row.actor_kind, row.actor_user_id, row.channel) == ("customer", customer.user_id, channel)
    assert published.names == ["BookingCancelled"]


def test_customer_without_a_login_cancels_by_sms(svc, published):
    walk_in = factories.customer()
    booking = factories.booking(cust=walk_in, svc=svc)
    published.clear()
    cancel(Actor.for_customer(walk_in), booking, channel=Channel.SMS)
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by_id, booking.cancelled_by_kind) == ("cancelled", None, "customer")
    assert last_row(booking).actor_label == f"customer #{walk_in.pk}"
    assert published.names == ["BookingCancelled"]


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.ADMIN, Channel.SYSTEM])
def test_customers_cannot_cancel_through_other_channels(channel, booking, customer_actor, published):
    assert_refused(lambda: cancel(customer_actor, booking, channel=channel), "forbidden", published=published)


def test_customer_cancellation_can_be_switched_off(booking, customer_actor, staff_actor, published):
    set_company(customers_may_cancel=False, phone="+61 2 9999 0000", name="Sparkle Co")
    err = assert_refused(lambda: cancel(customer_actor, booking), "cancellation_disabled", published=published)
    assert "Sparkle Co" in err.message and "+61299990000" in err.message  # the phone column holds E.164
    cancel(staff_actor, booking)  # the office still can
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_customers_cannot_cancel_after_the_start(customer, customer_actor, svc, staff_actor, published):
    started = factories.booking(cust=customer, svc=svc, start=timezone.now() - timedelta(minutes=1))
    assert_refused(lambda: cancel(customer_actor, started), "too_late", published=published)
    later = factories.booking(cust=customer, svc=svc)
    services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=later.pk)
    services.booking_start(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=later.pk)
    assert_refused(lambda: cancel(customer_actor, later), "too_late", published=published)
    cancel(staff_actor, started)  # staff may cancel a job that has begun
    assert Booking.objects.get(pk=started.pk).status == BookingStatus.CANCELLED


@pytest.mark.parametrize("kind", ["other_customer", "anonymous", "unassigned_fw"])
def test_strangers_cannot_see_the_booking(kind, booking, actor_for, published):
    actor = actor_for(kind, booking)
    assert_refused(lambda: cancel(actor, booking), "not_found", published=published)


# --- fees ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fee_type", "amount", "expected"), [
    (FeeType.FIXED, Decimal("25"), Decimal("25.00")),
    (FeeType.PERCENT, Decimal("50"), Decimal("55.00")),  # 50% of 110.00
    (FeeType.PERCENT, Decimal("33.33"), Decimal("36.66")),  # 36.663
    (FeeType.NONE, Decimal("25"), Decimal("0.00")),
])
def test_fee_inside_the_notice_window(fee_type, amount, expected, soon, customer_actor, published):
    set_company(cancellation_fee_type=fee_type, cancellation_fee_amount=amount, cancellation_notice_hours=24)
    quote = services.booking_cancellation_quote(actor=customer_actor, channel=Channel.PORTAL, booking_id=soon.pk)
    assert (quote.allowed, quote.fee, quote.inside_window) == (True, expected, True)
    cancel(customer_actor, soon, accept_fee=quote.fee)
    soon.refresh_from_db()
    assert soon.cancellation_fee == expected
    assert last_row(soon).data["fee"] == str(expected)
    assert published.of(events.BookingCancelled)[0].fee == str(expected)


@pytest.mark.parametrize("fee_type", [FeeType.FIXED, FeeType.PERCENT])
def test_no_fee_outside_the_notice_window(fee_type, booking, customer_actor, published):
    set_company(cancellation_fee_type=fee_type, cancellation_fee_amount=Decimal("50"), cancellation_notice_hours=24)
    quote = services.booking_cancellation_quote(actor=customer_actor, channel=Channel.PORTAL, booking_id=booking.pk)
    assert (quote.allowed, quote.fee, quote.inside_window) == (True, Decimal("0"), False)
    cancel(customer_actor, booking)
    booking.refresh_from_db()
    assert booking.cancellation_fee == Decimal("0")
    assert published.of(events.BookingCancelled)[0].fee == "0.00"


def test_the_window_edge(customer, customer_actor, svc):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("10"),
                cancellation_notice_hours=48)
    just_outside = factories.booking(cust=customer, svc=svc, start=timezone.now() + timedelta(hours=48, minutes=1))
    just_inside = factories.booking(cust=customer, svc=svc, start=timezone.now() + timedelta(hours=47, minutes=59))
    cancel(customer_actor, just_outside)
    cancel(customer_actor, just_inside, accept_fee=Decimal("10"))
    just_outside.refresh_from_db()
    just_inside.refresh_from_db()
    assert (just_outside.cancellation_fee, just_inside.cancellation_fee) == (Decimal("0"), Decimal("10.00"))


def test_staff_may_waive_the_fee(soon, staff, staff_actor, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    cancel(staff_actor, soon, channel=Channel.GRAPHQL, waive_fee=True)
    soon.refresh_from_db()
    assert (soon.cancellation_fee, soon.cancellation_fee_set_by_id) == (Decimal("0"), staff.pk)
    assert last_row(soon).data == {"reason": "No longer needed", "fee": "0.00", "fee_waived": True,
                                   "fee_rule": "25.00", "fee_set_by": staff.display_name, "fee_set_by_id": staff.pk}
    assert published.of(events.BookingCancelled)[0].fee == "0.00"


def test_staff_accepting_the_fee_charges_it(soon, staff_actor):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    cancel(staff_actor, soon, channel=Channel.GRAPHQL, accept_fee=Decimal("25"))
    soon.refresh_from_db()
    assert (soon.cancellation_fee, soon.cancellation_fee_set_by_id) == (Decimal("25.00"), None)
    assert "fee_set_by" not in last_row(soon).data


@pytest.mark.parametrize("kind", ["staff", "own_customer", "system"])
def test_a_fee_nobody_accepted_is_refused(kind, soon, actor_for, published):
    """Nobody is charged silently: without acceptFee, waiveFee or feeOverride the cancel does nothing."""
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    actor = actor_for(kind, soon)
    err = assert_refused(lambda: cancel(actor, soon, channel=Channel.GRAPHQL), "fee_not_accepted",
                         field="acceptFee", published=published)
    assert err.data == {"fee": "25.00"}


def test_no_fee_needs_no_acceptance(booking, staff_actor, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))  # outside the window
    cancel(staff_actor, booking, channel=Channel.GRAPHQL)
    assert Booking.objects.get(pk=booking.pk).cancellation_fee == Decimal("0")


@pytest.mark.parametrize(("typed", "charged"), [
    (Decimal("12.345"), Decimal("12.35")),  # rounded half up, like every amount (decision 0121)
    (Decimal("0"), Decimal("0.00")),
    ("40", Decimal("40.00")),
])
def test_staff_may_set_another_fee(typed, charged, soon, staff, staff_actor, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    cancel(staff_actor, soon, channel=Channel.GRAPHQL, fee_override=typed)
    soon.refresh_from_db()
    assert (soon.status, soon.cancellation_fee, soon.cancellation_fee_set_by_id) == ("cancelled", charged, staff.pk)
    row = last_row(soon)
    assert row.data == {"reason": "No longer needed", "fee": str(charged), "fee_waived": False, "fee_rule": "25.00",
                        "fee_set_by": staff.display_name, "fee_set_by_id": staff.pk}
    assert published.of(events.BookingCancelled)[0].fee == str(charged)


def test_staff_may_charge_a_fee_the_rule_does_not(booking, staff_actor):
    """A no-show outside the window: the office sets the amount."""
    cancel(staff_actor, booking, channel=Channel.GRAPHQL, fee_override=Decimal("15"))
    booking.refresh_from_db()
    assert booking.cancellation_fee == Decimal("15.00")
    assert last_row(booking).data["fee_rule"] == "0.00"


@pytest.mark.parametrize(("typed", "code"), [
    (Decimal("-1"), "invalid_fee"), (Decimal("-0.001"), "invalid_fee"), (Decimal("1e9"), "invalid_fee"),
    (Decimal("NaN"), "invalid"), (Decimal("Infinity"), "invalid"), ("twelve", "invalid"),
])
def test_a_bad_fee_override_is_refused(typed, code, soon, staff_actor, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    assert_refused(lambda: cancel(staff_actor, soon, fee_override=typed), code, field="feeOverride",
                   published=published)


@pytest.mark.parametrize("kind", ["own_customer", "accepted_fw", "system"])
def test_only_staff_may_set_another_fee(kind, soon, actor_for, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"),
                fieldworkers_may_cancel=True)
    actor = actor_for(kind, soon)
    assert_refused(lambda: cancel(actor, soon, fee_override=Decimal("1")), "forbidden", field="feeOverride",
                   published=published)


@pytest.mark.parametrize("choices", [
    {"waive_fee": True, "fee_override": Decimal("5")},
    {"waive_fee": True, "accept_fee": Decimal("25")},
    {"accept_fee": Decimal("25"), "fee_override": Decimal("5")},
])
def test_one_fee_choice_at_a_time(choices, soon, staff_actor, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    assert_refused(lambda: cancel(staff_actor, soon, **choices), "ambiguous", published=published)


@pytest.mark.parametrize("kind", ["own_customer", "accepted_fw", "system"])
def test_only_staff_may_waive(kind, soon, actor_for, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"),
                fieldworkers_may_cancel=True)
    actor = actor_for(kind, soon)
    assert_refused(lambda: cancel(actor, soon, waive_fee=True), "forbidden", field="waiveFee", published=published)


def test_a_fee_the_customer_did_not_see_is_refused(soon, customer_actor, published):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25"))
    err = assert_refused(lambda: cancel(customer_actor, soon, accept_fee=Decimal("0")), "fee_changed",
                         field="acceptFee", published=published)
    assert err.data == {"fee": "25.00"}
    cancel(customer_actor, soon, accept_fee=Decimal("25"))  # the fee they were shown
    soon.refresh_from_db()
    assert (soon.status, soon.cancellation_fee) == ("cancelled", Decimal("25.00"))
    assert published.names == ["BookingCancelled"]


# --- fieldworkers -------------------------------------------------------------------------------


def test_fieldworkers_may_not_cancel_by_default(booking, actor_for, published):
    worker = actor_for("accepted_fw", booking)
    assert_refused(lambda: cancel(worker, booking, channel=Channel.TELEGRAM), "forbidden", published=published)


def test_an_accepted_fieldworker_may_cancel_when_allowed(booking, actor_for, published):
    set_company(fieldworkers_may_cancel=True)
    worker = actor_for("accepted_fw", booking)
    cancel(worker, booking, channel=Channel.TELEGRAM)
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by_kind, booking.cancelled_by_id) == (
        "cancelled", "fieldworker", worker.user_id)
    assert (last_row(booking).actor_kind, published.names) == ("fieldworker", ["BookingCancelled"])


@pytest.mark.parametrize("kind", ["offered_fw", "unassigned_fw"])
def test_a_fieldworker_who_has_not_accepted_may_not_cancel(kind, booking, actor_for, published):
    set_company(fieldworkers_may_cancel=True)
    worker = actor_for(kind, booking)
    assert_refused(lambda: cancel(worker, booking, channel=Channel.TELEGRAM), "not_found", published=published)


# --- quote --------------------------------------------------------------------------------------


def test_quote_reports_refusals_without_writing(booking, customer_actor, published):
    set_company(customers_may_cancel=False)
    quote = services.booking_cancellation_quote(actor=customer_actor, channel=Channel.PORTAL, booking_id=booking.pk)
    assert (quote.allowed, quote.code, quote.fee) == (False, "cancellation_disabled", Decimal("0"))
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING
    assert published.names == []


def test_quote_hides_other_customers_bookings(booking, actor_for):
    from core.errors import NotFound

    stranger = actor_for("other_customer", booking)
    with pytest.raises(NotFound):
        services.booking_cancellation_quote(actor=stranger, channel=Channel.PORTAL, booking_id=booking.pk)


def test_a_fieldworker_cancelling_late_charges_no_fee(soon, actor_for, published):
    set_company(fieldworkers_may_cancel=True, cancellation_fee_type=FeeType.FIXED,
                cancellation_fee_amount=Decimal("25"))
    worker = actor_for("accepted_fw", soon)
    quote = services.booking_cancellation_quote(actor=worker, channel=Channel.TELEGRAM, booking_id=soon.pk)
    assert (quote.allowed, quote.fee) == (True, Decimal("0"))
    cancel(worker, soon, channel=Channel.TELEGRAM)
    soon.refresh_from_db()
    assert (soon.status, soon.cancellation_fee) == ("cancelled", Decimal("0"))
    assert published.of(events.BookingCancelled)[0].fee == "0.00"
