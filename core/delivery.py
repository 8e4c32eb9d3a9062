"""What every outbound delivery (e-mail, SMS, chat) shares: who holds a claim, and when to try again.

- ``CURRENT_TASK``: the id of the task running in this context (set by ``config.observability``
  from the Tasks API's signals). A delivery claims its log row with it, so the same task run again
  after its worker was lost may take the row back (``sending`` under its own claim), while any other
  task (a retry action, a sweep, a second worker) sees the row taken (docs/decisions/0033).
- :func:`smtp_transient`: whether a failed e-mail send is worth trying again.
- :func:`next_attempt`: exponential back-off with a cap, and None once the attempts are used up
  (then the row is marked failed, visible to staff with a retry action; decision 0034).
"""

from __future__ import annotations

import smtplib
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

CURRENT_TASK: ContextVar[str] = ContextVar("fieldops_current_task", default="")


def current_claim() -> str:
    return CURRENT_TASK.get()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1, 2, ...): base, 2x base, 4x ..., capped."""
    seconds = settings.FIELDOPS_RETRY_BASE * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.FIELDOPS_RETRY_CAP))


def next_attempt(attempts: int, *, now: datetime | None = None) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None: give up (mark failed)."""
    if attempts >= settings.FIELDOPS_RETRY_ATTEMPTS:
        return None
    return (now or timezone.now()) + backoff(attempts)


def smtp_transient(exc: Exception) -> bool:
    """An SMTP outage or a 4xx answer: worth trying again. A 5xx answer, or content that cannot be
    rendered, is not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, OSError)  # refused, reset, timed out, disconnected (SMTPException is one)
