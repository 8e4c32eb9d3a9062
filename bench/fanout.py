"""Benchmark: fan-out of one booking's discussion to N live subscribers across two processes.

    .venv/bin/python bench/fanout.py [--sizes 10,100,1000] [--comments 20] [--layers pubsub,plain]

Starts two server processes sharing Redis (REDIS_URL, default redis://127.0.0.1:6379/0) and a
seeded SQLite file, connects N WebSocket clients (graphql-transport-ws, half on each process)
subscribed to ``bookingDiscussion`` of one booking, then posts comments one at a time through
the ``addBookingComment`` mutation on the first process and records, for every delivery,
receipt time minus the comment's ``createdAt`` (stamped inside the transaction, just before
commit, so the figure slightly over-states commit-to-receipt).

The floor: the channel layer alone, same Redis, two worker processes holding N/2 channels in
one group, ``group_send`` from a third, receipt minus send time. No GraphQL, no WebSocket.

Targets on the 2-core machine: p99 < 50 ms at N=100, < 250 ms at N=1000. The clients run on
the same two cores as the servers, so their own work is inside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, print_table
from tests.realtime.live import ADD_COMMENT, ROOT, graphql, live_stack

LAYERS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "plain": "channels_redis.core.RedisChannelLayer",
}
DISCUSSION = "subscription($id: ID!) { bookingDiscussion(bookingId: $id) { commentId body createdAt } }"


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


# --- the full path: mutation -> commit -> layer -> server -> WebSocket ----------------------------


class Subscriber:
    def __init__(self, url: str) -> None:
        self.url = url
        self.received: dict[str, float] = {}  # comment id -> latency ms
        self.task: asyncio.Task | None = None

    async def start(self, token: str, booking: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, subprotocols=["graphql-transport-ws"], max_queue=None,
                                ping_interval=None)
        await self.ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        ack = json.loads(await self.ws.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"not acknowledged: {ack}")
        await self.ws.send(json.dumps({"id": "1", "type": "subscribe",
                                       "payload": {"query": DISCUSSION, "variables": {"id": booking}}}))
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            await self._receive_all()

    async def _receive_all(self) -> None:
        async for raw in self.ws:
            now = time.time()
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            live = message["payload"]["data"]["bookingDiscussion"]
            created = datetime.fromisoformat(live["createdAt"]).timestamp()
            self.received[live["commentId"]] = (now - created) * 1000

    async def stop(self) -> None:
        await self.ws.close()
        if self.task:
            self.task.cancel()


async def post(http: str, booking: str, token: str, body: str) -> str:
    result = await asyncio.to_thread(graphql, http, ADD_COMMENT, {"input": {"bookingId": booking, "body": body}},
                                     token)
    payload = result["data"]["addBookingComment"]
    if payload["errors"]:
        raise RuntimeError(payload["errors"])
    return payload["comment"]["id"]


async def until_delivered(subscribers: list[Subscriber], comment: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(comment not in s.received for s in subscribers):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def full_path(stack, n: int, comments: int) -> tuple[list[float], int]:
    booking, token = gid("Booking", stack.data["booking_id"]), stack.data["staff_token"]
    subscribers = [Subscriber(stack.servers[i % len(stack.servers)].ws) for i in range(n)]
    try:
        for start in range(0, n, 50):
            await asyncio.gather(*(s.start(token, booking) for s in subscribers[start:start + 50]))
        http = stack.servers[0].http
        for attempt in range(10):  # warm up until every subscription is live
            warm = await post(http, booking, token, f"warm-up {attempt}")
            if await until_delivered(subscribers, warm, 5):
                break
        else:
            live = sum(bool(s.received) for s in subscribers)
            raise RuntimeError(f"only {live} of {n} subscribers ever received anything")
        samples: list[float] = []
        missed = 0
        for i in range(comments):
            comment = await post(http, booking, token, f"comment {i}")
            if not await until_delivered(subscribers, comment, 10):
                missed += sum(comment not in s.received for s in subscribers)
            samples.extend(s.received[comment] for s in subscribers if comment in s.received)
            await asyncio.sleep(0.05)
        return samples, missed
    finally:
        await asyncio.gather(*(s.stop() for s in subscribers if hasattr(s, "ws")), return_exceptions=True)


# --- the floor: the channel layer alone --------------------------------------------------------------


def make_layer(env: dict[str, str]):
    module, _, name = env.get("FIELDOPS_CHANNEL_LAYER", LAYERS["pubsub"]).rpartition(".")
    return getattr(importlib.import_module(module), name)(hosts=[env["REDIS_URL"]],
                                                          prefix=env.get("FIELDOPS_CHANNEL_PREFIX", "asgi"))


async def layer_worker(channels: int, group: str, messages: int) -> None:
    layer = make_layer(dict(os.environ))
    names = [await layer.new_channel() for _ in range(channels)]
    for name in names:
        await layer.group_add(group, name)
    print("ready", flush=True)
    latencies: list[float] = []

    async def receive(name: str) -> None:
        await layer.receive(name)  # the warm-up message is not counted
        for _ in range(messages - 1):
            message = await layer.receive(name)
            latencies.append((time.time() - message["t"]) * 1000)

    await asyncio.wait_for(asyncio.gather(*(receive(name) for name in names)), timeout=120)
    print(json.dumps(latencies), flush=True)


async def layer_floor(env: dict[str, str], n: int, messages: int) -> tuple[list[float], int]:
    group = f"floor.{n}.{int(time.time() * 1000)}"
    workers = [
        subprocess.Popen([sys.executable, __file__, "--layer-worker", str(n // 2 + (n % 2 if i == 0 else 0)),
                          group, str(messages + 1)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError("layer worker failed")
    layer = make_layer(env)
    await layer.group_send(group, {"type": "bench", "t": time.time()})  # warm-up, not counted
    await asyncio.sleep(0.2)
    for _ in range(messages):
        await layer.group_send(group, {"type": "bench", "t": time.time()})
        await asyncio.sleep(0.05)
    samples: list[float] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=180)
        samples.extend(json.loads(out.strip().splitlines()[-1]))
    return samples, n * messages - len(samples)


# --- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--layers", default="pubsub,plain")
    parser.add_argument("--layer-worker", nargs=3, metavar=("CHANNELS", "GROUP", "MESSAGES"))
    args = parser.parse_args()
    if args.layer_worker:
        channels, group, messages = args.layer_worker
        asyncio.run(layer_worker(int(channels), group, int(messages)))
        return

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = []
    for name in args.layers.split(","):
        print(f"== {name}: {LAYERS[name]}", file=sys.stderr, flush=True)
        with live_stack(2, redis_url=redis_url, layer=LAYERS[name], debug=False) as stack:
            for n in sizes:
                started = time.monotonic()
                for path, run in (("graphql over websocket", lambda n=n: full_path(stack, n, args.comments)),
                                  ("layer alone (floor)", lambda n=n: layer_floor(stack.env, n, args.comments))):
                    try:
                        samples, missed = asyncio.run(run())
                    except Exception as exc:  # a size the setup cannot carry is a result too
                        rows.append([name, n, path, "-", "-", "-", f"failed: {exc}"[:60]])
                        print(f"   {path} N={n} failed: {exc}\n{stack.logs()[-2000:]}", file=sys.stderr, flush=True)
                        continue
                    rows.append([name, n, path, percentile(samples, 50), percentile(samples, 99), max(samples),
                                 f"{len(samples)}/{len(samples) + missed}"])
                    print("   " + "  ".join(str(c) for c in rows[-1]), file=sys.stderr, flush=True)
                print(f"   N={n} done in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    print_table(["layer", "N", "path", "p50 ms", "p99 ms", "max ms", "delivered"], rows)


if __name__ == "__main__":
    main()
