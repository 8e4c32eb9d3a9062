"""Moving a booking from the portal and from an e-mail link: a page of free times in the booking's
time zone (a GET changes nothing), a POST with CSRF moves it; refusals change nothing (0142)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

import pytest
from django.test import Client

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingEvent
from tests import factories
from tests.core.outreach.support import db_state, deliver, set_company
from tests.scheduling_support import job, next_weekday, weekdays_9_to_5

from .support import link, portal_client

pytestmark = pytest.mark.django_db
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


def text(response) -> str:
    return response.content.decode()


def csrf_from(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(response)).group(1)


def offered(response) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', text(response))


@pytest.fixture
def tuesday(db):
    """A Sydney business; next Tuesday 10:00-12:00 Sydney time, accepted by a weekday 9-to-5 worker."""
    set_company(time_zone="Australia/Sydney", customers_may_reschedule=True, reschedule_notice_hours=24)
    worker = weekdays_9_to_5(factories.fieldworker(hours=()))
    customer = factories.customer()
    booking = job(next_weekday(1, hour=10, tz=SYDNEY), cust=customer)
    booking_services.booking_assign(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)
    deliver()
    return booking


def test_a_signed_in_customer_picks_a_free_time(tuesday):
    client = portal_client(tuesday.customer, enforce_csrf_checks=True)
    view = client.get(f"/portal/bookings/{tuesday.pk}/")
    assert f'href="/portal/bookings/{tuesday.pk}/move"' in text(view)

    before = db_state()
    for method in (client.get, client.head):
        assert method(f"/portal/bookings/{tuesday.pk}/move").status_code == 200
    page = client.get(f"/portal/bookings/{tuesday.pk}/move")
    starts = offered(page)
    assert len(starts) == 20
    first = datetime.fromisoformat(starts[0]).astimezone(SYDNEY)
    assert first.hour >= 9 and first.weekday() < 5  # the worker's hours, in Sydney
    assert first.strftime("%A %-d %B") in text(page)  # days and times shown in the booking's zone
    assert f'value="{starts[0]}" required> {first:%-I:%M %p}' in text(page)
    assert db_state() == before

    assert client.post(f"/portal/bookings/{tuesday.pk}/move", {"start": starts[5]}).status_code == 403  # no CSRF
    assert db_state() == before

    moved = client.post(f"/portal/bookings/{tuesday.pk}/move",
                        {"start": starts[5], "csrfmiddlewaretoken": csrf_from(page)})
    assert moved.status_code == 303 and moved["Location"] == f"/portal/bookings/{tuesday.pk}/"
    tuesday.refresh_from_db()
    assert tuesday.scheduled_start == datetime.fromisoformat(starts[5])
    row = BookingEvent.objects.filter(booking=tuesday).latest("id")
    assert (row.action, row.channel, row.actor_kind) == ("rescheduled", "portal", "customer")


def test_a_time_that_was_not_offered_or_no_time_changes_nothing(tuesday):
    client = portal_client(tuesday.customer)
    saturday = next_weekday(5, hour=10, tz=SYDNEY)
    before = db_state()
    refused = client.post(f"/portal/bookings/{tuesday.pk}/move", {"start": saturday.isoformat()})
    assert refused.status_code == 409 and "That time is no longer free" in text(refused)
    assert offered(refused)  # the page offers the free times again
    for bad in ("", "tomorrow", saturday.replace(tzinfo=None).isoformat()):
        response = client.post(f"/portal/bookings/{tuesday.pk}/move", {"start": bad})
        assert response.status_code == 400 and "Please pick one of the times." in text(response)
    assert db_state() == before


def test_when_the_company_does_not_allow_it_there_is_no_link_and_no_move(tuesday):
    set_company(customers_may_reschedule=False, phone="+61 2 9999 0000")
    client = portal_client(tuesday.customer)
    assert "/move" not in text(client.get(f"/portal/bookings/{tuesday.pk}/"))
    before = db_state()
    page = client.get(f"/portal/bookings/{tuesday.pk}/move")
    assert page.status_code == 403 and "cannot be moved online" in text(page) and "+61299990000" in text(page)
    post = client.post(f"/portal/bookings/{tuesday.pk}/move", {"start": tuesday.scheduled_start.isoformat()})
    assert post.status_code == 403
    assert db_state() == before


def test_another_customers_booking_is_not_found(tuesday):
    stranger = portal_client(factories.customer())
    before = db_state()
    assert stranger.get(f"/portal/bookings/{tuesday.pk}/move").status_code == 404
    assert stranger.post(f"/portal/bookings/{tuesday.pk}/move",
                         {"start": tuesday.scheduled_start.isoformat()}).status_code == 404
    assert db_state() == before


def test_the_email_link_moves_it_too(tuesday):
    client = Client()
    page = client.get(link(tuesday, "move"))
    starts = offered(page)
    assert page.status_code == 200 and starts
    assert client.post(link(tuesday, "move"), {"start": starts[0]}).status_code == 303
    tuesday.refresh_from_db()
    assert tuesday.scheduled_start == datetime.fromisoformat(starts[0])
    assert BookingEvent.objects.filter(booking=tuesday).latest("id").channel == "email_link"
