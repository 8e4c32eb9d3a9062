"""One channel-layer listener per process, shared by every live subscription in it.

Channels' way is one layer channel per WebSocket consumer: a broadcast to a group of 500
local subscribers becomes 500 layer deliveries, each woken through the consumer's own receive
loop. The hub instead joins each group once per process (per event loop) on a single layer
channel and hands every message, as one shared read-only dict, to the asyncio queues of the
subscriptions listening to that group. Broadcasts carry their group name (``group``) for this
routing. Fan-out cost per subscriber is then a queue put and get.

The hub also watches the layer's Redis subscriber connections (:mod:`realtime.layer_watch`): when one
comes back after a loss (Redis restarted, the connection was cut), broadcasts may have been missed
in between, so every local stream receives ``RESYNC`` and ends with ``resync_required`` (decision
0210); the client subscribes again and re-reads what it shows. A stream that cannot join its groups
(Redis down) is refused with ``realtime_unavailable`` rather than started deaf.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from channels.layers import get_channel_layer

from core.errors import DomainError
from core.observability import GRAPHQL_SUBSCRIPTIONS, REALTIME_RESYNCS

from . import layer_watch
from .groups import KIND_RESYNC

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "Live updates are unavailable right now: try again in a few seconds."

_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


class Hub:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.listeners: dict[str, set[asyncio.Queue]] = {}
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.reconnects = 0  # times a subscriber connection of the layer came back (see _reconnected)
        self.watched: dict[int, Any] = {}  # the layer's subscriber connections already watched, by id

    async def _start(self) -> None:
        if self.channel is None:
            self.channel = await self.layer.new_channel()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="realtime-hub")

    async def _run(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime hub: receiving from the channel layer failed; retrying")
                await asyncio.sleep(1)
                continue
            for queue in tuple(self.listeners.get(message.get("group", ""), ())):
                queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def listen(self, *groups: str, tick: Callable[[], float | None] | None = None,
                     ) -> AsyncIterator[AsyncGenerator[dict[str, Any], None]]:
        """Join ``groups`` now; yield the stream of their messages; leave on exit. With ``tick``, a
        stream that has been quiet for ``tick()`` seconds yields ``TICK`` (a time to re-check)."""
        queue: asyncio.Queue = asyncio.Queue()
        joined: list[str] = []
        try:
            async with self.lock:
                try:
                    await self._start()
                    for group in groups:
                        # Added on every join: memberships can expire in the layer (group_expiry).
                        await self.layer.group_add(group, self.channel)
                        self.listeners.setdefault(group, set()).add(queue)
                        joined.append(group)
                except Exception as exc:
                    # Redis is down (or refuses): a stream that started now would never hear anything
                    logger.warning("realtime hub: joining %s failed: %r", ", ".join(groups), exc)
                    raise DomainError("realtime_unavailable", UNAVAILABLE_MESSAGE) from exc
                # the layer connects to Redis lazily (per shard): watch whatever it has connected by now
                layer_watch.watch(self.layer, self._reconnected, self.watched)
            stream = _drain(queue, tick)
            GRAPHQL_SUBSCRIPTIONS.inc()
            try:
                async with contextlib.aclosing(stream):
                    yield stream
            finally:
                GRAPHQL_SUBSCRIPTIONS.dec()
        finally:
            for group in joined:
                members = self.listeners.get(group)
                if members is not None:
                    members.discard(queue)
                    if not members:
                        del self.listeners[group]
                        with contextlib.suppress(Exception):
                            await self.layer.group_discard(group, self.channel)

    def _reconnected(self, connection: Any = None) -> None:
        """A subscriber connection of the layer was established again (called by the Redis client
        inside its reconnect, after it re-subscribed the connection's channels). Whatever was
        published while it was down is lost: every local stream is told to re-sync. Never raises:
        an exception here would fail the Redis client's reconnect itself."""
        try:
            self.reconnects += 1
            queues = {queue for members in self.listeners.values() for queue in members}
            logger.warning("realtime hub: the channel layer reconnected to Redis; %d live streams told to resync",
                           len(queues))
            REALTIME_RESYNCS.inc(len(queues))
            for queue in queues:
                queue.put_nowait(RESYNC)
        except Exception:
            logger.exception("realtime hub: telling live streams to resync failed")

    def count(self, group: str) -> int:
        return len(self.listeners.get(group, ()))


TICK: dict[str, Any] = {"kind": "tick"}
RESYNC: dict[str, Any] = {"kind": KIND_RESYNC}


async def _drain(queue: asyncio.Queue, tick: Callable[[], float | None] | None = None,
                 ) -> AsyncGenerator[dict[str, Any], None]:
    while True:
        timeout = tick() if tick is not None else None
        if timeout is None:
            message = await queue.get()
        else:
            try:  # a cancelled Queue.get loses nothing
                message = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                yield TICK
                continue
        yield message


def hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub(get_channel_layer())
    return found


def listen(*groups: str, tick: Callable[[], float | None] | None = None,
           ) -> contextlib.AbstractAsyncContextManager[AsyncGenerator[dict[str, Any], None]]:
    return hub().listen(*groups, tick=tick)


def local_listeners(group: str) -> int:
    """How many subscriptions of this process (event loop) listen to ``group``."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    return found.count(group) if found else 0
