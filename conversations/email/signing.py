"""Inbound-mail webhook signatures, in the form the common providers use for inbound routes: the
fields ``timestamp``, ``token`` (random, one per call) and ``signature``, the hex HMAC-SHA256 of
``timestamp + token`` under the webhook signing key. Checked on every call; made by tests and bench."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings


def sign(timestamp: str, token: str, key: str | None = None) -> str:
    key = settings.INBOUND_EMAIL_SIGNING_KEY if key is None else key
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def check(timestamp: str, token: str, signature: str) -> str | None:
    """None when the call is genuine and fresh, else why not."""
    key = settings.INBOUND_EMAIL_SIGNING_KEY
    if not key or not timestamp or not token or not signature:
        return "Bad or missing signature."
    if not hmac.compare_digest(sign(timestamp, token, key), signature.lower()):
        return "Bad or missing signature."
    try:
        age = time.time() - float(timestamp)
    except ValueError:
        return "Bad or missing signature."
    if abs(age) > settings.INBOUND_EMAIL_MAX_AGE_SECONDS:
        return "Stale call: the timestamp is outside the accepted window."
    return None
