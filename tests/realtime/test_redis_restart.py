"""Live streams across a Redis restart, in this process: the hub's channel layer is channels-redis's
pub/sub layer on a Redis of the test's own, which the test kills and starts again (decision 0210).

After a restart the layer's subscriber connection reconnects and re-subscribes its channels, and
every open stream is told ``resync_required`` (broadcasts of the outage are lost); a new
subscription then receives again. The live-process version is test_redis_restart_live.py."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from core.actors import Channel
from core.bookings import services as bookings
from core.errors import DomainError
from graphql_api.ids import encode_id
from realtime import layer_watch
from realtime.hub import RESYNC, Hub

from .private_redis import needs_redis_server, private_redis
from .support import DISCUSSION, Client, assert_refused, members, wait_members

pytestmark = needs_redis_server

PREFIX = "restart"


@pytest.fixture
def redis_server():
    with private_redis() as server:
        yield server


@contextlib.asynccontextmanager
async def hub_on(url: str):
    layer = RedisPubSubChannelLayer(hosts=[url], prefix=PREFIX)
    hub = Hub(layer)
    try:
        yield hub, layer
    finally:
        if hub.task is not None:
            hub.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hub.task
        with contextlib.suppress(Exception):
            await layer.flush()


def event(group: str, n: int) -> dict:
    return {"type": "realtime.event", "kind": "event", "group": group, "n": n}


async def next_of(stream, timeout: float = 5.0) -> dict:
    return await asyncio.wait_for(anext(stream), timeout)


async def test_streams_are_told_to_resync_and_delivery_resumes_after_a_restart(redis_server):
    async with hub_on(redis_server.url) as (hub, layer), hub.listen("booking.1", "bookings") as stream:
        await layer.group_send("booking.1", event("booking.1", 1))
        assert (await next_of(stream))["n"] == 1
        assert hub.reconnects == 0  # the first connection is not a reconnect

        await asyncio.to_thread(redis_server.restart)  # empty, as after a crash: no subscriptions

        assert await next_of(stream) == RESYNC  # once, though the stream listens to two groups
        assert hub.reconnects == 1
        # the listener subscribed its groups again on the new server, and they deliver
        assert redis_server.numsub(f"{PREFIX}__group__booking.1") == 1
        assert redis_server.numsub(f"{PREFIX}__group__bookings") == 1
        await layer.group_send("bookings", event("bookings", 2))
        assert (await next_of(stream))["n"] == 2


async def test_a_stream_open_across_a_long_outage_is_told_when_redis_is_back(redis_server):
    async with hub_on(redis_server.url) as (hub, layer), hub.listen("booking.7") as stream:
        await layer.group_send("booking.7", event("booking.7", 1))
        assert (await next_of(stream))["n"] == 1

        await asyncio.to_thread(redis_server.kill)
        # a change made during the outage cannot be broadcast: the sender sees the error (the
        # outbox logs it; the write itself has committed) and the stream cannot receive it
        with pytest.raises(RedisConnectionError):
            await layer.group_send("booking.7", event("booking.7", 2))
        # several reconnect attempts fail meanwhile (the layer retries every second)
        await asyncio.sleep(2.5)
        assert hub.reconnects == 0

        await asyncio.to_thread(redis_server.start)
        assert await next_of(stream) == RESYNC
        await layer.group_send("booking.7", event("booking.7", 3))
        assert (await next_of(stream))["n"] == 3


async def test_streams_started_after_the_restart_are_not_told_anything(redis_server):
    async with hub_on(redis_server.url) as (hub, layer):
        async with hub.listen("booking.2") as first:
            await layer.group_send("booking.2", event("booking.2", 1))
            assert (await next_of(first))["n"] == 1
            await asyncio.to_thread(redis_server.restart)
            assert await next_of(first) == RESYNC
        async with hub.listen("booking.2") as second:
            await layer.group_send("booking.2", event("booking.2", 2))
            assert await next_of(second) == event("booking.2", 2)  # the event itself, no stale notice


async def test_the_watch_reaches_the_connection_of_every_redis_host(redis_server):
    with private_redis() as other:
        layer = RedisPubSubChannelLayer(hosts=[redis_server.url, other.url], prefix=PREFIX)
        hub = Hub(layer)
        try:
            groups = [f"booking.{n}" for n in range(12)]  # consistent hashing spreads them over both
            async with hub.listen(*groups):
                assert len(layer_watch.subscriber_connections(layer)) == 2
                assert len(hub.watched) == 2  # each registered once, however many streams start
                await asyncio.to_thread(other.restart)
                deadline = asyncio.get_running_loop().time() + 5
                while hub.reconnects == 0:
                    assert asyncio.get_running_loop().time() < deadline, "the second host's reconnect went unheard"
                    await asyncio.sleep(0.02)
        finally:
            hub.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hub.task
            await layer.flush()


def test_other_layers_have_nothing_to_watch():
    assert layer_watch.subscriber_connections(InMemoryChannelLayer()) == []
    assert layer_watch.watch(InMemoryChannelLayer(), lambda connection: None) == 0


# --- the same over GraphQL, through the ASGI app and a WebSocket client ----------------------------------


@pytest.fixture
def redis_layer(redis_server):
    layers = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                          "CONFIG": {"hosts": [redis_server.url], "prefix": PREFIX}}}
    with override_settings(CHANNEL_LAYERS=layers):
        yield redis_server


async def test_a_subscription_ends_with_resync_required_and_a_new_one_receives(app, world, redis_layer):
    booking = world.booking.pk
    client = await Client(app).open(world.customer_token)
    try:
        await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", booking)})
        await wait_members(f"booking.{booking}", timeout=10)

        await asyncio.to_thread(redis_layer.restart)

        error = await assert_refused(client, "resync_required", "d")
        assert "subscribe again" in error["message"]
        # the socket stays open and signed in: subscribing again works and hears what comes next
        await client.subscribe("d2", DISCUSSION, {"id": encode_id("Booking", booking)})
        await wait_members(f"booking.{booking}", timeout=10)
        await database_sync_to_async(bookings.comment_add)(
            actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=booking, body="after the restart",
            visible_to_customer=True)
        message = await client.receive(timeout=5)
        assert message["id"] == "d2"
        assert message["payload"]["data"]["bookingDiscussion"]["body"] == "after the restart"
    finally:
        await client.close()


async def test_a_subscription_started_while_redis_is_down_is_refused_not_left_deaf(app, world, redis_layer):
    booking = world.booking.pk
    client = await Client(app).open(world.customer_token)
    try:
        await asyncio.to_thread(redis_layer.kill)
        await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", booking)})
        error = await assert_refused(client, "realtime_unavailable", "d")
        assert "try again" in error["message"]
        assert await members(f"booking.{booking}") == 0  # nothing left joined in the hub

        await asyncio.to_thread(redis_layer.start)
        await client.subscribe("d2", DISCUSSION, {"id": encode_id("Booking", booking)})
        await wait_members(f"booking.{booking}", timeout=10)
        await database_sync_to_async(bookings.comment_add)(
            actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=booking, body="Redis is back",
            visible_to_customer=True)
        message = await client.receive(timeout=5)
        assert (message["id"], message["payload"]["data"]["bookingDiscussion"]["body"]) == ("d2", "Redis is back")
    finally:
        await client.close()


async def test_the_hub_refuses_a_stream_it_cannot_join_with_a_typed_error(redis_server):
    async with hub_on(redis_server.url) as (hub, _layer):
        await asyncio.to_thread(redis_server.kill)
        with pytest.raises(DomainError) as refused:
            async with hub.listen("booking.3"):
                raise AssertionError("joined a group with Redis down")
        assert refused.value.code == "realtime_unavailable"
        assert hub.listeners == {}
