"""An SMTP server on 127.0.0.1 (aiosmtpd) for the live tests and bench/tasks.py.

It answers each message after ``delay`` seconds (an I/O-bound send), and counts a message as
delivered only when it still has a client to say 250 to: a client that died mid-send delivered
nothing, as SMTP has it. ``hold`` picks one message to keep unanswered until ``release()``, so a
test can kill the worker that sends it at a known moment instead of at a random one.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter
from collections.abc import Callable
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self, *, delay: float = 0.0, hold: Callable[[str], bool] | None = None) -> None:
        self.delay = delay
        self.hold = hold
        self.lock = threading.Lock()
        self.delivered: list[tuple[str, str]] = []  # (Message-ID, subject)
        self.dropped: list[str] = []  # Message-IDs whose client went away before the answer
        self.held = threading.Event()
        self.held_subject = ""
        self._release = threading.Event()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.controller.stop()

    def release(self) -> None:
        self._release.set()

    def env(self) -> dict[str, str]:
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.port), "EMAIL_TIMEOUT": "10", "EMAIL_USE_TLS": "0"}

    def counts(self, contains: str = "") -> Counter:
        with self.lock:
            return Counter(mid for mid, subject in self.delivered if contains in subject)

    @staticmethod
    def _gone(server) -> bool:
        transport = getattr(server, "transport", None)
        return transport is None or transport.is_closing()

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message_id, subject = str(parsed["Message-ID"]), str(parsed["Subject"])
        try:
            if self.hold is not None and not self.held.is_set() and self.hold(subject):
                self.held_subject = subject
                self.held.set()
                while not self._release.is_set():
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.2)  # a killed client's connection is surely seen closed by now
            if self.delay:
                await asyncio.sleep(self.delay)
        except asyncio.CancelledError:  # aiosmtpd cancels the handler when the client goes away
            with self.lock:
                self.dropped.append(message_id)
            raise
        if self._gone(server):
            with self.lock:
                self.dropped.append(message_id)
            return "421 the client went away"
        with self.lock:
            self.delivered.append((message_id, subject))
        return "250 OK"
