"""Event -> group routing and message contents, without a socket."""

from __future__ import annotations

import msgpack
import pytest
from channels.layers import BaseChannelLayer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import events
from core.actors import Channel
from core.bookings import services as bookings
from realtime import broadcast
from realtime.groups import KIND_ACCESS_REVOKED, MESSAGE_TYPE

pytestmark = pytest.mark.django_db


def only(published, event_type):
    [event] = published.of(event_type)
    return event


def test_comment_goes_to_its_booking_only_and_costs_no_query(world_db, published):
    w = world_db
    bookings.comment_add(actor=w["staff"], channel=Channel.SMS, booking_id=w["booking"].pk, body="hi",
                         visible_to_customer=True)
    event = only(published, events.CommentAdded)
    with CaptureQueriesContext(connection) as queries:
        pairs = broadcast.messages_for(event)
    assert len(queries) == 0
    [(group, message)] = pairs
    assert group == f"booking.{w['booking'].pk}"
    assert message["type"] == MESSAGE_TYPE and message["action"] == "comment_added"
    assert message["event_id"] == event.event_id and message["booking_id"] == w["booking"].pk
    assert message["details"]["body"] == "hi" and message["details"]["visible_to_customer"] is True
    assert message["channel"] == "sms"


def test_changes_go_to_booking_board_and_each_fieldworker_with_one_snapshot(world_db, published):
    w = world_db
    bookings.booking_confirm(actor=w["staff"], channel=Channel.GRAPHQL, booking_id=w["booking"].pk)
    event = only(published, events.BookingStatusChanged)
    with CaptureQueriesContext(connection) as queries:
        pairs = broadcast.messages_for(event)
    assert len(queries) <= 3  # booking + assignments with fieldworkers, whatever the number of subscribers
    groups = [group for group, _ in pairs]
    assert groups == [f"booking.{w['booking'].pk}", "bookings", f"fieldworker.{w['fieldworker'].pk}"]
    message = pairs[0][1]
    assert message["booking"]["status"] == "confirmed"
    assert message["booking"]["fieldworkers"] == [
        {"id": w["fieldworker"].pk, "name": w["fieldworker"].name, "status": "offered"}]


def test_unassigning_tells_the_fieldworker_and_revokes_their_discussion(world_db, published):
    w = world_db
    bookings.booking_unassign(actor=w["staff"], channel=Channel.GRAPHQL, booking_id=w["booking"].pk,
                              fieldworker_id=w["fieldworker"].pk)
    pairs = broadcast.messages_for(only(published, events.BookingUnassigned))
    groups = [group for group, _ in pairs]
    assert f"fieldworker.{w['fieldworker'].pk}" in groups
    group, revoke = pairs[-1]
    assert group == f"booking.{w['booking'].pk}"
    assert revoke["kind"] == KIND_ACCESS_REVOKED and revoke["fieldworker_id"] == w["fieldworker"].pk


def test_update_messages_carry_before_and_after(world_db, published):
    w = world_db
    old_start = w["booking"].scheduled_start
    bookings.booking_update(actor=w["staff"], channel=Channel.GRAPHQL, booking_id=w["booking"].pk,
                            scheduled_start=old_start.replace(hour=(old_start.hour + 2) % 24))
    message = broadcast.messages_for(only(published, events.BookingUpdated))[0][1]
    assert set(message["changes"]) == {"scheduled_start", "scheduled_end"}
    assert message["changes"]["scheduled_start"][0].startswith(old_start.strftime("%Y-%m-%dT%H:%M"))


def test_every_message_is_a_valid_group_and_serialisable(world_db, published):
    w = world_db
    staff = w["staff"]
    bookings.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=w["booking"].pk,
                            fieldworker_id=w["other_fieldworker"].pk)
    bookings.booking_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=w["booking"].pk, reason="rain")
    bookings.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=w["booking"].pk, body="x")
    layer = BaseChannelLayer()
    seen = set()
    for event in published.all():
        for group, message in broadcast.messages_for(event):
            assert layer.require_valid_group_name(group)
            assert msgpack.unpackb(msgpack.packb(message)) == message
            seen.add(message.get("action"))
    assert {"assigned", "cancelled", "comment_added"} <= seen


def test_a_broken_layer_never_breaks_the_write(world_db, published, settings, caplog):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        comment = bookings.comment_add(actor=world_db["staff"], channel=Channel.GRAPHQL,
                                       booking_id=world_db["booking"].pk, body="still saved")
        assert published.names[-1] == "CommentAdded"  # dispatch ran; the failing broadcast was logged
        assert comment.pk is not None
        assert any("event handler" in record.getMessage() for record in caplog.records)
    finally:
        channel_layers.backends.clear()
