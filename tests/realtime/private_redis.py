"""A Redis server of the test's own, on a free loopback port, that the test may kill and start again.

Tests that break Redis never touch the shared one: this runs ``redis-server`` as a child process
with no persistence (a restart comes back empty, as a restarted cache or a new container does) and
stops it at the end whatever happened.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .live import free_port


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


needs_redis_server = pytest.mark.skipif(redis_server_binary() is None,
                                        reason="redis-server is not installed (apt-get install redis-server)")


class PrivateRedis:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        binary = redis_server_binary()
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not self.answers():
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"redis-server on port {self.port} exited at start (port taken?)")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server on port {self.port} did not answer PING")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill: no goodbye to the clients (the kernel resets their sockets)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def numsub(self, channel: str) -> int:
        """Subscribers of one pub/sub channel, as Redis counts them (RESP by hand: no client state)."""
        name = channel.encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(b"*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$%d\r\n%s\r\n" % (len(name), name))
            reply = b""
            while reply.count(b"\r\n") < 4:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                reply += chunk
        # *2 $len name :count
        return int(reply.split(b"\r\n")[3].lstrip(b":"))


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()
