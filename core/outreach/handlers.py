"""Subscribers of booking events. Registered in ``OutreachConfig.ready``.

They run after the causing transaction committed (``core.events``) and are idempotent per
event: every record they write carries a unique key built from ``event.event_id``.
"""

from __future__ import annotations

from django.db import transaction

from core import events, rawsql
from core.actors import Actor, Channel
from core.bookings import series as booking_series
from core.bookings.models import Booking, BookingStatus
from core.workforce.models import Fieldworker

from . import emails, services
from .models import EmailKind, NotificationKind

SYSTEM = Channel.SYSTEM


def on_booking_created(event: events.BookingCreated) -> None:
    # An occurrence of a series is confirmed by the series' one e-mail (SeriesBooked), which lists
    # its dates; its reminder is still its own (decision 0621).
    if event.series_id is None:
        services.email_queue(actor=Actor.system(), channel=SYSTEM, kind=EmailKind.CONFIRMATION,
                             booking_id=event.booking_id, dedupe_key=f"confirmation:{event.event_id}")
    services.reminder_schedule(actor=Actor.system(), channel=SYSTEM, booking_id=event.booking_id)


def on_series_booked(event: events.SeriesBooked) -> None:
    services.email_queue(actor=Actor.system(), channel=SYSTEM, kind=EmailKind.SERIES_CONFIRMATION,
                         booking_id=event.booking_id, dedupe_key=f"series_confirmation:{event.event_id}")


def on_series_cancelled(event: events.SeriesCancelled) -> None:
    services.email_queue(actor=Actor.system(), channel=SYSTEM, kind=EmailKind.SERIES_CANCELLATION,
                         booking_id=event.booking_id, dedupe_key=f"series_cancellation:{event.event_id}")


def on_booking_updated(event: events.BookingUpdated) -> None:
    if "scheduled_start" in event.changed:
        services.reminder_schedule(actor=Actor.system(), channel=SYSTEM, booking_id=event.booking_id)


def on_booking_cancelled(event: events.BookingCancelled) -> None:
    # One transaction for the reminders withdrawn, the e-mail logged and the fieldworkers' notices:
    # one commit instead of one per write, and a failure leaves none of them half done. The e-mail
    # is handed to the Tasks API when it commits.
    # Durable, so dispatch has opened a savepoint for it already: no second one inside it.
    with transaction.atomic(savepoint=False):
        _on_booking_cancelled(event)


def _on_booking_cancelled(event: events.BookingCancelled) -> None:
    system = Actor.system()
    services.reminders_withdraw(actor=system, channel=SYSTEM, booking_id=event.booking_id, reason="cancelled")
    # with its customer: the e-mail's address, one read for both (the statement of decision 0409)
    booking = rawsql.get(Booking, event.booking_id, "customer")
    if booking is None:
        return
    # an occurrence cancelled with its series: the series' one notice (SeriesCancelled) lists its date
    if not booking_series.cancelled_with_series(booking):
        services.email_queue(actor=system, channel=SYSTEM, kind=EmailKind.CANCELLATION, booking=booking,
                             dedupe_key=f"cancellation:{event.event_id}")
    if not event.fieldworker_ids:
        return
    title = f"Booking #{booking.number} was cancelled"
    body = f"The job on {emails.when(booking)} is cancelled. You do not need to go."
    # The fieldworker who called the job off (when the company allows it) knows already.
    own = set(Fieldworker.objects.filter(pk__in=event.fieldworker_ids, user_id=event.actor_user_id)
              .values_list("pk", flat=True)) if event.actor_user_id and event.actor_kind == "fieldworker" else set()
    for fieldworker_id in event.fieldworker_ids:
        if fieldworker_id in own:
            continue
        services.notification_create(actor=system, channel=SYSTEM, fieldworker_id=fieldworker_id,
                                     kind=NotificationKind.BOOKING_CANCELLED, title=title, body=body,
                                     booking_id=booking.pk, dedupe_key=f"cancelled:{event.event_id}:{fieldworker_id}")


def _completed(event: events.BookingStatusChanged) -> bool:
    return event.new_status == BookingStatus.COMPLETED


def on_booking_completed(event: events.BookingStatusChanged) -> None:
    # the reminders to book again commit with the completion, or not at all (decision 0625)
    services.service_reminders_schedule(actor=Actor.system(), channel=SYSTEM, booking_id=event.booking_id)


def register() -> None:
    # durable: the log rows and their task rows are written in the transaction of the change
    events.subscribe(events.BookingCreated, on_booking_created, durable=True)
    events.subscribe(events.BookingUpdated, on_booking_updated, durable=True)
    events.subscribe(events.BookingCancelled, on_booking_cancelled, durable=True)
    events.subscribe(events.SeriesBooked, on_series_booked, durable=True)
    events.subscribe(events.SeriesCancelled, on_series_cancelled, durable=True)
    # only a completion schedules a reminder to book again: other changes open no savepoint for it (0045)
    events.subscribe(events.BookingStatusChanged, on_booking_completed, durable=True, when=_completed)
