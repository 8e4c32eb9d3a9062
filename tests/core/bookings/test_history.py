"""The history log is append-only, mirrors every event, and nothing leaves before the commit."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from core.actors import Channel
from core.bookings import services
from core.bookings.models import Booking, BookingEvent, BookingLine
from tests.core.support import db_state

from .conftest import last_row


def test_history_rows_cannot_be_rewritten(booking):
    row = last_row(booking)
    row.action = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        row.save()
    assert last_row(booking).action == "created"


def test_event_fields_mirror_the_history_row(booking, staff_actor, published):
    services.booking_confirm(actor=staff_actor, channel=Channel.ADMIN, booking_id=booking.pk)
    row = last_row(booking)
    [event] = published.all()
    assert (event.event_id, event.booking_id, event.channel, event.actor_kind, event.actor_user_id,
            event.occurred_at) == (row.pk, booking.pk, row.channel, row.actor_kind, row.actor_user_id,
                                   row.at.isoformat())
    assert row.actor_label == staff_actor.label


def test_work_rolled_back_by_the_caller_publishes_nothing(booking, staff_actor, published):
    before = db_state()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk)
        services.comment_add(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, body="hi")
        raise RuntimeError("the caller gives up")
    assert published.names == []
    assert db_state() == before


def test_the_database_refuses_what_the_services_refuse(booking):
    """Belt and braces: the check constraints hold even for writes that bypass the services."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(scheduled_end=booking.scheduled_start)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingLine.objects.filter(booking=booking).update(quantity=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(cancellation_fee=-1)
    assert BookingEvent.objects.filter(booking=booking).count() == 1
