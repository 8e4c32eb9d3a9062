from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.jobdata.events import JobDataEvent
from tests import factories
from tests.conftest import EventRecorder


@pytest.fixture
def published(db) -> Iterator[EventRecorder]:
    """Booking events and job data events alike."""
    recorder = EventRecorder()
    events.subscribe(events.DomainEvent, recorder.seen.append)
    events.subscribe(JobDataEvent, recorder.seen.append)
    try:
        yield recorder
    finally:
        events.unsubscribe(events.DomainEvent, recorder.seen.append)
        events.unsubscribe(JobDataEvent, recorder.seen.append)


def png_data_url(width: int = 40, height: int = 20) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 0, 0)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def accept(booking, fieldworker) -> None:
    booking_services.booking_assign(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=fieldworker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(fieldworker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)


def offer(booking, fieldworker) -> None:
    booking_services.booking_assign(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=fieldworker.pk)


@pytest.fixture
def service(db):
    return factories.service(name="Carpet clean")


@pytest.fixture
def booking(db, service, customer):
    return factories.booking(cust=customer, svc=service)
