from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from conversations.sms.signing import SIGNATURE_HEADER, sign
from core.sms.models import SmsKind
from core.sms.tasks import send_booking_sms
from tests import factories
from tests.conftest import OUR_NUMBER

SMS_PATH = "/webhooks/twilio/sms/"
STATUS_PATH = "/webhooks/twilio/status/"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SMtest{next(_sids):028d}"


@dataclass
class Reply:
    status: int
    text: str  # "" when the TwiML holds no <Message>
    xml: bytes
    messages: list[str]


def post_signed(client: Client, path: str, params: dict[str, str], *, signature: str | None = None,
                url: str | None = None) -> object:
    """Post form-encoded and signed exactly as Twilio does: HMAC-SHA1 over the public URL
    (path and query) followed by the sorted parameters, base64, in X-Twilio-Signature."""
    signed_url = url or f"{settings.FIELDOPS_PUBLIC_URL}{path}"
    headers = {}
    sig = sign(signed_url, params) if signature is None else signature
    if sig:
        headers[SIGNATURE_HEADER] = sig
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers=headers)


def inbound_params(body: str, sender: str, *, sid: str | None = None, to: str = OUR_NUMBER) -> dict[str, str]:
    return {"MessageSid": sid or new_sid(), "SmsSid": sid or "", "AccountSid": "AC" + "1" * 32, "From": sender,
            "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}


def parse_reply(response) -> Reply:
    if response.status_code != 200:
        return Reply(response.status_code, "", response.content, [])
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    messages = [node.text or "" for node in root.iter("Message")]
    return Reply(200, messages[0] if messages else "", response.content, messages)


@pytest.fixture(autouse=True)
def _sms_settings(twilio_sms):
    return twilio_sms


@pytest.fixture
def sms(client) -> Callable[..., Reply]:
    """Text the product: ``sms("CANCEL 1042", sender)`` -> the parsed TwiML reply."""

    def send(body: str, sender: str, *, sid: str | None = None, to: str = OUR_NUMBER) -> Reply:
        return parse_reply(post_signed(client, SMS_PATH, inbound_params(body, sender, sid=sid, to=to)))

    return send


def prompted_booking(customer, *, days: float = 3, hours: float | None = None):
    """A booking of ``customer`` whose confirmation SMS went out (so replies answer for it)."""
    start = timezone.now().replace(microsecond=0) + (timedelta(hours=hours) if hours else timedelta(days=days))
    booking = factories.booking(cust=customer, start=start)
    send_booking_sms.call(SmsKind.CONFIRMATION, booking.pk)
    return booking
