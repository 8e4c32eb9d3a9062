"""quoteEvents over a real WebSocket: staff see a quote sent and the customer's acceptance through
the signed link (a POST with its CSRF token) as they happen; nobody but staff may listen."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.test import Client as HttpClient

from core.actors import Channel
from core.sales import quotes
from core.sales.quote_models import QuoteEvent
from graphql_api.ids import encode_id
from tests.core.outreach.support import deliver

from .support import Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)

QUOTES = """subscription { quoteEvents { eventId quoteId number status customerId action type channel actorKind
  occurredAt changed } }"""


async def listening(app, token: str) -> Client:
    client = await Client(app).open(token)
    before = await members("quotes")
    await client.subscribe("q", QUOTES)
    await wait_members("quotes", before + 1)
    return client


async def event(client: Client) -> dict:
    message = await client.receive()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["quoteEvents"]


def make_and_send(world) -> tuple[int, str]:
    quote = quotes.quote_create(actor=world.staff_actor, channel=Channel.GRAPHQL, customer_id=world.customer.pk,
                                lines=[quotes.QuoteLineInput(description="Windows", unit_price="80")])
    mail.outbox = []
    quotes.quote_send(actor=world.staff_actor, channel=Channel.GRAPHQL, quote_id=quote.pk)
    deliver()
    link = re.search(r"https?://[^/\s]+(/q/\S+/)", mail.outbox[-1].body).group(1)
    return quote.pk, link


def accept_by_link(link: str) -> int:
    return HttpClient().post(link, {"answer": "accept"}).status_code


async def test_a_quote_sent_and_accepted_by_its_link_arrive_live(app, world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = await listening(app, world.staff_token)
    quote_id, link = await database_sync_to_async(make_and_send)(world)
    created, sent = await event(client), await event(client)
    assert [created["action"], sent["action"]] == ["created", "sent"]
    assert (sent["type"], sent["status"], sent["channel"], sent["actorKind"]) == ("QuoteSent", "sent", "GRAPHQL",
                                                                                "STAFF")
    assert sent["quoteId"] == encode_id("Quote", quote_id) and sent["customerId"] == encode_id(
        "Customer", world.customer.pk)
    assert await database_sync_to_async(accept_by_link)(link) == 303
    accepted = await event(client)
    row = await database_sync_to_async(QuoteEvent.objects.get)(quote_id=quote_id, action="accepted")
    assert accepted["eventId"] == encode_id("QuoteHistoryEntry", row.pk)
    assert (accepted["action"], accepted["status"], accepted["channel"], accepted["actorKind"]) == (
        "accepted", "accepted", "EMAIL_LINK", "CUSTOMER")
    await client.close()


@pytest.mark.parametrize("who", ["customer", "fieldworker"])
async def test_only_staff_may_listen(app, world, who):
    client = await Client(app).open(world.customer_token if who == "customer" else world.fieldworker_token)
    await client.subscribe("q", QUOTES)
    error = await assert_refused(client, "forbidden", op_id="q")
    assert "staff" in error["message"]
    await client.close()
