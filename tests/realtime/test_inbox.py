"""inboxEvents over a real WebSocket: a text from an unknown number (a signed Twilio webhook)
appears at once, and so does every change staff make to it; nobody but staff may listen."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from core.actors import Channel
from core.crm import services as crm
from core.crm.models import Inquiry, InquiryEntry
from graphql_api.ids import encode_id
from tests.conversations.sms.conftest import SMS_PATH, inbound_params, post_signed

from .support import Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)
STRANGER = "+61499111333"

INBOX = """subscription { inboxEvents {
  eventId inquiryId action type channel actorKind occurredAt
  inquiry { id kind status channel contact body customerId customerName assigneeId assigneeName
            bookings { id number } timeZone createdAt resolvedAt } } }"""


async def inbox(app, token: str) -> Client:
    client = await Client(app).open(token)
    before = await members("inbox")
    await client.subscribe("i", INBOX)
    await wait_members("inbox", before + 1)
    return client


async def event(client: Client) -> dict:
    message = await client.receive()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["inboxEvents"]


def text_us(body: str, sender: str) -> int:
    return post_signed(HttpClient(), SMS_PATH, inbound_params(body, sender)).status_code


async def test_a_text_from_an_unknown_number_and_what_staff_do_with_it_arrive_live(app, world):
    client = await inbox(app, world.staff_token)
    assert await database_sync_to_async(text_us)("Do you clean windows?", STRANGER) == 200

    got = await event(client)
    inquiry = await database_sync_to_async(Inquiry.objects.get)()
    opened = await database_sync_to_async(InquiryEntry.objects.get)(inquiry=inquiry, action="opened")
    assert (got["action"], got["type"], got["channel"], got["actorKind"]) == ("opened", "InquiryOpened", "SMS",
                                                                             "SYSTEM")
    assert got["eventId"] == encode_id("InquiryHistoryEntry", opened.pk)
    assert got["inquiryId"] == encode_id("Inquiry", inquiry.pk)
    live = got["inquiry"]
    assert (live["id"], live["kind"], live["status"], live["contact"]) == (
        encode_id("Inquiry", inquiry.pk), "INQUIRY", "OPEN", STRANGER)
    assert live["body"].endswith("Do you clean windows?")
    assert (live["customerId"], live["assigneeId"], live["bookings"], live["timeZone"]) == (None, None, [], "UTC")

    run = database_sync_to_async
    await run(crm.inquiry_assign)(actor=world.staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk,
                                  assignee_id=world.staff.pk)
    got = await event(client)
    assert (got["action"], got["actorKind"], got["inquiry"]["assigneeId"]) == (
        "assigned", "STAFF", encode_id("User", world.staff.pk))
    assert got["inquiry"]["assigneeName"] == world.staff.display_name

    await run(crm.inquiry_link)(actor=world.staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk,
                                booking_ids=[world.booking.pk])
    got = await event(client)
    assert got["action"] == "linked"
    assert got["inquiry"]["bookings"] == [{"id": encode_id("Booking", world.booking.pk),
                                           "number": world.booking.number}]
    assert got["inquiry"]["customerName"] == world.customer.name
    assert got["inquiry"]["timeZone"] == world.booking.time_zone

    await run(crm.inquiry_resolve)(actor=world.staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk)
    got = await event(client)
    assert (got["action"], got["inquiry"]["status"]) == ("resolved", "RESOLVED")
    assert got["inquiry"]["resolvedAt"] is not None
    assert await client.nothing()
    await client.close()


@pytest.mark.parametrize("who", ["customer", "fieldworker"])
async def test_only_staff_may_watch_the_inbox(app, world, who):
    token = world.customer_token if who == "customer" else world.fieldworker_token
    client = await Client(app).open(token)
    await client.subscribe("i", INBOX)
    await assert_refused(client, "forbidden", op_id="i")
    assert await members("inbox") == 0
    await client.close()


def test_an_inbox_message_costs_two_reads_whoever_listens(world_db, django_assert_num_queries):
    """The inquiry with its customer and assignee, and its bookings: built once per event, however
    many dashboards listen (0200)."""
    from core.actors import Actor
    from core.crm.events import InquiryLinked
    from realtime.broadcast import messages_for_inquiry

    booking = world_db["booking"]
    inquiry = crm.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="x", contact=STRANGER,
                               customer_id=booking.customer_id, booking_ids=[booking.pk])
    event = InquiryLinked(event_id=1, inquiry_id=inquiry.pk, channel="graphql", actor_kind="staff")
    with django_assert_num_queries(2):
        [(group, message)] = messages_for_inquiry(event)
    assert group == "inbox"
    assert (message["action"], message["inquiry"]["bookings"]) == (
        "linked", [{"id": booking.pk, "number": booking.number}])
