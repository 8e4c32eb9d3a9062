"""assignFieldworker over HTTP: outside working hours or during time off it is refused with a typed
error and changes nothing, unless staff say overrideAvailability, which the history shows (0141)."""

from __future__ import annotations

from datetime import timedelta

from core.actors import Channel
from core.workforce import services as workforce_services
from tests import factories
from tests.core.outreach.support import db_state
from tests.scheduling_support import job, next_weekday, weekdays_9_to_5

from .conftest import gid
from .over_http import gql, sign_in

ASSIGN = """mutation($b: ID!, $f: ID!, $override: Boolean!) {
  assignFieldworker(input: {bookingId: $b, fieldworkerId: $f}, overrideAvailability: $override) {
    assignment { status fieldworker { name } } errors { code field }
  }
}"""
HISTORY = "query($id: ID!) { bookingHistory(bookingId: $id) { action data } }"


def test_outside_hours_and_time_off_are_refused_unless_overridden(world):
    staff = world.staff.user
    sign_in(staff)
    worker = weekdays_9_to_5(factories.fieldworker(hours=()))
    saturday, tuesday = job(next_weekday(5, hour=10)), job(next_weekday(1, hour=10))
    workforce_services.time_off_add(actor=world.staff, channel=Channel.GRAPHQL, fieldworker_id=worker.pk,
                                    starts_at=tuesday.scheduled_start - timedelta(hours=1),
                                    ends_at=tuesday.scheduled_end, kind="leave")
    fw = gid("Fieldworker", worker.pk)

    before = db_state()
    for booking, code in ((saturday, "outside_working_hours"), (tuesday, "on_time_off")):
        out = gql(staff, ASSIGN, b=gid("Booking", booking.pk), f=fw, override=False)["assignFieldworker"]
        assert out == {"assignment": None, "errors": [{"code": code, "field": "fieldworkerId"}]}
    assert db_state() == before

    out = gql(staff, ASSIGN, b=gid("Booking", saturday.pk), f=fw, override=True)["assignFieldworker"]
    assert out == {"assignment": {"status": "OFFERED", "fieldworker": {"name": worker.name}}, "errors": []}
    row = gql(staff, HISTORY, id=gid("Booking", saturday.pk))["bookingHistory"][-1]
    assert row["action"] == "assigned"
    assert (row["data"]["override_availability"], row["data"]["overridden"]) == (True, "outside_working_hours")


def test_inside_working_hours_needs_no_override(world):
    worker = weekdays_9_to_5(factories.fieldworker(hours=()))
    wednesday = job(next_weekday(2, hour=10))
    out = gql(world.staff.user, ASSIGN, b=gid("Booking", wednesday.pk), f=gid("Fieldworker", worker.pk),
              override=False)["assignFieldworker"]
    assert out["errors"] == [] and out["assignment"]["status"] == "OFFERED"
