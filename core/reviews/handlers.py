"""Subscribers of booking events (registered in ``ReviewsConfig.ready``)."""

from __future__ import annotations

from core import events
from core.actors import Actor, Channel
from core.bookings.models import BookingStatus

from . import services


def _completed(event: events.BookingStatusChanged) -> bool:
    return event.new_status == BookingStatus.COMPLETED


def on_booking_completed(event: events.BookingStatusChanged) -> None:
    # the request commits with the completion, or not at all (decision 0630)
    services.review_request_schedule(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=event.booking_id)


def register() -> None:
    # durable and only for a completion: other status changes (a confirmation by SMS) open no savepoint
    # for it and read nothing (0045)
    events.subscribe(events.BookingStatusChanged, on_booking_completed, durable=True, when=_completed)
