"""commentDeliveries over a real WebSocket: staff watch a discussion message reach the customer
(queued, then what Twilio's signed status reports say); nobody else may watch."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from core.actors import Channel
from core.bookings import services as bookings
from core.sms import backends
from core.sms.models import CommentDelivery
from graphql_api.ids import encode_id
from tests.conversations.sms.conftest import STATUS_PATH, post_signed

from .support import DELIVERIES, DISCUSSION, Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)

comment = database_sync_to_async(bookings.comment_add)


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield
    backends.outbox.clear()


async def watch(app, token: str, booking_id: int) -> Client:
    client = await Client(app).open(token)
    group = f"booking.{booking_id}"
    before = await members(group)
    await client.subscribe("c", DELIVERIES, {"id": encode_id("Booking", booking_id)})
    await wait_members(group, before + 1)
    return client


def _report(delivery_id: int, status: str, **extra) -> int:
    message = CommentDelivery.objects.select_related("sms_message").get(pk=delivery_id).sms_message
    params = {"MessageSid": message.sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32,
              "From": message.from_number, "To": message.to_number, **extra}
    return post_signed(HttpClient(), f"{STATUS_PATH}?m={message.pk}", params).status_code


report = database_sync_to_async(_report)


async def test_staff_watch_a_message_go_out_and_be_delivered(app, world):
    client = await watch(app, world.staff_token, world.booking.pk)
    added = await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                          body="We will arrive at 9", visible_to_customer=True)
    first = (await client.receive())["payload"]["data"]["commentDeliveries"]
    assert first["commentId"] == encode_id("BookingComment", added.pk)
    assert first["bookingId"] == encode_id("Booking", world.booking.pk)
    assert (first["channel"], first["status"], first["error"]) == ("SMS", "QUEUED", "")
    delivery = await database_sync_to_async(lambda: CommentDelivery.objects.get(comment_id=added.pk))()

    assert await report(delivery.pk, "sent") == 204
    assert (await client.receive())["payload"]["data"]["commentDeliveries"]["status"] == "SENT"
    assert await report(delivery.pk, "delivered") == 204
    last = (await client.receive())["payload"]["data"]["commentDeliveries"]
    assert last["status"] == "DELIVERED" and last["eventId"] != first["eventId"]
    assert await report(delivery.pk, "delivered") == 204  # repeated: nothing new
    # an internal note has no delivery to watch
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="internal: bring the ladder", visible_to_customer=False)
    assert await client.nothing()
    await client.close()


async def test_the_customer_hears_the_message_but_never_its_delivery(app, world):
    talk = await Client(app).open(world.customer_token)
    group = f"booking.{world.booking.pk}"
    before = await members(group)
    await talk.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    await wait_members(group, before + 1)
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="We will arrive at 9", visible_to_customer=True)
    assert (await talk.receive())["payload"]["data"]["bookingDiscussion"]["body"] == "We will arrive at 9"
    assert await talk.nothing()  # the delivery's status went to the same group, not to them
    await talk.close()


@pytest.mark.parametrize("who", ["customer_token", "fieldworker_token"])
async def test_only_staff_may_watch_deliveries(app, world, who):
    client = await Client(app).open(getattr(world, who))
    await client.subscribe("c", DELIVERIES, {"id": encode_id("Booking", world.booking.pk)})
    await assert_refused(client, "forbidden", op_id="c")
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="We will arrive at 9", visible_to_customer=True)
    assert await client.nothing()
    await client.close()
