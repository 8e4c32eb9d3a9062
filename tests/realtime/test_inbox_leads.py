"""The business hears of a website lead at once: a JSON post to the lead form endpoint reaches every
staff dashboard listening on inboxEvents, with the prospect and the website's lead source; a lead
deleted live leaves the inbox (``deleted``)."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from core.actors import Channel
from core.crm import services as crm
from core.crm.models import Inquiry

from .test_inbox import event, inbox

pytestmark = pytest.mark.django_db(transaction=True)


def post_lead(**fields) -> int:
    body = {"name": "Pat Lee", "email": "pat@example.com", "message": "Gutters please", **fields}
    return HttpClient().post("/leads/api/", json.dumps(body), content_type="application/json").status_code


async def test_a_website_lead_arrives_live_and_leaves_when_deleted(app, world):
    client = await inbox(app, world.staff_token)
    assert await database_sync_to_async(post_lead)() == 201

    got = await event(client)
    assert (got["action"], got["type"], got["actorKind"]) == ("opened", "InquiryOpened", "ANONYMOUS")
    inquiry = await database_sync_to_async(Inquiry.objects.get)()
    await database_sync_to_async(crm.inquiry_delete)(actor=world.staff_actor, channel=Channel.GRAPHQL,
                                                     inquiry_id=inquiry.pk)
    got = await event(client)
    assert got["action"] == "deleted"
    assert await client.nothing()
    await client.close()


async def test_the_live_payload_carries_the_lead(app, world):
    from .support import Client, members, wait_members

    client = await Client(app).open(world.staff_token)
    before = await members("inbox")
    await client.subscribe("i", """subscription { inboxEvents { action inquiry {
      prospectName leadSource leadStatus status deleted contact } } }""")
    await wait_members("inbox", before + 1)
    assert await database_sync_to_async(post_lead)(mobile="0412 555 111") == 201
    message = await client.receive()
    got = message["payload"]["data"]["inboxEvents"]
    assert got == {"action": "opened", "inquiry": {"prospectName": "Pat Lee", "leadSource": "Website form",
                                                   "leadStatus": "NEW", "status": "OPEN", "deleted": False,
                                                   "contact": "+61412555111"}}
    inquiry = await database_sync_to_async(Inquiry.objects.get)()
    await database_sync_to_async(crm.inquiry_delete)(actor=world.staff_actor, channel=Channel.GRAPHQL,
                                                     inquiry_id=inquiry.pk)
    message = await client.receive()
    assert message["payload"]["data"]["inboxEvents"]["inquiry"]["deleted"] is True
    await client.close()
