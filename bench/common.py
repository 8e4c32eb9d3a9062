"""Shared helpers for benchmarks: timing statistics, a table printer, a server process on loopback."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    """Milliseconds per call."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def timed_interleaved(fns: Sequence[Callable[[], object]], runs: int, warmup: int = 3) -> list[list[float]]:
    """Milliseconds per call of each function, calling them in turn (a, b, a, b, ...): a subject and
    its floor see the same machine load, so their ratio does not drift with a noisy neighbour."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, samples in zip(fns, out, strict=True):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
    return out


def summary(samples: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(samples), percentile(samples, 95), percentile(samples, 99)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(env: dict[str, str], settings: str = "bench.settings", port: int | None = None):
    """Run the server (``manage.py serve``, as ``make serve`` does) on 127.0.0.1 with the given environment;
    yields the base URL."""
    port = port or free_port()
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings}
    # The server's log goes to a file: an unread pipe fills up and then blocks the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode()[-2000:]) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        log.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams, for load generators.

    httpx costs the client ~2.5 ms of CPU per request; on a 2-core machine that shares its cores
    with the server under test, that alone would cap a benchmark near 400 req/s and take CPU from
    the server. This does the least a load generator needs (Content-Length bodies, no chunking,
    no redirects) in ~0.1 ms. Use it as ``async with Connection(base) as conn``.
    """

    def __init__(self, base: str, timeout: float = 30) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port, self.timeout = host, int(port or 80), timeout
        self.reader: object = None
        self.writer: object = None

    async def __aenter__(self) -> Connection:
        import asyncio

        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()  # type: ignore[attr-defined]

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body) of one request on this connection."""
        import asyncio

        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)  # type: ignore[attr-defined]
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), self.timeout)  # type: ignore[attr-defined]
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        payload = await asyncio.wait_for(self.reader.readexactly(length), self.timeout)  # type: ignore[attr-defined]
        return int(status_line.split(" ", 2)[1]), payload
