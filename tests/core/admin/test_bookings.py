"""Bookings in the Django admin: read only, with the timeline and the comments newest first."""

from __future__ import annotations

import pytest

from core.actors import Channel
from core.bookings import services
from core.bookings.models import Booking, BookingComment, BookingEvent
from tests import factories

from .support import inline_rows

pytestmark = pytest.mark.django_db


def test_the_booking_page_shows_timeline_and_comments_newest_first_and_saves_nothing(browser, staff_actor):
    booking = factories.booking()
    services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk)
    for body in ("first note", "second note"):
        services.comment_add(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, body=body)
    url = f"/admin/bookings/booking/{booking.pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    actions = inline_rows(page, BookingEvent, "action")
    newest_first = list(BookingEvent.objects.filter(booking=booking).order_by("-at", "-id")
                        .values_list("action", flat=True))
    assert actions == newest_first and actions[-1] == "created" and len(actions) >= 3
    assert inline_rows(page, BookingComment, "body") == ["second note", "first note"]
    before = list(Booking.objects.values())
    assert browser.post(url, {"status": "cancelled"}).status_code == 403
    assert list(Booking.objects.values()) == before


def test_bookings_are_found_by_the_customers_number_as_typed(browser):
    ann = factories.customer(mobile="+61412345001")
    mine = factories.booking(cust=ann)
    factories.booking()
    page = browser.get("/admin/bookings/booking/", {"q": "0412 345 001"})
    assert [b.pk for b in page.context["cl"].result_list] == [mine.pk]


def test_staff_stop_a_fieldworkers_calendar_feed_in_the_admin(browser):
    from django.test import Client

    from core.actors import Actor, Channel
    from core.bookings import calendar
    from core.bookings.models import CalendarFeed

    fieldworker = factories.fieldworker()
    feed, url = calendar.calendar_feed_create(actor=Actor.for_fieldworker(fieldworker), channel=Channel.SYSTEM)
    path = url.split("127.0.0.1:8000", 1)[-1]
    assert Client().get(path).status_code == 200
    listing = browser.get("/admin/bookings/calendarfeed/").content.decode()
    assert fieldworker.name in listing and path not in listing  # the secret is never shown again
    response = browser.post("/admin/bookings/calendarfeed/", {"action": "revoke", "_selected_action": [feed.pk]})
    assert response.status_code == 302
    assert CalendarFeed.objects.get().revoked_at is not None
    assert Client().get(path).status_code == 404
