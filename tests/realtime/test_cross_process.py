"""Two server processes sharing the real Redis: a mutation sent to one reaches a WebSocket
client connected to the other."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from django.conf import settings
from websockets.asyncio.client import connect

from .live import ADD_COMMENT, graphql, live_stack
from .support import DISCUSSION, EVENTS

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL) shared by two processes")


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@pytest.fixture(scope="module")
def stack():
    with live_stack(2, redis_url=settings.REDIS_URL) as running:
        yield running


async def subscribers(stack, group: str) -> int:
    from redis import asyncio as aioredis

    client = aioredis.from_url(settings.REDIS_URL)
    try:
        [(_, count)] = await client.pubsub_numsub(f"{stack.prefix}__group__{group}")
        return int(count)
    finally:
        await client.aclose()


async def open_subscription(url: str, token: str, query: str, variables: dict):
    ws = await connect(url, subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
    return ws


async def wait_for_group(stack, group: str) -> None:
    for _ in range(300):
        if await subscribers(stack, group) >= 1:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no process joined {group}\n{stack.logs()}")


async def test_comment_posted_on_one_process_reaches_a_subscriber_on_the_other(stack):
    first, second = stack.servers
    booking = stack.data["booking_id"]
    ws = await open_subscription(second.ws, stack.data["customer_token"], DISCUSSION, {"id": gid("Booking", booking)})
    try:
        await wait_for_group(stack, f"booking.{booking}")
        result = await asyncio.to_thread(
            graphql, first.http, ADD_COMMENT,
            {"input": {"bookingId": gid("Booking", booking), "body": "Crossed the wire", "visibleToCustomer": True}},
            stack.data["staff_token"])
        assert result["data"]["addBookingComment"]["errors"] == [], result
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        live = message["payload"]["data"]["bookingDiscussion"]
        assert live["body"] == "Crossed the wire"
        assert live["commentId"] == result["data"]["addBookingComment"]["comment"]["id"]
        assert live["channel"] == "GRAPHQL" and live["authorName"] == "Olive Office"
    finally:
        await ws.close()


async def test_board_on_one_process_sees_a_status_change_made_on_the_other(stack):
    first, second = stack.servers
    booking = stack.data["later_booking_id"]
    ws = await open_subscription(first.ws, stack.data["staff_token"], EVENTS, {"filter": {"status": ["CONFIRMED"]}})
    try:
        await wait_for_group(stack, "bookings")
        result = await asyncio.to_thread(
            graphql, second.http, "mutation($id: ID!) { confirmBooking(id: $id) { errors { code } } }",
            {"id": gid("Booking", booking)}, stack.data["staff_token"])
        assert result["data"]["confirmBooking"]["errors"] == [], result
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["payload"]["data"]["bookingEvents"]
        assert event["bookingId"] == gid("Booking", booking)
        assert (event["action"], event["newStatus"]) == ("status_changed", "CONFIRMED")
    finally:
        await ws.close()
