"""The real SMTP backend against an SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest

from core.outreach.models import EmailMessage
from tests import factories

from .support import deliver, view_links_to

aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is in the dev extra")

pytestmark = pytest.mark.django_db


class Collect:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
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


def test_confirmation_goes_out_over_smtp_as_multipart(smtp_server):
    booking = factories.booking()
    deliver()
    assert len(smtp_server.received) == 1
    mail_from, rcpt, raw = smtp_server.received[0]
    assert mail_from == "bookings@sparkle.example" and rcpt == [booking.customer.email]
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert view_links_to(booking, text) and view_links_to(booking, html)
    row = EmailMessage.objects.get(booking=booking)
    assert row.status == "sent" and parsed["Message-ID"] == row.message_id
