"""Domain event subscribers: automated SMS, and the booking discussion brought to the customer.
Registered in ``SmsConfig.ready``.

They run after commit (``core.events.publish``) and only enqueue tasks, so a slow or failing
transport never touches the request that caused the event.
"""

from __future__ import annotations

from core import events
from core.actors import ActorKind, Channel

from .models import SmsKind
from .tasks import deliver_comment, send_booking_sms


def _enqueue_after_commit(kind: str, booking_id: int) -> None:
    # A task row in the transaction of the change (durable subscriber): the send itself, a network
    # call, happens in a worker once it committed, and never if it rolled back.
    send_booking_sms.enqueue(kind, booking_id)


def on_booking_created(event: events.BookingCreated) -> None:
    # An occurrence of a series: the series' one text (SeriesBooked) lists its dates (decision 0621).
    if event.series_id is not None:
        return
    _enqueue_after_commit(SmsKind.CONFIRMATION, event.booking_id)


def _texts_cancellation(event: events.BookingCancelled) -> bool:
    # A cancel made by SMS is answered in the SMS conversation itself; a second text saying the
    # same would be noise (and the customer just read the reply).
    return event.channel != Channel.SMS


def on_booking_cancelled(event: events.BookingCancelled) -> None:
    if not _texts_cancellation(event):
        return
    # (an occurrence cancelled with its series is left out by the task: SeriesCancelled covers it)
    _enqueue_after_commit(SmsKind.CANCELLATION, event.booking_id)


def _for_the_customer(event: events.CommentAdded) -> bool:
    # Only what staff or a fieldworker wrote for the customer to read: never an internal note, never
    # the customer's own message (they know what they wrote).
    return event.visible_to_customer and event.actor_kind in (ActorKind.STAFF, ActorKind.FIELDWORKER)


def on_comment_added(event: events.CommentAdded) -> None:
    if not _for_the_customer(event):
        return
    comment_id = event.comment_id
    deliver_comment.enqueue(comment_id)


def on_series_booked(event: events.SeriesBooked) -> None:
    _enqueue_after_commit(SmsKind.SERIES_CONFIRMATION, event.booking_id)


def on_series_cancelled(event: events.SeriesCancelled) -> None:
    _enqueue_after_commit(SmsKind.SERIES_CANCELLATION, event.booking_id)


def register() -> None:
    # durable: they run in the transaction of the change, so their task rows commit with it
    events.subscribe(events.BookingCreated, on_booking_created, durable=True)
    events.subscribe(events.BookingCancelled, on_booking_cancelled, durable=True, when=_texts_cancellation)
    events.subscribe(events.CommentAdded, on_comment_added, durable=True, when=_for_the_customer)
    events.subscribe(events.SeriesBooked, on_series_booked, durable=True)
    events.subscribe(events.SeriesCancelled, on_series_cancelled, durable=True)
