"""Benchmark: how fast live subscribers hear of a Redis restart, and hear events again after it.

    .venv/bin/python bench/redis_restart.py [--subscribers 100] [--outages 0,3] [--rounds 3]

Starts a private ``redis-server`` on a free port (never the shared one), two server processes on it
and N WebSocket clients (graphql-transport-ws, half on each process) subscribed to one booking's
``bookingDiscussion``. Each round SIGKILLs Redis, waits the outage (seconds), starts it again and
records, per client, the time from Redis answering PING to the client holding ``resync_required``
(decision 0210). The clients then subscribe again and one comment is posted: the round also counts
how many of them receive it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import connect

from bench.common import percentile, print_table
from tests.realtime.live import ADD_COMMENT, graphql, live_stack
from tests.realtime.private_redis import PrivateRedis
from tests.realtime.support import DISCUSSION


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def open_client(url: str, token: str):
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def subscribe(ws, op_id: str, booking: str) -> None:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe",
                              "payload": {"query": DISCUSSION, "variables": {"id": booking}}}))


async def first(ws, predicate, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if predicate(message):
            return time.monotonic()


def is_resync(message: dict) -> bool:
    errors = (message.get("payload") or {}).get("errors") or []
    return message["type"] == "next" and any(e["extensions"]["code"] == "resync_required" for e in errors)


METRICS_TOKEN = "bench-restart-metrics"


def live_subscriptions(server) -> float:
    request = urllib.request.Request(f"{server.http}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("fieldops_graphql_subscriptions "):
                return float(line.split()[1])
    return 0.0


async def all_joined(stack, subscribers: int) -> None:
    """Every client's current subscription has joined its group in its process (the gauge counts a
    subscription once the hub has joined it, and no longer once it ended)."""
    want = {0: (subscribers + 1) // 2, 1: subscribers // 2}
    while True:
        counts = [await asyncio.to_thread(live_subscriptions, server) for server in stack.servers]
        if all(counts[i] == want[i] for i in want):
            return
        await asyncio.sleep(0.05)


async def run(subscribers: int, outages: list[float], rounds: int) -> list[list]:
    redis = PrivateRedis()
    redis.start()
    rows = []
    try:
        with live_stack(2, redis_url=redis.url, extra_env={"METRICS_TOKEN": METRICS_TOKEN}) as stack:
            booking = gid("Booking", stack.data["booking_id"])
            token = stack.data["customer_token"]
            clients = [await open_client(stack.servers[i % 2].ws, token) for i in range(subscribers)]
            await asyncio.gather(*(subscribe(ws, "d0", booking) for ws in clients))
            await all_joined(stack, subscribers)
            op = 0
            for outage in outages:
                for _ in range(rounds):
                    await asyncio.to_thread(redis.kill)
                    await asyncio.sleep(outage)
                    await asyncio.to_thread(redis.start)
                    back = time.monotonic()
                    told = await asyncio.gather(*(first(ws, is_resync) for ws in clients))
                    waits = sorted((t - back) * 1000 for t in told)
                    op += 1
                    await asyncio.gather(*(subscribe(ws, f"d{op}", booking) for ws in clients))
                    await all_joined(stack, subscribers)
                    body = f"round {op}"
                    await asyncio.to_thread(graphql, stack.servers[0].http, ADD_COMMENT,
                                            {"input": {"bookingId": booking, "body": body, "visibleToCustomer": True}},
                                            stack.data["staff_token"])

                    def has_body(message: dict, body: str = body) -> bool:
                        data = (message.get("payload") or {}).get("data") or {}
                        return (data.get("bookingDiscussion") or {}).get("body") == body

                    got = await asyncio.gather(*(first(ws, has_body, 10) for ws in clients), return_exceptions=True)
                    delivered = sum(1 for g in got if not isinstance(g, BaseException))
                    rows.append([subscribers, f"{outage:g}", f"{percentile(waits, 50):.0f}",
                                 f"{percentile(waits, 99):.0f}", f"{waits[-1]:.0f}", f"{len(told)}/{subscribers}",
                                 f"{delivered}/{subscribers}"])
                    print(rows[-1], flush=True)
            for ws in clients:
                await ws.close()
    finally:
        redis.kill()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--outages", default="0,3", help="seconds Redis stays down, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = asyncio.run(run(args.subscribers, [float(x) for x in args.outages.split(",")], args.rounds))
    print_table(["N", "outage s", "told p50 ms", "told p99 ms", "told max ms", "told", "heard after"], rows)


if __name__ == "__main__":
    main()
