"""The real SMTP backend against an SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
from email import policy

import pytest

from core.outreach.models import EmailMessage
from tests import factories

from .support import deliver, view_links_to

pytestmark = pytest.mark.django_db


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
