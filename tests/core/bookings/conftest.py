from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import Booking, BookingEvent
from tests import factories


@pytest.fixture
def svc(db):
    return factories.service(name="Deep clean", price=Decimal("100.00"), tax_rate=Decimal("10.00"),
                             duration_minutes=120)


@pytest.fixture
def booking(customer, svc, published) -> Booking:
    """A pending booking of ``customer`` three days ahead; its creation events are cleared."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    made = factories.booking(cust=customer, svc=svc, start=start)
    published.clear()
    return made


def offer(booking: Booking, fieldworker, *, accept: bool = False):
    staff = factories.staff_actor()
    assignment = services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                         fieldworker_id=fieldworker.pk)
    if accept:
        assignment = services.assignment_respond(actor=Actor.for_fieldworker(fieldworker), channel=Channel.TELEGRAM,
                                                 booking_id=booking.pk, accept=True)
    return assignment


ACTOR_KINDS = ("staff", "accepted_fw", "offered_fw", "unassigned_fw", "own_customer", "other_customer",
               "system", "anonymous")


@pytest.fixture
def actor_for(db, published):
    """``actor_for(kind, booking)``: an actor of that kind relative to ``booking``."""

    def make(kind: str, booking: Booking) -> Actor:
        if kind == "staff":
            actor = factories.staff_actor()
        elif kind in ("accepted_fw", "offered_fw"):
            worker = factories.fieldworker()
            offer(booking, worker, accept=kind == "accepted_fw")
            actor = Actor.for_fieldworker(worker)
        elif kind == "unassigned_fw":
            actor = Actor.for_fieldworker(factories.fieldworker())
        elif kind == "own_customer":
            actor = Actor.from_user(booking.customer.user) if booking.customer.user else Actor.for_customer(
                booking.customer)
        elif kind == "other_customer":
            actor = Actor.from_user(factories.customer(with_login=True).user)
        elif kind == "system":
            actor = Actor.system()
        else:
            actor = Actor.anonymous()
        published.clear()
        return actor

    return make


def last_row(booking: Booking) -> BookingEvent:
    return BookingEvent.objects.filter(booking=booking).order_by("-id").first()


def new_rows(booking: Booking, since: int) -> list[BookingEvent]:
    return list(BookingEvent.objects.filter(booking=booking, pk__gt=since).order_by("id"))


def max_row_id() -> int:
    row = BookingEvent.objects.order_by("-id").first()
    return row.pk if row else 0
