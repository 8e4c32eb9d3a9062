"""The scheduling API's translation: inputs, payload errors, who sees what. Rules are tested in core."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings.models import Booking, BookingSeries
from core.workforce.models import ChangeRequest, WorkingHours
from tests import factories
from tests.graphql_api.conftest import gid, run
from tests.scheduling_support import assign, job, next_weekday, weekdays_9_to_5, worker

pytestmark = pytest.mark.django_db

AVAILABLE = """
query($service: ID!, $start: DateTime!, $end: DateTime!, $loc: LocationInput, $all: Boolean!) {
  availableFieldworkers(serviceId: $service, start: $start, end: $end, location: $loc, includeUnavailable: $all) {
    fieldworker { id name } available reasons distanceKm load
  }
}"""

SLOTS = """
query($service: ID!, $from: DateTime!, $to: DateTime!) {
  availableSlots(serviceId: $service, from: $from, to: $to, limit: 3) { start end fieldworkerCount fieldworkerIds }
}"""

NEARBY = """
query($near: NearInput!, $from: DateTime!, $to: DateTime!) {
  nearbyBookings(near: $near, radiusKm: 5, from: $from, to: $to) { booking { id number } distanceKm }
}"""

SET_HOURS = """
mutation($input: SetWorkingHoursInput!) {
  setWorkingHours(input: $input) {
    applied changeRequest { id kind status } conflicts { bookingId number reason } errors { code field message }
  }
}"""

APPROVE = """
mutation($id: ID!) { approveChangeRequest(input: {id: $id}) { changeRequest { id status } errors { code } } }"""

ASSIGN = """
mutation($b: ID!, $f: ID!) {
  assignFieldworker(input: {bookingId: $b, fieldworkerId: $f}) { errors { code field message } }
}"""

CREATE_SERIES = """
mutation($input: CreateBookingSeriesInput!) {
  createBookingSeries(input: $input) {
    series { id rule status } created { id scheduledStart }
    conflicts { date fieldworkerId code clashBookingIds } errors { code field }
  }
}"""

CANCEL_SERIES = """
mutation($input: CancelBookingSeriesInput!) {
  cancelBookingSeries(input: $input) { cancelled { id status } errors { code field } }
}"""


@pytest.fixture
def svc(db):
    return factories.service(name="Gutter clean", duration_minutes=60)


def test_available_fieldworkers_for_staff_with_reasons(staff_actor, svc):
    start = next_weekday(0, hour=10)
    free = weekdays_9_to_5(worker(services=[svc], lat=-33.87, lng=151.21, radius=20))
    busy = weekdays_9_to_5(worker(services=[svc]))
    assign(job(start), busy)
    variables = {"service": gid("Service", svc.pk), "start": start.isoformat(),
                 "end": (start + timedelta(hours=1)).isoformat(), "loc": {"latitude": -33.8688, "longitude": 151.2093},
                 "all": True}
    out = run(staff_actor, AVAILABLE, **variables)
    assert "errors" not in out, out
    rows = out["data"]["availableFieldworkers"]
    assert [(r["fieldworker"]["id"], r["available"], r["reasons"]) for r in rows] == [
        (gid("Fieldworker", free.pk), True, []), (gid("Fieldworker", busy.pk), False, ["BOOKED"])]
    assert 0 < rows[0]["distanceKm"] < 1


def test_available_fieldworkers_is_staff_only(fieldworker_actor, customer_actor, svc):
    start = next_weekday(0, hour=10)
    for actor in (fieldworker_actor, customer_actor, Actor.anonymous()):
        out = run(actor, AVAILABLE, service=gid("Service", svc.pk), start=start.isoformat(),
                  end=(start + timedelta(hours=1)).isoformat(), loc=None, all=False)
        assert out["data"] is None
        assert out["errors"][0]["extensions"]["code"] == "forbidden"


def test_bad_ids_are_input_errors(staff_actor):
    start = next_weekday(0, hour=10)
    out = run(staff_actor, AVAILABLE, service=gid("Booking", 1), start=start.isoformat(),
              end=(start + timedelta(hours=1)).isoformat(), loc=None, all=False)
    assert out["errors"][0]["extensions"] == {"code": "invalid_id", "field": "serviceId"}


def test_customers_get_slots_without_names(customer_actor, staff_actor, svc):
    fw = worker(services=[svc])
    weekdays_9_to_5(fw)
    day = next_weekday(1, hour=0)
    variables = {"service": gid("Service", svc.pk), "from": day.isoformat(),
                 "to": (day + timedelta(days=1)).isoformat()}
    as_customer = run(customer_actor, SLOTS, **variables)["data"]["availableSlots"]
    as_staff = run(staff_actor, SLOTS, **variables)["data"]["availableSlots"]
    assert len(as_customer) == 3 and {s["fieldworkerIds"] for s in as_customer} == {None}
    assert as_staff[0]["fieldworkerIds"] == [gid("Fieldworker", fw.pk)] and as_staff[0]["fieldworkerCount"] == 1


def test_nearby_bookings_near_a_booking(staff_actor):
    start = timezone.now() + timedelta(days=2)
    ref = job(start, lat=-33.87, lng=151.21)
    close = job(start + timedelta(hours=3), lat=-33.875, lng=151.215)
    job(start + timedelta(hours=3), lat=-34.5, lng=150.0)
    out = run(staff_actor, NEARBY, near={"bookingId": gid("Booking", ref.pk)}, **{
        "from": (start - timedelta(hours=1)).isoformat(), "to": (start + timedelta(days=1)).isoformat()})
    assert [r["booking"]["id"] for r in out["data"]["nearbyBookings"]] == [gid("Booking", close.pk)]
    bad = run(staff_actor, NEARBY, near={},
              **{"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()})
    assert bad["errors"][0]["extensions"]["code"] == "required"


def test_a_fieldworkers_hours_become_a_request_that_staff_approve(fieldworker, fieldworker_actor, staff_actor):
    ranges = [{"weekday": 0, "start": "08:00", "end": "12:00"}]
    out = run(fieldworker_actor, SET_HOURS, input={"fieldworkerId": gid("Fieldworker", fieldworker.pk),
                                                   "ranges": ranges})["data"]["setWorkingHours"]
    assert out["applied"] is False and out["errors"] == []
    assert out["changeRequest"]["kind"] == "working_hours" and out["changeRequest"]["status"] == "pending"
    assert WorkingHours.objects.filter(fieldworker=fieldworker).count() == 7  # as they were (every day)
    denied = run(fieldworker_actor, APPROVE, id=out["changeRequest"]["id"])["data"]["approveChangeRequest"]
    assert denied["errors"] == [{"code": "not_found"}]  # as a request that does not exist
    approved = run(staff_actor, APPROVE, id=out["changeRequest"]["id"])["data"]["approveChangeRequest"]
    assert approved == {"changeRequest": {"id": out["changeRequest"]["id"], "status": "approved"}, "errors": []}
    assert WorkingHours.objects.filter(fieldworker=fieldworker).count() == 1
    assert ChangeRequest.objects.get().status == "approved"


def test_hours_changes_report_conflicts_and_bad_input_is_a_payload_error(staff_actor, fieldworker):
    weekdays_9_to_5(fieldworker)
    booking = job(next_weekday(0, hour=14))
    assign(booking, fieldworker)
    out = run(staff_actor, SET_HOURS, input={"fieldworkerId": gid("Fieldworker", fieldworker.pk),
                                             "ranges": [{"weekday": 0, "start": "08:00", "end": "12:00"}]})
    payload = out["data"]["setWorkingHours"]
    assert payload["applied"] is True
    assert payload["conflicts"] == [{"bookingId": gid("Booking", booking.pk), "number": booking.number,
                                     "reason": "NOT_WORKING"}]
    bad = run(staff_actor, SET_HOURS, input={"fieldworkerId": gid("Fieldworker", fieldworker.pk),
                                             "ranges": [{"weekday": 0, "start": "12:00", "end": "08:00"}]})
    assert bad["data"]["setWorkingHours"]["errors"][0]["code"] == "end_before_start"
    assert WorkingHours.objects.filter(fieldworker=fieldworker).count() == 1


def test_double_booking_through_the_api_is_a_payload_error_not_a_500(staff_actor, fieldworker):
    start = next_weekday(2, hour=9)
    first, second = job(start), job(start + timedelta(minutes=30))
    assign(first, fieldworker)
    out = run(staff_actor, ASSIGN, b=gid("Booking", second.pk), f=gid("Fieldworker", fieldworker.pk))
    errors = out["data"]["assignFieldworker"]["errors"]
    assert errors[0]["code"] == "fieldworker_conflict" and errors[0]["field"] == "fieldworkerId"
    assert not second.assignments.exists()


def test_series_through_the_api(staff_actor, fieldworker, svc):
    cust = factories.customer()
    start = next_weekday(0, hour=9)
    clash = job(start + timedelta(weeks=1, minutes=30))
    assign(clash, fieldworker)
    out = run(staff_actor, CREATE_SERIES, input={
        "customerId": gid("Customer", cust.pk), "rule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        "startDate": start.date().isoformat(), "startTime": "09:00",
        "lines": [{"serviceId": gid("Service", svc.pk)}], "fieldworkerIds": [gid("Fieldworker", fieldworker.pk)],
    })["data"]["createBookingSeries"]
    assert out["errors"] == [] and out["series"]["status"] == "active" and len(out["created"]) == 3
    assert out["conflicts"] == [{"date": (start.date() + timedelta(weeks=1)).isoformat(),
                                 "fieldworkerId": gid("Fieldworker", fieldworker.pk), "code": "fieldworker_conflict",
                                 "clashBookingIds": [gid("Booking", clash.pk)]}]
    bad = run(staff_actor, CREATE_SERIES, input={
        "customerId": gid("Customer", cust.pk), "rule": "FREQ=HOURLY", "startDate": date.today().isoformat(),
        "startTime": "09:00"})["data"]["createBookingSeries"]
    assert bad["errors"] == [{"code": "invalid_rule", "field": "rule"}]
    assert BookingSeries.objects.count() == 1
    second = out["created"][1]["id"]
    cancelled = run(staff_actor, CANCEL_SERIES, input={"bookingId": second, "scope": "FOLLOWING",
                                                       "reason": "Moving"})["data"]["cancelBookingSeries"]
    assert [c["status"] for c in cancelled["cancelled"]] == ["CANCELLED", "CANCELLED"]
    assert Booking.objects.filter(series__isnull=False, status="pending").count() == 1
    refused = run(Actor.from_user(fieldworker.user), CANCEL_SERIES, input={
        "bookingId": out["created"][0]["id"], "scope": "ALL", "reason": "x"})["data"]["cancelBookingSeries"]
    assert refused["errors"][0]["code"] == "forbidden"  # they see their own job but may not cancel it


SCHEDULE = """
query($id: ID!) {
  fieldworkerSchedule(fieldworkerId: $id) {
    timeZone serviceRadiusKm workingHours { weekday startTime endTime } timeOff { reason } serviceAreas { name }
  }
}"""

SETTINGS = """
mutation($input: UpdateSchedulingSettingsInput!) {
  updateSchedulingSettings(input: $input) { settings { travelBufferMinutes slotStepMinutes } errors { code field } }
}"""


def test_a_fieldworker_reads_their_own_schedule_only(fieldworker, fieldworker_actor, staff_actor):
    weekdays_9_to_5(fieldworker)
    mine = run(fieldworker_actor, SCHEDULE, id=gid("Fieldworker", fieldworker.pk))["data"]["fieldworkerSchedule"]
    assert len(mine["workingHours"]) == 5 and mine["workingHours"][0] == {"weekday": 0, "startTime": "09:00:00",
                                                                           "endTime": "17:00:00"}
    other = factories.fieldworker(hours=())
    denied = run(fieldworker_actor, SCHEDULE, id=gid("Fieldworker", other.pk))
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "not_found"
    assert run(staff_actor, SCHEDULE, id=gid("Fieldworker", other.pk))["data"]["fieldworkerSchedule"][
        "workingHours"] == []


def test_staff_change_the_travel_buffer(staff_actor, fieldworker_actor):
    out = run(staff_actor, SETTINGS, input={"travelBufferMinutes": 45})["data"]["updateSchedulingSettings"]
    assert out == {"settings": {"travelBufferMinutes": 45, "slotStepMinutes": 30}, "errors": []}
    bad = run(staff_actor, SETTINGS, input={"travelBufferMinutes": 999})["data"]["updateSchedulingSettings"]
    assert bad["errors"][0]["code"] == "out_of_range"
    denied = run(fieldworker_actor, SETTINGS, input={"travelBufferMinutes": 0})["data"]["updateSchedulingSettings"]
    assert denied["errors"] == [{"code": "forbidden", "field": None}]
    from core.workforce.selectors import scheduling_settings
    assert scheduling_settings().travel_buffer_minutes == 45


SLOTS_IN = """
query($service: ID!, $from: DateTime!, $to: DateTime!, $tz: String) {
  availableSlots(serviceId: $service, from: $from, to: $to, limit: 20, timeZone: $tz) { start end }
}"""
SLOTS_DEFAULT = """
query($service: ID!, $from: DateTime!, $to: DateTime!) {
  availableSlots(serviceId: $service, from: $from, to: $to, limit: 20) { start end }
}"""


def _slots_over_http(staff_actor, variables, query=SLOTS_IN) -> dict:
    import json

    from django.test import Client

    from tests.graphql_api.conftest import bearer

    response = Client().post("/graphql/", json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=bearer(staff_actor.user))
    assert response.status_code == 200
    return response.json()


def test_available_slots_are_all_in_one_zone_the_callers_or_the_companys(staff_actor, svc):
    import zoneinfo
    from datetime import datetime

    from core.company.services import company_update
    from core.workforce import services as workforce_services

    brisbane = zoneinfo.ZoneInfo("Australia/Brisbane")
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, time_zone="Australia/Brisbane")
    workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, slot_step_minutes=60)
    fw = worker(services=[svc], time_zone="Australia/Sydney")
    weekdays_9_to_5(fw)  # Sydney's 9 to 5: a day's slots come from the fieldworker's zone ...
    monday = next_weekday(0, hour=10, minute=30, tz=brisbane)
    # ... the first one from the caller's "from", here in UTC
    variables = {"service": gid("Service", svc.pk), "from": monday.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat(),
                 "to": (monday + timedelta(days=2)).isoformat()}

    def offsets(answer) -> set[str]:
        slots = answer["data"]["availableSlots"]
        assert len({datetime.fromisoformat(s["start"]).date() for s in slots}) >= 2, answer  # Monday's, Tuesday's
        return {datetime.fromisoformat(s[key]).strftime("%z") for s in slots for key in ("start", "end")}

    assert offsets(_slots_over_http(staff_actor, variables, SLOTS_DEFAULT)) == {"+1000"}  # the company's
    assert offsets(_slots_over_http(staff_actor, {**variables, "tz": "Asia/Tokyo"})) == {"+0900"}
    bad = _slots_over_http(staff_actor, {**variables, "tz": "Mars/Olympus"})
    assert bad["data"] is None
    assert bad["errors"][0]["extensions"] == {"code": "invalid_time_zone", "field": "timeZone"}
