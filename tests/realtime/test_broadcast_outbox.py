"""realtime.broadcast.send_all in a serving process: group sends handed to the server's event loop,
sent there in order, without the committing thread waiting for them; elsewhere sent before it
returns. A real in-memory channel layer, a real event loop on its own thread."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from realtime import broadcast


class Loop:
    """An event loop running on a thread of its own, as a server's does."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 5) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class GatedLayer(InMemoryChannelLayer):
    """An in-memory layer whose sends wait for a gate (a slow or stuck channel layer) and can fail."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.fail_for: set[str] = set()
        self.sent: list[str] = []

    async def group_send(self, group: str, message: dict) -> None:
        await self.gate.wait()
        if group in self.fail_for:
            raise ConnectionError("layer down")
        self.sent.append(group)
        await super().group_send(group, message)


@pytest.fixture
def serving(monkeypatch) -> Iterator[tuple[Loop, list[Any]]]:
    """A serving loop and a channel-layer slot the test fills (None: the configured layer)."""
    loop = Loop()
    layer: list[Any] = [None]
    real = broadcast.get_channel_layer
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: layer[0] or real())
    loop.run(_serve_from_here())
    try:
        yield loop, layer
    finally:
        broadcast._outbox = None
        loop.stop()


async def _serve_from_here() -> None:
    broadcast.serve_from(asyncio.get_running_loop())


def _pair(group: str, n: int) -> tuple[str, dict]:
    return group, {"type": "booking.event", "n": n}


def _gated(loop: Loop) -> GatedLayer:
    async def make() -> GatedLayer:
        return GatedLayer()  # its gate is an asyncio.Event: made on the serving loop

    return loop.run(make())


def test_sends_from_several_threads_arrive_in_the_order_they_were_handed_over(serving):
    loop, slot = serving
    layer = InMemoryChannelLayer(capacity=1000)
    slot[0] = layer
    channel = loop.run(layer.new_channel())
    loop.run(layer.group_add("bookings", channel))
    order: list[int] = []
    lock = threading.Lock()

    def producer(start: int) -> None:
        for n in range(start, start + 50):
            with lock:  # the order of hand-over is the order the test expects
                order.append(n)
                broadcast.send_all([_pair("bookings", n)])

    threads = [threading.Thread(target=producer, args=(k * 100,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def receive_all() -> list[int]:
        return [(await layer.receive(channel))["n"] for _ in range(150)]

    assert loop.run(receive_all()) == order


def test_the_committing_thread_does_not_wait_for_the_layer(serving):
    loop, slot = serving
    layer = _gated(loop)
    slot[0] = layer
    started = time.monotonic()
    broadcast.send_all([_pair("bookings", 1), _pair("booking.7", 1)])
    assert time.monotonic() - started < 1  # returned while the layer is still stuck
    assert layer.sent == []
    loop.loop.call_soon_threadsafe(layer.gate.set)
    _until(lambda: layer.sent == ["bookings", "booking.7"])


def test_a_failed_send_is_logged_and_the_next_ones_still_go(serving, caplog):
    loop, slot = serving
    layer = _gated(loop)
    layer.fail_for = {"booking.1"}
    slot[0] = layer
    loop.loop.call_soon_threadsafe(layer.gate.set)
    with caplog.at_level(logging.ERROR, logger="realtime.broadcast"):
        broadcast.send_all([_pair("booking.1", 1), _pair("bookings", 1)])
        broadcast.send_all([_pair("booking.2", 2)])
        _until(lambda: layer.sent == ["bookings", "booking.2"])
    assert any("broadcast to booking.1 failed" in record.getMessage() for record in caplog.records)


def test_a_full_backlog_makes_the_sender_wait_for_room(serving, monkeypatch):
    loop, slot = serving
    layer = _gated(loop)
    slot[0] = layer
    monkeypatch.setattr(broadcast._Outbox, "LIMIT", 3)
    broadcast.send_all([_pair("bookings", n) for n in range(3)])  # at the limit: no wait
    _until(lambda: broadcast._outbox is not None and broadcast._outbox.backlog == 3)
    done: Future = Future()
    sender = threading.Thread(target=lambda: (broadcast.send_all([_pair("bookings", 3)]), done.set_result(True)))
    sender.start()
    time.sleep(0.3)
    assert not done.done()  # over the limit and the layer is stuck: the sender waits
    loop.loop.call_soon_threadsafe(layer.gate.set)
    assert done.result(timeout=5) is True
    sender.join(5)
    _until(lambda: len(layer.sent) == 4)


class Recording(InMemoryChannelLayer):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append(group)


def test_when_the_server_loop_stopped_it_sends_before_returning(serving):
    loop, slot = serving
    layer = Recording()
    slot[0] = layer
    loop.loop.call_soon_threadsafe(loop.loop.stop)
    loop.thread.join(5)  # stopped, not closed: nothing may be handed to it any more
    broadcast.send_all([_pair("bookings", 1), _pair("booking.3", 1)])
    assert layer.sent == ["bookings", "booking.3"]


def test_outside_a_server_it_sends_before_returning(monkeypatch):
    layer = Recording()
    monkeypatch.setattr(broadcast, "_outbox", None)
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: layer)
    broadcast.send_all([_pair("bookings", 1), _pair("booking.3", 1)])
    assert layer.sent == ["bookings", "booking.3"]


def _until(condition: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
