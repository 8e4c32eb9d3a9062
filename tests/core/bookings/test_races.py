"""Races that row locks decide: two accepts for one place, two cancels, parallel booking numbers.

These need real concurrent transactions, so they run on PostgreSQL (SQLite's in-memory test
database cannot hold two writers at once)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import AssignmentStatus, Booking, BookingAssignment, BookingEvent
from core.errors import DomainError
from tests import factories

pytestmark = [
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent row locks are tested on PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment in threads; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def seen():
    got: list = []
    events.subscribe(events.DomainEvent, got.append)
    yield got
    events.unsubscribe(events.DomainEvent, got.append)


def _booking():
    svc = factories.service(price=Decimal("100"))
    return factories.booking(svc=svc, start=timezone.now() + timedelta(days=2))


def test_two_accepts_for_one_place(seen):
    booking = _booking()
    staff = factories.staff_actor()
    workers = [factories.fieldworker() for _ in range(4)]
    for worker in workers:
        services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk, fieldworker_id=worker.pk)
    seen.clear()
    results = race(*[
        (lambda w=w: services.assignment_respond(actor=Actor.for_fieldworker(w), channel=Channel.TELEGRAM,
                                                 booking_id=booking.pk, accept=True))
        for w in workers
    ])
    won = [r for r in results if isinstance(r, BookingAssignment)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 3, results
    assert {e.code for e in lost} == {"job_taken"}
    assert BookingAssignment.objects.filter(booking=booking, status=AssignmentStatus.ACCEPTED).count() == 1
    assert BookingEvent.objects.filter(booking=booking, action="accepted").count() == 1
    assert [e.name for e in seen] == ["AssignmentResponded"]


def test_two_cancels(seen):
    booking = _booking()
    staff = factories.staff_actor()
    customer = Actor.for_customer(booking.customer)
    seen.clear()
    results = race(
        lambda: services.booking_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="office"),
        lambda: services.booking_cancel(actor=customer, channel=Channel.SMS, booking_id=booking.pk, reason="sms"),
    )
    assert sum(isinstance(r, Booking) for r in results) == 1, results
    assert [r.code for r in results if isinstance(r, DomainError)] == ["already_cancelled"]
    assert BookingEvent.objects.filter(booking=booking, action="cancelled").count() == 1
    assert [e.name for e in seen] == ["BookingCancelled"]


def test_parallel_creates_get_distinct_consecutive_numbers():
    customer = factories.customer()
    svc = factories.service()
    factories.booking(cust=customer, svc=svc)  # the counter row exists
    start = timezone.now() + timedelta(days=5)

    def create(offset: int):
        return services.booking_create(
            actor=Actor.system(), channel=Channel.SYSTEM, customer_id=customer.pk,
            scheduled_start=start + timedelta(hours=offset),
            lines=[services.LineInput(service_id=svc.pk)])

    results = race(*[(lambda i=i: create(i)) for i in range(5)])
    assert all(isinstance(r, Booking) for r in results), results
    numbers = sorted(r.number for r in results)
    first = Booking.objects.order_by("number").first().number
    assert numbers == list(range(first + 1, first + 6))
