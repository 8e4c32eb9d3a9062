"""rescheduleOptions and rescheduleBooking over HTTP: a customer picks one of the offered times, and
anything else is refused without a change; staff move a booking anywhere (decision 0142)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.core.outreach.support import db_state, set_company

from .conftest import gid
from .over_http import gql, sign_in

OPTIONS = """query($id: ID!) { rescheduleOptions(bookingId: $id) { allowed code message slots { start end } } }"""
MOVE = """mutation($v: RescheduleBookingInput!) { rescheduleBooking(input: $v) {
    booking { scheduledStart scheduledEnd assignments { status fieldworker { id } } } errors { code field } } }"""
HISTORY = "query($id: ID!) { bookingHistory(bookingId: $id) { action channel changes } }"


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(autouse=True)
def signed_in(world):
    sign_in(world.staff.user, world.cust_a.user)


def test_a_customer_moves_their_booking_to_an_offered_time(world):
    set_company(customers_may_reschedule=True, reschedule_notice_hours=24)
    customer, booking = world.cust_a.user, gid("Booking", world.booking_a.pk)
    offer = gql(customer, OPTIONS, id=booking)["rescheduleOptions"]
    assert (offer["allowed"], offer["code"]) == (True, None) and len(offer["slots"]) == 20
    picked = offer["slots"][2]

    before = db_state()
    off_list = when(picked["start"]) + timedelta(minutes=10)
    refused = gql(customer, MOVE, v={"id": booking, "newStart": off_list.isoformat()})["rescheduleBooking"]
    assert refused == {"booking": None, "errors": [{"code": "slot_unavailable", "field": "newStart"}]}
    assert db_state() == before

    moved = gql(customer, MOVE, v={"id": booking, "newStart": picked["start"]})["rescheduleBooking"]
    assert moved["errors"] == []
    assert (moved["booking"]["scheduledStart"], moved["booking"]["scheduledEnd"]) == (picked["start"], picked["end"])
    assert moved["booking"]["assignments"] == [{"status": "ACCEPTED",
                                                "fieldworker": {"id": gid("Fieldworker", world.fw_a.pk)}}]
    row = gql(customer, HISTORY, id=booking)["bookingHistory"][-1]
    assert (row["action"], row["channel"], when(row["changes"]["scheduled_start"][1])) == (
        "rescheduled", "GRAPHQL", when(picked["start"]))


def test_customers_are_told_when_they_may_not_and_staff_still_can(world):
    set_company(customers_may_reschedule=False)
    customer, booking = world.cust_a.user, gid("Booking", world.booking_a.pk)
    offer = gql(customer, OPTIONS, id=booking)["rescheduleOptions"]
    assert (offer["allowed"], offer["code"], offer["slots"]) == (False, "reschedule_disabled", [])
    start = world.booking_a.scheduled_start + timedelta(days=1)
    before = db_state()
    refused = gql(customer, MOVE, v={"id": booking, "newStart": start.isoformat()})["rescheduleBooking"]
    assert refused["errors"] == [{"code": "reschedule_disabled", "field": None}]
    assert db_state() == before

    naive = (start + timedelta(hours=1)).replace(tzinfo=None)  # wall-clock time in the booking's zone (UTC)
    moved = gql(world.staff.user, MOVE, v={"id": booking, "newStart": naive.isoformat()})["rescheduleBooking"]
    assert moved["errors"] == [] and when(moved["booking"]["scheduledStart"]) == start + timedelta(hours=1)


def test_company_settings_carry_the_flag(world):
    doc = """mutation { updateCompanySettings(input: {customersMayReschedule: true, rescheduleNoticeHours: 48}) {
        settings { customersMayReschedule rescheduleNoticeHours } errors { code } } }"""
    assert gql(world.staff.user, doc)["updateCompanySettings"] == {
        "settings": {"customersMayReschedule": True, "rescheduleNoticeHours": 48}, "errors": []}
