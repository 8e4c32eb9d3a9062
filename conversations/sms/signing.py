"""Twilio webhook signatures: checked on every webhook, made by the simulator, tests and bench."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(path_with_query: str) -> str:
    """The URL Twilio was given (behind a proxy the Host header says nothing useful)."""
    return f"{settings.FIELDOPS_PUBLIC_URL}{path_with_query}"


def sign(url: str, params: Mapping[str, str], token: str | None = None) -> str:
    return RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, dict(params))


def is_valid(url: str, params, signature: str) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)
