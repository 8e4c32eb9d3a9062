"""confirm, start and complete with each kind of actor."""

from __future__ import annotations

import pytest

from core import events
from core.actors import Channel
from core.bookings import services
from core.bookings.models import Booking, BookingStatus
from tests.core.support import assert_refused

from .conftest import ACTOR_KINDS, last_row

CONFIRM = {"staff": None, "own_customer": None, "system": None, "accepted_fw": "forbidden",
           "offered_fw": "forbidden", "unassigned_fw": "not_found", "other_customer": "not_found",
           "anonymous": "not_found"}
START_OR_COMPLETE = {"staff": None, "accepted_fw": None, "system": None, "offered_fw": "not_accepted",
                     "own_customer": "forbidden", "unassigned_fw": "not_found", "other_customer": "not_found",
                     "anonymous": "not_found"}


def _succeeded(booking, actor, published, *, action, old, new, stamp):
    booking.refresh_from_db()
    assert booking.status == new
    assert getattr(booking, stamp) is not None
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == (action, actor.kind, actor.user_id,
                                                                            "telegram")
    assert row.changes == {"status": [old, new]}
    [event] = published.all()
    assert type(event) is events.BookingStatusChanged
    assert (event.event_id, event.old_status, event.new_status, event.actor_kind, event.actor_user_id) == (
        row.pk, old, new, actor.kind, actor.user_id)


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_confirm(kind, booking, actor_for, published):
    actor = actor_for(kind, booking)

    def call():
        return services.booking_confirm(actor=actor, channel=Channel.TELEGRAM, booking_id=booking.pk)

    if CONFIRM[kind] is None:
        call()
        _succeeded(booking, actor, published, action="confirmed", old="pending", new="confirmed",
                   stamp="confirmed_at")
    else:
        assert_refused(call, CONFIRM[kind], published=published)


def _confirmed(booking, staff_actor, published):
    services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk)
    published.clear()
    return booking


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_start(kind, booking, actor_for, staff_actor, published):
    actor = actor_for(kind, booking)
    _confirmed(booking, staff_actor, published)

    def call():
        return services.booking_start(actor=actor, channel=Channel.TELEGRAM, booking_id=booking.pk)

    if START_OR_COMPLETE[kind] is None:
        call()
        _succeeded(booking, actor, published, action="started", old="confirmed", new="in_progress",
                   stamp="started_at")
    else:
        assert_refused(call, START_OR_COMPLETE[kind], published=published)


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_complete(kind, booking, actor_for, staff_actor, published):
    actor = actor_for(kind, booking)
    _confirmed(booking, staff_actor, published)
    services.booking_start(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk)
    published.clear()

    def call():
        return services.booking_complete(actor=actor, channel=Channel.TELEGRAM, booking_id=booking.pk)

    if START_OR_COMPLETE[kind] is None:
        call()
        _succeeded(booking, actor, published, action="completed", old="in_progress", new="completed",
                   stamp="completed_at")
    else:
        assert_refused(call, START_OR_COMPLETE[kind], published=published)


def test_a_fieldworker_cannot_skip_a_step(booking, actor_for, published):
    worker = actor_for("accepted_fw", booking)
    assert_refused(lambda: services.booking_start(actor=worker, channel=Channel.TELEGRAM, booking_id=booking.pk),
                   "illegal_transition", field="status", published=published)
    assert_refused(lambda: services.booking_complete(actor=worker, channel=Channel.TELEGRAM, booking_id=booking.pk),
                   "illegal_transition", field="status", published=published)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING


def test_a_declined_fieldworker_loses_the_booking(booking, actor_for, staff_actor, published):
    from core.actors import Actor
    from tests import factories

    from .conftest import offer

    worker = factories.fieldworker()
    offer(booking, worker)
    services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM, booking_id=booking.pk,
                                accept=False, reason="sick")
    _confirmed(booking, staff_actor, published)
    assert_refused(lambda: services.booking_start(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                                  booking_id=booking.pk), "not_found", published=published)


def test_unknown_booking_is_not_found(staff_actor, published):
    assert_refused(lambda: services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=10**9),
                   "not_found", published=published)


# --- Booking.save_columns: the compiled UPDATE behind every confirm and cancel ----------------------

@pytest.mark.django_db
def test_save_columns_writes_the_named_columns_and_the_stamp_and_nothing_else():
    from django.utils import timezone

    from tests import factories

    booking = factories.booking()
    before = booking.updated_at
    Booking.objects.filter(pk=booking.pk).update(notes="written by someone else meanwhile")
    booking.status, booking.confirmed_at = BookingStatus.CONFIRMED, timezone.now()
    booking.notes = "not named: not written"
    booking.save_columns("status", "confirmed_at")
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.status, stored.confirmed_at) == (BookingStatus.CONFIRMED, booking.confirmed_at)
    assert stored.notes == "written by someone else meanwhile"
    assert stored.updated_at == booking.updated_at >= before  # stamped as auto_now would


@pytest.mark.django_db
def test_save_columns_with_a_changed_property_moves_the_coordinates_along_as_save_does():
    from tests import factories

    booking = factories.booking()
    elsewhere = factories.property_for(booking.customer, latitude=-33.9, longitude=151.2)
    booking = Booking.objects.get(pk=booking.pk)
    booking.property = elsewhere
    booking.status = BookingStatus.CONFIRMED
    booking.save_columns("status", "property")
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.property_id, stored.status) == (elsewhere.pk, BookingStatus.CONFIRMED)
    assert (float(stored.latitude), float(stored.longitude)) == (-33.9, 151.2)


@pytest.mark.django_db
def test_save_columns_of_a_booking_that_is_gone_fails_as_save_does():
    from django.db import DatabaseError

    from tests import factories

    booking = factories.booking()
    Booking.objects.filter(pk=booking.pk).delete()
    booking.status = BookingStatus.CONFIRMED
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        booking.save_columns("status")
    assert not Booking.objects.filter(pk=booking.pk).exists()
