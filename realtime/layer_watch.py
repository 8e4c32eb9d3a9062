"""Hear when the channel layer's Redis subscriber connections come back after a loss.

``channels_redis.pubsub.RedisPubSubChannelLayer`` keeps, per event loop, one subscriber
connection per Redis host (a redis-py ``PubSub``). When Redis restarts or the connection is cut,
redis-py reconnects it on the next read and re-subscribes every channel it had (its own connect
callback), but whatever was published in between is gone, and channels-redis tells nobody (it
has no public reconnect hook; its ``on_reconnect`` argument is stored and never called).

We register one more connect callback on each of those connections (redis-py's public
``Connection.register_connect_callback``, called on every reconnect after the ones registered
before it, so after the re-subscription). Reaching the connections takes three private
attributes of channels-redis, pinned and tested (tests/realtime/test_layer_internals.py,
decision 0019): ``RedisPubSubChannelLayer._get_layer()``, the loop layer's ``_shards`` and a
shard's ``_pubsub``. Other layers (in memory, the plain ``RedisChannelLayer``) are left alone.

Cost: nothing per message. When a subscription starts, a look at the layer's shards: 12 µs per call
measured on the loaded 2-core machine, where the join itself (``group_add``) took 1-4 ms; the
callback runs once per reconnect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from channels_redis.pubsub import RedisPubSubChannelLayer
except ImportError:  # pragma: no cover - channels-redis is a dependency; a layer without it has nothing to watch
    RedisPubSubChannelLayer = None  # type: ignore[assignment,misc]


def subscriber_connections(layer: Any) -> list[Any]:
    """The running loop's subscriber connections of ``layer`` that exist by now (redis-py
    ``Connection`` objects); empty for a layer that is not channels-redis's pub/sub layer."""
    if RedisPubSubChannelLayer is None or not isinstance(layer, RedisPubSubChannelLayer):
        return []
    loop_layer = layer._get_layer()
    connections = []
    for shard in loop_layer._shards:
        pubsub = shard._pubsub
        connection = getattr(pubsub, "connection", None) if pubsub is not None else None
        if connection is not None:
            connections.append(connection)
    return connections


def watch(layer: Any, on_reconnect: Callable[[Any], None], watched: dict[int, Any] | None = None) -> int:
    """Call ``on_reconnect(connection)`` each time one of the layer's subscriber connections that
    exist now is established again. ``on_reconnect`` must be a bound method (redis-py keeps a weak
    reference) and must not block. ``watched`` (id -> connection, kept by the caller) skips the
    connections registered before; registering twice is harmless anyway. Returns how many are watched."""
    connections = subscriber_connections(layer)
    for connection in connections:
        if watched is not None:
            if watched.get(id(connection)) is connection:
                continue
            watched[id(connection)] = connection  # held, so the id stays this connection's
        connection.register_connect_callback(on_reconnect)
    return len(connections)
