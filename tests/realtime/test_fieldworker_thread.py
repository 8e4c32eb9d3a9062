"""fieldworkerThread over a real WebSocket (decision 0197): staff watch a fieldworker's thread change
live: a message sent, its delivery moving (sent, then delivered by Twilio's signed status report) and
a text the fieldworker sends from their number (the signed SMS webhook). A fieldworker follows their
own thread only; another's, like a customer's attempt, looks like a fieldworker that does not exist."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from core.actors import Channel
from core.workforce import messaging
from core.workforce.models import FieldworkerLog
from graphql_api.ids import encode_id
from tests.conftest import OUR_NUMBER
from tests.conversations.sms.conftest import SMS_PATH, STATUS_PATH, inbound_params, post_signed

from .support import Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)

THREAD = """subscription($f: ID!) { fieldworkerThread(fieldworkerId: $f) { eventId fieldworkerId messageId action
  type medium kind status inbound error attempts nextAttemptAt channel actorKind occurredAt } }"""


async def listening(app, token: str, fieldworker) -> Client:
    client = await Client(app).open(token)
    before = await members(f"fwthread.{fieldworker.pk}")
    await client.subscribe("t", THREAD, {"f": encode_id("Fieldworker", fieldworker.pk)})
    await wait_members(f"fwthread.{fieldworker.pk}", before + 1)
    return client


async def event(client: Client) -> dict:
    message = await client.receive()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["fieldworkerThread"]


def send_text(world, fieldworker) -> int:
    [message] = messaging.fieldworker_message_send(actor=world.staff_actor, channel=Channel.GRAPHQL, medium="sms",
                                                   body="Can you take the 3pm job?", fieldworker_id=fieldworker.pk)
    return message.pk


def report_delivered(twilio_sms) -> int:
    [text] = twilio_sms
    message_id = text.status_callback.rsplit("m=", 1)[1]
    return post_signed(HttpClient(), f"{STATUS_PATH}?m={message_id}",
                       {"MessageSid": text.sid, "MessageStatus": "delivered"}).status_code


def text_from(fieldworker) -> int:
    return post_signed(HttpClient(), SMS_PATH, inbound_params("Yes, on my way", fieldworker.mobile,
                                                              to=OUR_NUMBER)).status_code


async def test_staff_see_a_message_sent_delivered_and_answered_live(app, world, twilio_sms):
    fieldworker = world.fieldworker
    client = await listening(app, world.staff_token, fieldworker)
    message_id = await database_sync_to_async(send_text)(world, fieldworker)
    sent, moved = await event(client), await event(client)
    gid = encode_id("FieldworkerMessage", message_id)
    assert (sent["action"], sent["type"], sent["status"], sent["medium"], sent["messageId"]) == (
        "message_sent", "FieldworkerMessaged", "queued", "sms", gid)
    assert (sent["channel"], sent["actorKind"], sent["fieldworkerId"]) == (
        "GRAPHQL", "STAFF", encode_id("Fieldworker", fieldworker.pk))
    assert (moved["action"], moved["type"], moved["status"], moved["attempts"], moved["messageId"]) == (
        "message_status", "FieldworkerMessageStatusChanged", "sent", 1, gid)
    row = await database_sync_to_async(FieldworkerLog.objects.get)(action="message_sent")
    assert sent["eventId"] == encode_id("FieldworkerLogEntry", row.pk)

    assert await database_sync_to_async(report_delivered)(twilio_sms) == 204
    delivered = await event(client)
    assert (delivered["status"], delivered["messageId"], delivered["channel"]) == ("delivered", gid, "SMS")

    assert await database_sync_to_async(text_from)(fieldworker) == 200
    received = await event(client)
    assert (received["action"], received["inbound"], received["kind"], received["status"]) == (
        "sms_received", True, "received", "received")
    await client.close()


async def test_a_fieldworker_follows_their_own_thread_and_not_anothers(app, world, twilio_sms):
    own = await listening(app, world.fieldworker_token, world.fieldworker)
    other = await listening(app, world.other_fieldworker_token, world.other_fieldworker)
    await database_sync_to_async(send_text)(world, world.fieldworker)
    assert (await event(own))["action"] == "message_sent"
    assert (await event(own))["status"] == "sent"
    assert await other.nothing()  # another fieldworker's thread: nothing of it reaches them
    await own.close()
    await other.close()


@pytest.mark.parametrize("who", ["other_fieldworker", "customer"])
async def test_anothers_thread_is_refused_as_not_found(app, world, who):
    token = world.other_fieldworker_token if who == "other_fieldworker" else world.customer_token
    client = await Client(app).open(token)
    await client.subscribe("t", THREAD, {"f": encode_id("Fieldworker", world.fieldworker.pk)})
    error = await assert_refused(client, "not_found", op_id="t")
    assert error["extensions"]["field"] == "fieldworkerId"
    missing = await Client(app).open(world.staff_token)
    await missing.subscribe("t", THREAD, {"f": encode_id("Fieldworker", 987654)})
    await assert_refused(missing, "not_found", op_id="t")  # the same answer as for a thread not one's own
    await client.close()
    await missing.close()
