"""The transition table, exhaustively: every (from, to) pair through the services."""

from __future__ import annotations

import itertools

import pytest

from core import events
from core.actors import ActorKind, Channel
from core.bookings import services
from core.bookings.models import TRANSITIONS, Booking, BookingStatus
from tests.core.support import assert_refused

from .conftest import new_rows

ALL = list(BookingStatus.values)
ACTION = {BookingStatus.CONFIRMED: "confirmed", BookingStatus.IN_PROGRESS: "started",
          BookingStatus.COMPLETED: "completed", BookingStatus.CANCELLED: "cancelled"}
STAMP = {BookingStatus.CONFIRMED: "confirmed_at", BookingStatus.IN_PROGRESS: "started_at",
         BookingStatus.COMPLETED: "completed_at", BookingStatus.CANCELLED: "cancelled_at"}
PATH = {  # how to reach each state through the services
    BookingStatus.PENDING: [],
    BookingStatus.CONFIRMED: [BookingStatus.CONFIRMED],
    BookingStatus.IN_PROGRESS: [BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS],
    BookingStatus.COMPLETED: [BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED],
    BookingStatus.CANCELLED: [BookingStatus.CANCELLED],
}


def test_table_covers_every_status_and_only_open_states_move():
    assert set(TRANSITIONS) == set(ALL)
    for source, targets in TRANSITIONS.items():
        assert targets <= set(ALL)
        assert (source in (BookingStatus.COMPLETED, BookingStatus.CANCELLED)) == (not targets)
        if targets:
            assert BookingStatus.CANCELLED in targets  # cancelled from any open state
    assert BookingStatus.PENDING not in set().union(*TRANSITIONS.values())  # nothing goes back


def _reach(booking: Booking, status: str, staff_actor) -> Booking:
    for step in PATH[status]:
        services.booking_set_status(actor=staff_actor, channel=Channel.ADMIN, booking_id=booking.pk, status=step,
                                    reason="setting up")
    booking.refresh_from_db()
    assert booking.status == status
    return booking


@pytest.mark.parametrize(("source", "target"), list(itertools.product(ALL, ALL)))
def test_every_pair(booking, staff, staff_actor, published, source, target):
    booking = _reach(booking, source, staff_actor)
    published.clear()
    last_id = booking.history.order_by("-id").first().pk

    def call():
        return services.booking_set_status(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                           status=target, reason="customer asked")

    if target in TRANSITIONS[source]:
        assert booking.can_move_to(target)
        result = call()
        assert result.status == target
        booking.refresh_from_db()
        assert booking.status == target
        assert getattr(booking, STAMP[target]) is not None
        [row] = new_rows(booking, last_id)
        assert row.action == ACTION[target]
        assert row.actor_kind == ActorKind.STAFF
        assert row.actor_user_id == staff.pk
        assert row.channel == Channel.GRAPHQL
        assert row.changes == {"status": [source, target]}
        [event] = published.all()
        expected_type = events.BookingCancelled if target == BookingStatus.CANCELLED else events.BookingStatusChanged
        assert type(event) is expected_type
        assert (event.event_id, event.booking_id, event.old_status, event.new_status) == (
            row.pk, booking.pk, source, target)
        assert (event.channel, event.actor_kind, event.actor_user_id) == ("graphql", "staff", staff.pk)
    else:
        assert not booking.can_move_to(target)
        if source == target == BookingStatus.CANCELLED:
            code = "already_cancelled"
        elif source == target == BookingStatus.CONFIRMED:
            code = "already_confirmed"
        else:
            code = "illegal_transition"
        assert_refused(call, code, published=published)


def test_unknown_status_is_a_validation_error_not_a_crash(booking, staff_actor, published):
    assert_refused(
        lambda: services.booking_set_status(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                            status="bogus"),
        "invalid", field="status", published=published,
    )
