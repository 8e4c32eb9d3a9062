"""Outbound SMS transports, chosen by dotted path in ``settings.SMS_BACKEND`` (as Django does for
e-mail). This module holds the local stand-ins; the Twilio transport lives with the SMS front
(``conversations.sms.twilio_backend.TwilioSmsBackend``) because the domain imports no transport
library; it is loaded by name, never imported by ``core``.
"""

from __future__ import annotations

import itertools
import secrets
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str
    from_number: str = ""


class SmsSendError(Exception):
    """The transport refused the message. ``code`` is the provider's error code when there is one."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent


class BaseSmsBackend:
    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        raise NotImplementedError


@dataclass(frozen=True)
class OutboxEntry:
    sid: str
    to: str
    from_number: str
    body: str
    status_callback: str | None


# The in-memory outbox (like django.core.mail.outbox). ``blocked`` numbers fail with 21610, as the
# carrier does after a customer replied STOP, so the opt-out path can be exercised locally.
outbox: list[OutboxEntry] = []
blocked: set[str] = set()
_counter = itertools.count(1)
# Sids are unique in the log table: a per-process part keeps a restarted server (or the served process
# after seed_demo) from reusing the sids an earlier process handed out.
_run = secrets.token_hex(4)
_lock = threading.Lock()


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        if to in blocked:
            raise SmsSendError("The recipient has opted out (STOP).", code=21610, permanent=True)
        with _lock:
            sid = f"SMlocal{_run}{next(_counter):018d}"
        sender = settings.TWILIO_FROM_NUMBER or "+10000000000"
        outbox.append(OutboxEntry(sid=sid, to=to, from_number=sender, body=body, status_callback=status_callback))
        return SendResult(sid=sid, status="queued", from_number=sender)


class ConsoleSmsBackend(LocmemSmsBackend):
    """Development: print each message and keep it in the outbox."""

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        result = super().send(to=to, body=body, status_callback=status_callback)
        sys.stdout.write(f"--- SMS {result.sid} to {to} ---\n{body}\n---\n")
        sys.stdout.flush()
        return result


@lru_cache(maxsize=8)
def _backend(path: str) -> BaseSmsBackend:
    return import_string(path)()


def get_backend() -> BaseSmsBackend:
    return _backend(settings.SMS_BACKEND)
