"""Domain event subscribers: automated SMS. Registered in ``NotificationsConfig.ready``.

They run after commit (``core.events.publish``) and only enqueue tasks, so a slow or failing
transport never touches the request that caused the event.
"""

from __future__ import annotations

from core import events
from core.actors import Channel

from .models import SmsKind
from .tasks import send_booking_sms


def on_booking_created(event: events.BookingCreated) -> None:
    send_booking_sms.enqueue(SmsKind.CONFIRMATION, event.booking_id)


def on_booking_cancelled(event: events.BookingCancelled) -> None:
    # A cancel made by SMS is answered in the SMS conversation itself; a second text saying the
    # same would be noise (and the customer just read the reply).
    if event.channel == Channel.SMS:
        return
    send_booking_sms.enqueue(SmsKind.CANCELLATION, event.booking_id)


def register() -> None:
    events.subscribe(events.BookingCreated, on_booking_created)
    events.subscribe(events.BookingCancelled, on_booking_cancelled)
