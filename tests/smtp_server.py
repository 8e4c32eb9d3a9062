"""An SMTP server on 127.0.0.1 (aiosmtpd) that keeps each message as it came, and the fixture that
points Django's e-mail settings at it (the real SMTP backend)."""

from __future__ import annotations

import socket

import pytest


class Collect:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []  # (MAIL FROM, RCPT TO, the message's bytes)

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is in the dev extra")
    handler = Collect()
    port = free_port()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Sparkle <bookings@sparkle.example>"
    try:
        yield handler
    finally:
        controller.stop()
