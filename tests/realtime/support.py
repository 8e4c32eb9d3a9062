"""A small graphql-transport-ws client over Channels' WebsocketCommunicator, and helpers to
wait until a subscription has joined its channel-layer group (no sleeps)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator

PROTOCOL = "graphql-transport-ws"

DISCUSSION = """
subscription D($id: ID!) {
  bookingDiscussion(bookingId: $id) {
    eventId bookingId commentId authorName authorKind channel body visibleToCustomer createdAt replyToId
  }
}"""

DELIVERIES = """
subscription C($id: ID!) {
  commentDeliveries(bookingId: $id) { eventId bookingId commentId channel status error updatedAt }
}"""

EVENTS = """
subscription E($filter: BookingFilter) {
  bookingEvents(filter: $filter) {
    eventId bookingId action type channel actorKind occurredAt oldStatus newStatus fieldworkerId reason fee changed
    booking { id number status scheduledStart scheduledEnd customerName address fieldworkers { id name status } }
  }
}"""

MINE = """
subscription {
  myAssignments {
    eventId bookingId action type fieldworkerId newStatus changed
    booking { id status fieldworkers { id status } }
  }
}"""


class Client:
    def __init__(self, application: Any, *, headers: list[tuple[bytes, bytes]] | None = None,
                 subprotocols: list[str] | None = None) -> None:
        self.comm = WebsocketCommunicator(application, "/graphql/", headers=headers or [],
                                          subprotocols=[PROTOCOL] if subprotocols is None else subprotocols)
        self.subprotocol: str | None = None

    async def connect(self) -> tuple[bool, Any]:
        accepted, detail = await self.comm.connect()
        self.subprotocol = detail if accepted else None
        return accepted, detail

    async def init(self, payload: dict | None = None) -> dict:
        await self.comm.send_json_to({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def open(self, token: str | None = None) -> Client:
        accepted, _ = await self.connect()
        assert accepted
        ack = await self.init({"authorization": f"Bearer {token}"} if token else {})
        assert ack["type"] == "connection_ack", ack
        return self

    async def subscribe(self, op_id: str, query: str, variables: dict | None = None) -> None:
        await self.comm.send_json_to({"id": op_id, "type": "subscribe",
                                      "payload": {"query": query, "variables": variables or {}}})

    async def receive(self, timeout: float = 3) -> dict:
        output = await self.comm.receive_output(timeout)
        if output["type"] == "websocket.close":
            return {"type": "closed", "code": output.get("code"), "reason": output.get("reason")}
        return json.loads(output["text"])

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.comm.receive_nothing(timeout)

    async def close(self) -> None:
        await self.comm.disconnect()


async def members(group: str) -> int:
    """How many subscriptions of this process listen to ``group`` (through realtime.hub)."""
    from realtime.hub import local_listeners

    return local_listeners(group)


async def wait_members(group: str, count: int = 1, timeout: float = 3) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await members(group) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"nobody joined {group}")
        await asyncio.sleep(0.01)


async def assert_refused(client: Client, code: str, op_id: str = "d") -> dict:
    """The subscription ``op_id`` ended with one error of this ``code``, then completed."""
    message = await client.receive()
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == code, error
    assert (await client.receive()) == {"id": op_id, "type": "complete"}
    return error
