"""Bookings in calendar apps (decision 0143): iCalendar (RFC 5545) built with ``icalendar``.

* A fieldworker's feed: a secret URL a calendar app (Google Calendar's "From URL", Apple Calendar,
  Outlook) subscribes to and polls. It lists the jobs they accepted from 30 days back to a year ahead,
  cancelled ones as ``STATUS:CANCELLED`` so that the app takes them off. One live feed per
  fieldworker; a new one retires the last, and revoking it makes the URL answer 404.
* One booking for its customer ("add to calendar" on the portal and booking link pages).

Each event's ``UID`` is the booking's, so an app updates the event in place when the booking moves;
``SEQUENCE`` and ``LAST-MODIFIED`` follow the booking's last change. Times are UTC: every app shows
them in the viewer's zone.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event

from core.actors import Actor, Channel
from core.errors import NotFound
from core.workforce.models import Fieldworker, FieldworkerStatus

from .models import AssignmentStatus, Booking, BookingStatus, CalendarFeed

PAST_DAYS = 30
AHEAD_DAYS = 365
PRODUCT_ID = "-//Fieldops//Bookings//EN"
_STATUS = {BookingStatus.CANCELLED: "CANCELLED", BookingStatus.PENDING: "TENTATIVE"}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def feed_url(raw: str) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/calendar/{raw}.ics"


def _fieldworker_for(actor: Actor, fieldworker_id: int | None) -> Fieldworker:
    """Staff name any fieldworker; a fieldworker only themself (someone else's id reads as missing)."""
    if fieldworker_id is None and actor.is_fieldworker:
        fieldworker_id = actor.fieldworker_id
    own = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if fieldworker_id is None or not (actor.is_staff or own):
        raise NotFound("fieldworker", field="fieldworkerId")
    fieldworker = Fieldworker.objects.filter(pk=fieldworker_id).first()
    if fieldworker is None:
        raise NotFound("fieldworker", field="fieldworkerId")
    return fieldworker


def calendar_feed_create(*, actor: Actor, channel: Channel,
                         fieldworker_id: int | None = None) -> tuple[CalendarFeed, str]:
    """A new feed for the fieldworker, retiring their last one. Returns the row and the secret URL,
    which is shown this once."""
    fieldworker = _fieldworker_for(actor, fieldworker_id)
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        CalendarFeed.objects.filter(fieldworker=fieldworker, revoked_at__isnull=True).update(revoked_at=now)
        feed = CalendarFeed.objects.create(fieldworker=fieldworker, token_hash=_hash(raw), created_at=now,
                                           created_by=actor.user)
    return feed, feed_url(raw)


def calendar_feed_revoke(*, actor: Actor, channel: Channel, fieldworker_id: int | None = None) -> int:
    """Retire the fieldworker's live feed: its URL answers 404 from now on. Returns how many were live."""
    fieldworker = _fieldworker_for(actor, fieldworker_id)
    return CalendarFeed.objects.filter(fieldworker=fieldworker, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def feed_fieldworker(raw: str) -> Fieldworker | None:
    """The fieldworker of a live feed's secret, or None (unknown, retired, or the fieldworker is
    blocked)."""
    if not raw or len(raw) > 100:
        return None
    feed = (CalendarFeed.objects.select_related("fieldworker")
            .filter(token_hash=_hash(raw), revoked_at__isnull=True).first())
    if feed is None or feed.fieldworker.status == FieldworkerStatus.BLOCKED:
        return None
    return feed.fieldworker


def _event(booking: Booking, summary: str, description: str) -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.pk}@{getattr(settings, 'OUTREACH_MESSAGE_ID_DOMAIN', 'fieldops.local')}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.scheduled_start)
    event.add("dtend", booking.scheduled_end)
    event.add("summary", summary)
    if booking.property is not None:
        event.add("location", booking.property.address)
    if description:
        event.add("description", description)
    event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
    event.add("last-modified", booking.updated_at)
    event.add("sequence", int(booking.updated_at.timestamp()) // 60 % 2**31)  # grows with every change
    return event


def _calendar(name: str, events: Iterable[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def fieldworker_calendar(fieldworker: Fieldworker) -> bytes:
    """The jobs a fieldworker accepted, as their calendar app shows them. One query."""
    now = timezone.now()
    bookings = (Booking.objects.select_related("customer", "property")
                .filter(assignments__fieldworker=fieldworker, assignments__status=AssignmentStatus.ACCEPTED,
                        scheduled_start__gte=now - timedelta(days=PAST_DAYS),
                        scheduled_start__lte=now + timedelta(days=AHEAD_DAYS))
                .order_by("scheduled_start", "pk"))
    events = []
    for booking in bookings:
        notes = [booking.notes] if booking.notes else []
        if booking.property is not None and booking.property.access_notes:
            notes.append(f"Access: {booking.property.access_notes}")
        events.append(_event(booking, f"Job #{booking.number}: {booking.customer.name}", "\n".join(notes)))
    return _calendar(f"Jobs of {fieldworker.name}", events)


def booking_calendar(booking: Booking, business: str) -> bytes:
    """One booking for its customer's calendar."""
    return _calendar(business, [_event(booking, f"{business}: booking #{booking.number}", "")])
