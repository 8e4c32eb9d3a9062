"""Redis restarts under real server processes (decision 0210): two ``manage.py serve`` processes share
a Redis of the test's own; WebSocket clients subscribe on one, changes are made over HTTP on the
other, and the test kills and restarts that Redis.

What a client meets: every subscription open across the restart ends, within 5 s of Redis being
back, with a ``resync_required`` error (the socket stays open); subscribing again on the same socket
hears what happens next, and re-reading over HTTP finds what happened during the outage."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect

from tests.graphql_api.conftest import gid

from .live import ADD_COMMENT, graphql, live_stack
from .private_redis import PrivateRedis, needs_redis_server
from .support import DISCUSSION, EVENTS

pytestmark = [needs_redis_server, pytest.mark.usefixtures("module_redis_up")]

BACK_WITHIN = 5.0  # seconds from Redis answering again to the client being told (the task's bound)


@pytest.fixture(scope="module")
def stack(module_redis):
    with live_stack(2, redis_url=module_redis.url) as running:
        yield running


class Socket:
    def __init__(self, ws) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str, token: str) -> Socket:
        ws = await connect(url, subprotocols=["graphql-transport-ws"])
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        return cls(ws)

    async def subscribe(self, op_id: str, query: str, variables: dict) -> None:
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe",
                                       "payload": {"query": query, "variables": variables}}))

    async def receive(self, timeout: float = 10) -> dict:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def close(self) -> None:
        await self.ws.close()


async def wait_for_group(module_redis: PrivateRedis, stack, group: str, count: int = 1) -> None:
    deadline = time.monotonic() + 10
    while await asyncio.to_thread(module_redis.numsub, f"{stack.prefix}__group__{group}") < count:
        assert time.monotonic() < deadline, f"no process joined {group}\n{stack.logs()}"
        await asyncio.sleep(0.02)


async def add_comment(server, stack, body: str) -> dict:
    result = await asyncio.to_thread(
        graphql, server.http, ADD_COMMENT,
        {"input": {"bookingId": gid("Booking", stack.data["booking_id"]), "body": body, "visibleToCustomer": True}},
        stack.data["staff_token"])
    assert result["data"]["addBookingComment"]["errors"] == [], result
    return result["data"]["addBookingComment"]["comment"]


async def told_to_resync(socket: Socket, op_ids: set[str]) -> None:
    """Each of ``op_ids`` ends with exactly one resync_required error, then completes."""
    ended: set[str] = set()
    pending = set(op_ids)
    while pending:
        message = await socket.receive(timeout=BACK_WITHIN)
        assert message["id"] in op_ids, message
        if message["type"] == "next":
            assert message["payload"]["data"] is None, message
            [error] = message["payload"]["errors"]
            assert error["extensions"]["code"] == "resync_required", error
            assert message["id"] not in ended
            ended.add(message["id"])
        else:
            assert message["type"] == "complete" and message["id"] in ended, message
            pending.discard(message["id"])


async def test_a_restart_tells_open_subscriptions_and_a_new_subscription_hears_changes(stack, module_redis):
    writer, reader = stack.servers
    booking = stack.data["booking_id"]
    customer = await Socket.open(reader.ws, stack.data["customer_token"])
    staff = await Socket.open(reader.ws, stack.data["staff_token"])
    try:
        await customer.subscribe("d", DISCUSSION, {"id": gid("Booking", booking)})
        await staff.subscribe("b", EVENTS, {"filter": None})
        await wait_for_group(module_redis, stack, f"booking.{booking}")
        await wait_for_group(module_redis, stack, "bookings")
        before = await add_comment(writer, stack, "before the restart")
        assert (await customer.receive())["payload"]["data"]["bookingDiscussion"]["commentId"] == before["id"]

        await asyncio.to_thread(module_redis.restart)
        back = time.monotonic()

        await told_to_resync(customer, {"d"})
        await told_to_resync(staff, {"b"})
        assert time.monotonic() - back < BACK_WITHIN

        # the same socket subscribes again and hears a comment made through the other process
        await customer.subscribe("d2", DISCUSSION, {"id": gid("Booking", booking)})
        await wait_for_group(module_redis, stack, f"booking.{booking}")
        after = await add_comment(writer, stack, "after the restart")
        message = await customer.receive()
        assert message["id"] == "d2"
        assert message["payload"]["data"]["bookingDiscussion"]["commentId"] == after["id"]
    finally:
        await customer.close()
        await staff.close()


async def test_changes_made_while_redis_is_down_are_found_by_the_re_read(stack, module_redis):
    writer, reader = stack.servers
    booking = stack.data["booking_id"]
    customer = await Socket.open(reader.ws, stack.data["customer_token"])
    try:
        await customer.subscribe("d", DISCUSSION, {"id": gid("Booking", booking)})
        await wait_for_group(module_redis, stack, f"booking.{booking}")

        await asyncio.to_thread(module_redis.kill)
        # the write path does not need Redis for the change itself: the mutation answers and commits
        during = await add_comment(writer, stack, "while Redis was down")
        await asyncio.sleep(3)  # an outage of a few seconds: several reconnect attempts fail meanwhile
        await asyncio.to_thread(module_redis.start)
        back = time.monotonic()

        await told_to_resync(customer, {"d"})
        assert time.monotonic() - back < BACK_WITHIN

        # what a told client does: subscribe again first, then re-read; the re-read has the comment
        await customer.subscribe("d2", DISCUSSION, {"id": gid("Booking", booking)})
        await wait_for_group(module_redis, stack, f"booking.{booking}")
        read = await asyncio.to_thread(
            graphql, reader.http, "query($id: ID!) { booking(id: $id) { comments { id body } } }",
            {"id": gid("Booking", booking)}, stack.data["customer_token"])
        assert {"id": during["id"], "body": "while Redis was down"} in read["data"]["booking"]["comments"], read
        after = await add_comment(writer, stack, "Redis is back")
        assert (await customer.receive())["payload"]["data"]["bookingDiscussion"]["commentId"] == after["id"]
    finally:
        await customer.close()
