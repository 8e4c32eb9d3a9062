"""cancelBooking over HTTP: a fee is charged only when accepted in the same request; staff may
instead waive it or type another amount, recorded with who set it (decision 0140)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.bookings.models import Booking
from core.company.models import FeeType
from tests import factories
from tests.core.outreach.support import db_state, set_company

from .conftest import gid
from .over_http import gql, sign_in

QUOTE = "query($id: ID!) { cancellationQuote(bookingId: $id) { allowed fee insideNoticeWindow } }"
CANCEL = """mutation($v: CancelBookingInput!) { cancelBooking(input: $v) {
    booking { status cancellationFee cancellationFeeSetBy { displayName } } fee errors { code field } } }"""
HISTORY = "query($id: ID!) { bookingHistory(bookingId: $id) { action data } }"


@pytest.fixture(autouse=True)
def signed_in(world):
    """Both callers hold a token before any test takes its snapshot of the database."""
    sign_in(world.staff.user, world.cust_a.user)


@pytest.fixture
def late(world):
    """Booking A moved to start in two hours, inside a 24-hour window with a fixed fee of 40."""
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("40"),
                cancellation_notice_hours=24)
    start = timezone.now() + timedelta(hours=2)
    Booking.objects.filter(pk=world.booking_a.pk).update(scheduled_start=start, scheduled_end=start + timedelta(hours=2))
    return gid("Booking", world.booking_a.pk)


def test_customer_sees_the_fee_first_and_is_not_charged_without_accepting_it(world, late):
    customer = world.cust_a.user
    assert gql(customer, QUOTE, id=late)["cancellationQuote"] == {
        "allowed": True, "fee": "40.00", "insideNoticeWindow": True}
    before = db_state()
    refused = gql(customer, CANCEL, v={"id": late, "reason": "Travelling"})["cancelBooking"]
    assert refused == {"booking": None, "fee": "40.00", "errors": [{"code": "fee_not_accepted", "field": "acceptFee"}]}
    for extra in ({"feeOverride": "0"}, {"waiveFee": True}):
        payload = gql(customer, CANCEL, v={"id": late, "reason": "Travelling", **extra})["cancelBooking"]
        assert payload["errors"][0]["code"] == "forbidden"
    assert db_state() == before

    done = gql(customer, CANCEL, v={"id": late, "reason": "Travelling", "acceptFee": "40.00"})["cancelBooking"]
    assert done == {"booking": {"status": "CANCELLED", "cancellationFee": "40.00", "cancellationFeeSetBy": None},
                    "fee": "40.00", "errors": []}


def test_a_fee_shown_before_the_window_opened_is_not_charged(world):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("40"),
                cancellation_notice_hours=24 * 30)  # booking A (three days ahead) is now inside
    before = db_state()
    payload = gql(world.cust_a.user, CANCEL, v={"id": gid("Booking", world.booking_a.pk), "reason": "x",
                                                "acceptFee": "0"})["cancelBooking"]
    assert payload == {"booking": None, "fee": "40.00", "errors": [{"code": "fee_changed", "field": "acceptFee"}]}
    assert db_state() == before


def test_staff_must_accept_waive_or_set_the_fee(world, late):
    staff = world.staff.user
    before = db_state()
    refused = gql(staff, CANCEL, v={"id": late, "reason": "Customer called"})["cancelBooking"]
    assert (refused["fee"], refused["errors"][0]["code"]) == ("40.00", "fee_not_accepted")
    bad = gql(staff, CANCEL, v={"id": late, "reason": "Customer called", "feeOverride": "-5"})["cancelBooking"]
    assert bad["errors"] == [{"code": "invalid_fee", "field": "feeOverride"}]
    both = gql(staff, CANCEL, v={"id": late, "reason": "Customer called", "feeOverride": "5",
                                 "waiveFee": True})["cancelBooking"]
    assert both["errors"][0]["code"] == "ambiguous"
    assert db_state() == before

    done = gql(staff, CANCEL, v={"id": late, "reason": "Customer called", "feeOverride": "12.345"})["cancelBooking"]
    assert done["booking"] == {"status": "CANCELLED", "cancellationFee": "12.35",
                               "cancellationFeeSetBy": {"displayName": staff.display_name}}
    row = gql(staff, HISTORY, id=late)["bookingHistory"][-1]
    assert row["action"] == "cancelled"
    assert (row["data"]["fee"], row["data"]["fee_rule"], row["data"]["fee_set_by"]) == (
        "12.35", "40.00", staff.display_name)


def test_staff_accepting_the_quoted_fee(world, late):
    done = gql(world.staff.user, CANCEL, v={"id": late, "reason": "Customer called",
                                            "acceptFee": "40"})["cancelBooking"]
    assert (done["booking"]["cancellationFee"], done["booking"]["cancellationFeeSetBy"]) == ("40.00", None)


def test_set_booking_status_to_cancelled_follows_the_same_rule(world, late):
    doc = """mutation($v: SetBookingStatusInput!) { setBookingStatus(input: $v) {
        booking { status cancellationFee } errors { code field } } }"""
    before = db_state()
    refused = gql(world.staff.user, doc, v={"id": late, "status": "CANCELLED", "reason": "x"})["setBookingStatus"]
    assert refused == {"booking": None, "errors": [{"code": "fee_not_accepted", "field": "acceptFee"}]}
    assert db_state() == before
    done = gql(world.staff.user, doc, v={"id": late, "status": "CANCELLED", "reason": "x",
                                         "feeOverride": "0"})["setBookingStatus"]
    assert done == {"booking": {"status": "CANCELLED", "cancellationFee": "0.00"}, "errors": []}


def test_no_fee_no_question(world):
    """Outside the window the README's example cancels as it is."""
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("40"),
                cancellation_notice_hours=24)
    booking = factories.booking(cust=world.cust_b, start=timezone.now() + timedelta(days=5))
    done = gql(world.staff.user, CANCEL, v={"id": gid("Booking", booking.pk),
                                            "reason": "Customer is travelling"})["cancelBooking"]
    assert (done["booking"]["status"], done["fee"], done["errors"]) == ("CANCELLED", "0.00", [])
