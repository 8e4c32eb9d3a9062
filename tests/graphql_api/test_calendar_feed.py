"""Bookings in calendar apps, as their users meet them (decision 0143): a fieldworker asks for a feed URL
over GraphQL and their calendar app polls it over HTTP; a customer adds their booking from the portal.
Each refusal is a typed error and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from core.actors import Actor, Channel
from core.bookings import calendar
from core.bookings import services as booking_services
from core.bookings.models import CalendarFeed
from core.workforce.models import Fieldworker, FieldworkerStatus
from tests import factories
from tests.core.support import db_state
from tests.web.portal.support import portal_client

from .conftest import gid
from .operations import ERRORS
from .over_http import gql, sign_in

CREATE = f"mutation($f: ID) {{ createCalendarFeed(fieldworkerId: $f) {{ url {ERRORS} }} }}"
REVOKE = f"mutation($f: ID) {{ revokeCalendarFeed(fieldworkerId: $f) {{ revoked {ERRORS} }} }}"


def poll(url: str):
    """What a calendar app gets from the feed URL: (status, parsed calendar or None)."""
    response = Client().get(url.removeprefix("http://127.0.0.1:8000").removeprefix("https://fieldops.example"))
    if response.status_code != 200:
        return response.status_code, None
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"].startswith("private")
    return 200, Calendar.from_ical(response.content)


def whole(moment):
    return moment.replace(microsecond=0)


def events(calendar) -> dict[str, dict]:
    return {str(event["summary"]): {"start": event.decoded("dtstart"), "end": event.decoded("dtend"),
                                    "status": str(event["status"]), "uid": str(event["uid"]),
                                    "location": str(event.get("location", ""))}
            for event in calendar.walk("VEVENT")}


def test_a_fieldworker_subscribes_to_their_jobs(world):
    fw_user = world.fw_a.user
    made = gql(fw_user, CREATE)["createCalendarFeed"]
    assert made["errors"] == [] and made["url"].endswith(".ics")
    status, calendar = poll(made["url"])
    assert status == 200
    booking = world.booking_a
    seen = events(calendar)
    assert list(seen) == [f"Job #{booking.number}: {world.cust_a.name}"]  # not fieldworker B's job
    job = seen[f"Job #{booking.number}: {world.cust_a.name}"]
    # to the second, as iCalendar keeps times
    assert (job["start"], job["end"]) == (whole(booking.scheduled_start), whole(booking.scheduled_end))
    assert job["status"] == "TENTATIVE" and job["location"] == world.prop_a.address  # not confirmed yet
    booking_services.booking_confirm(actor=world.staff, channel=Channel.SYSTEM, booking_id=booking.pk)
    assert events(poll(made["url"])[1])[f"Job #{booking.number}: {world.cust_a.name}"]["status"] == "CONFIRMED"
    assert job["uid"].startswith(f"booking-{booking.pk}@")

    # the booking moves: the same event (same UID) at the new time; cancelled: marked so the app drops it
    later = booking.scheduled_start + timedelta(days=1)
    booking_services.booking_update(actor=world.staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                    scheduled_start=later)
    moved = events(poll(made["url"])[1])[f"Job #{booking.number}: {world.cust_a.name}"]
    assert moved["uid"] == job["uid"] and moved["start"] == whole(later)
    booking_services.booking_cancel(actor=world.staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                    reason="rain", waive_fee=True)
    assert events(poll(made["url"])[1])[f"Job #{booking.number}: {world.cust_a.name}"]["status"] == "CANCELLED"
    # a new URL retires the old one; revoking retires the new one
    again = gql(fw_user, CREATE)["createCalendarFeed"]["url"]
    assert poll(made["url"]) == (404, None) and poll(again)[0] == 200
    assert gql(fw_user, REVOKE)["revokeCalendarFeed"] == {"revoked": 1, "errors": []}
    assert poll(again) == (404, None)
    assert CalendarFeed.objects.filter(fieldworker=world.fw_a, revoked_at__isnull=True).count() == 0


def test_staff_make_a_feed_for_any_fieldworker_and_a_blocked_one_reads_nothing(world):
    made = gql(world.staff.user, CREATE, f=gid("Fieldworker", world.fw_b.pk))["createCalendarFeed"]
    assert made["errors"] == []
    status, calendar = poll(made["url"])
    assert status == 200 and list(events(calendar)) == [f"Job #{world.booking_b.number}: {world.cust_b.name}"]
    Fieldworker.objects.filter(pk=world.fw_b.pk).update(status=FieldworkerStatus.BLOCKED)  # test set-up
    assert poll(made["url"]) == (404, None)


@pytest.mark.parametrize(("who", "target"), [
    ("fieldworker", "another"), ("customer", None), ("customer", "own"), ("anonymous", None), ("staff", None),
    ("staff", "missing"),
])
def test_refusals_are_not_found_and_write_nothing(world, who, target):
    users = {"fieldworker": world.fw_a.user, "customer": world.cust_a.user, "staff": world.staff.user}
    fieldworker = {"another": gid("Fieldworker", world.fw_b.pk), "own": gid("Fieldworker", world.fw_a.pk),
                   "missing": gid("Fieldworker", 10**9), None: None}[target]
    for user in users.values():
        sign_in(user)
    before = db_state()
    for query, key in ((CREATE, "createCalendarFeed"), (REVOKE, "revokeCalendarFeed")):
        if who == "anonymous":
            body = Client().post("/graphql/", {"query": query, "variables": {"f": fieldworker}},
                                 content_type="application/json").json()
            payload = body["data"][key] if body.get("data") else None
            assert payload is None or [e["code"] for e in payload["errors"]] in (["not_found"], ["unauthenticated"])
        else:
            payload = gql(users[who], query, f=fieldworker)[key]
            assert [(e["code"], e["field"]) for e in payload["errors"]] == [("not_found", "fieldworkerId")]
        assert db_state() == before
        assert not CalendarFeed.objects.exists()


def test_an_unknown_feed_is_404(db):
    assert poll("/calendar/not-a-real-secret.ics") == (404, None)
    assert poll("/calendar/" + "x" * 200 + ".ics") == (404, None)


def test_the_feed_costs_the_same_queries_for_two_jobs_or_twelve(db, company, django_assert_num_queries):
    staff = factories.staff_actor()
    fw = factories.fieldworker()
    _feed, url = calendar.calendar_feed_create(actor=staff, channel=Channel.SYSTEM, fieldworker_id=fw.pk)
    path = url.removeprefix("http://127.0.0.1:8000").removeprefix("https://fieldops.example")
    for count in (2, 12):
        while (made := Fieldworker.objects.get(pk=fw.pk).assignments.count()) < count:
            booking = factories.booking(start=timezone.now() + timedelta(days=2 + made))
            booking_services.booking_assign(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                            fieldworker_id=fw.pk, override_availability=True)
            booking_services.assignment_respond(actor=Actor.for_fieldworker(fw), channel=Channel.SYSTEM,
                                                booking_id=booking.pk, accept=True)
        with django_assert_num_queries(2):  # the feed and its fieldworker, the bookings with customer and place
            response = Client().get(path)
        assert len(Calendar.from_ical(response.content).walk("VEVENT")) == count


def test_a_customer_adds_their_booking_to_their_calendar_from_the_portal(world):
    portal = portal_client(world.cust_a)
    page = portal.get(f"/portal/bookings/{world.booking_a.pk}/").content.decode()
    assert f'href="/portal/bookings/{world.booking_a.pk}/calendar.ics"' in page
    response = portal.get(f"/portal/bookings/{world.booking_a.pk}/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("dtstart") == whole(world.booking_a.scheduled_start)
    assert f"booking #{world.booking_a.number}" in str(event["summary"])
    # someone else's booking reads like one that does not exist
    assert portal.get(f"/portal/bookings/{world.booking_b.pk}/calendar.ics").status_code == 404
    assert portal.get(f"/portal/bookings/{10**9}/calendar.ics").status_code == 404
