"""The channels-redis internals realtime.layer_watch reads, one test each, so an upgrade fails here by
name instead of live streams silently missing a Redis restart (decisions 0019, 0210). pyproject.toml
pins channels-redis to the minor version these tests passed on; raise the pin only with this file
and test_redis_restart*.py green."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from redis.asyncio.client import PubSub
from redis.asyncio.connection import AbstractConnection

from realtime import layer_watch

from .private_redis import needs_redis_server, private_redis

TESTED = {"channels-redis": "4.3."}


def test_installed_channels_redis_is_the_tested_one():
    assert version("channels-redis").startswith(TESTED["channels-redis"]), (
        f"channels-redis {version('channels-redis')} is not the tested {TESTED['channels-redis']}x: run this "
        "file and tests/realtime/test_redis_restart*.py, then update TESTED and the pin in pyproject.toml")


async def test_the_layer_keeps_one_loop_layer_per_event_loop_with_one_shard_per_host():
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0", "redis://127.0.0.1:2/0"])
    loop_layer = layer._get_layer()
    assert isinstance(loop_layer, RedisPubSubLoopLayer)
    assert layer._get_layer() is loop_layer  # the same one on the same loop
    assert [type(shard) for shard in loop_layer._shards] == [RedisSingleShardConnection] * 2
    assert all(shard._pubsub is None for shard in loop_layer._shards)  # nothing connected yet
    assert layer_watch.subscriber_connections(layer) == []


def test_redis_calls_connect_callbacks_with_the_connection_and_awaits_none():
    # layer_watch registers a plain bound method; redis-py calls it with the connection on every connect
    assert "callback" in inspect.signature(AbstractConnection.register_connect_callback).parameters
    assert "connection" in inspect.signature(PubSub.on_connect).parameters  # its own re-subscription


@needs_redis_server
async def test_a_subscription_gives_the_shard_a_pubsub_whose_connection_layer_watch_finds():
    with private_redis() as server:
        layer = RedisPubSubChannelLayer(hosts=[server.url], prefix="internals")
        try:
            channel = await layer.new_channel()
            await layer.group_add("booking.1", channel)
            [shard] = layer._get_layer()._shards
            assert isinstance(shard._pubsub, PubSub)
            assert shard._pubsub.connection is not None
            assert layer_watch.subscriber_connections(layer) == [shard._pubsub.connection]
            # what channels-redis offers instead is never called: on_reconnect is stored, not used
            assert "on_reconnect" not in inspect.getsource(RedisSingleShardConnection)
        finally:
            await layer.flush()
