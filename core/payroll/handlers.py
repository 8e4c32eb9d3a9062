"""Subscribers, registered in ``PayrollConfig.ready``. Durable (decision 0030), like the automatic
invoices: the pay of a completed booking commits with its completion, or not at all (decision 0852)."""

from __future__ import annotations

import logging

from core import events
from core.actors import Actor, Channel
from core.bookings.models import BookingStatus
from core.errors import DomainError

from . import services

logger = logging.getLogger(__name__)


def _completed(event: events.BookingStatusChanged) -> bool:
    return event.new_status == BookingStatus.COMPLETED


def on_booking_status_changed(event: events.BookingStatusChanged) -> None:
    try:
        services.booking_pay_compute(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=event.booking_id)
    except DomainError as exc:  # computed already: nothing to do
        logger.info("no pay computed for booking %s: %s", event.booking_id, exc.code)


def register() -> None:
    # only a completion concerns pay: other changes open no savepoint for it (decision 0045)
    events.subscribe(events.BookingStatusChanged, on_booking_status_changed, durable=True, when=_completed)
