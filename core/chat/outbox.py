"""The chat outbox: every outbound call is a ``ChatMessage`` row first, delivered after commit.

``queue`` writes the row inside the caller's transaction with its delivery task
(:func:`deliver_message`, defined here beside the code it runs: this module is the bottom of the
app's import order, contract "Inside chat ..." in pyproject). Inside a webhook request the ids are collected instead
(:func:`collecting`) and handed over after the webhook answered, so a slow Bot API never holds
the webhook. ``deliver`` claims a row with one conditional UPDATE (two workers never send the
same row), calls the backend outside any transaction and records the outcome: sent; retried
with back-off; failed for good (400); or unreachable (403: the person blocked the bot, the
binding is marked and a job offer falls back to SMS). ``flush`` delivers whatever is due,
including rows a crashed worker left claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from core.actors import Actor, Channel
from core.bookings.models import Booking
from core.workforce.models import Fieldworker

from . import backends, texts
from .models import (
    ChatBinding,
    ChatMessage,
    MessageKind,
    MessageMethod,
    MessageStatus,
    ProcessedUpdate,
    SmsFallback,
)

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
STALE_CLAIM = timedelta(minutes=2)
MAX_TEXT = 4096

_collector: ContextVar[list[int] | None] = ContextVar("chat_outbox_collector", default=None)


@contextmanager
def collecting() -> Iterator[list[int]]:
    """Collect the ids of messages queued (and committed) in this context instead of enqueueing."""
    ids: list[int] = []
    token = _collector.set(ids)
    try:
        yield ids
    finally:
        _collector.reset(token)


def _schedule(message_id: int) -> None:
    ids = _collector.get()
    if ids is not None:
        ids.append(message_id)
        return
    deliver_message.enqueue(message_id=message_id)


def queue(*, chat_id: int | None, text: str = "", kind: str = MessageKind.REPLY, method: str = MessageMethod.SEND,
          fieldworker_id: int | None = None, booking_id: int | None = None, comment_id: int | None = None,
          buttons: list | None = None, dedupe_key: str | None = None, **params: Any) -> ChatMessage | None:
    """Queue one call. With ``dedupe_key`` a second queue of the same key is a no-op (None)."""
    payload: dict[str, Any] = {key: value for key, value in params.items() if value is not None}
    if buttons is not None:
        payload["buttons"] = buttons
    fields = dict(chat_id=chat_id, text=text[:MAX_TEXT], kind=kind, method=method, fieldworker_id=fieldworker_id,
                  booking_id=booking_id, comment_id=comment_id, payload=payload, dedupe_key=dedupe_key)
    if dedupe_key is not None:
        try:
            with transaction.atomic():
                message = ChatMessage.objects.create(**fields)
        except IntegrityError:
            return None
    else:
        message = ChatMessage.objects.create(**fields)
    if _collector.get() is not None:
        transaction.on_commit(lambda: _schedule(message.pk), robust=True)  # handed over after the webhook answered
    else:
        _schedule(message.pk)  # a task row in the caller's transaction: committed with the message row
    return message


def send(chat_id: int, text: str, **kwargs: Any) -> ChatMessage | None:
    return queue(chat_id=chat_id, text=text, **kwargs)


def edit(chat_id: int, message_id: int, text: str, **kwargs: Any) -> ChatMessage | None:
    return queue(chat_id=chat_id, text=text, method=MessageMethod.EDIT, message_id=message_id, **kwargs)


def answer(callback_query_id: str, text: str = "", *, chat_id: int | None = None) -> ChatMessage | None:
    return queue(chat_id=chat_id, text=text[:200], method=MessageMethod.ANSWER, kind=MessageKind.ANSWER,
                 callback_query_id=callback_query_id)


# --- delivery ---------------------------------------------------------------------------------------


def _params(message: ChatMessage) -> dict[str, Any]:
    params = dict(message.payload)
    if message.method == MessageMethod.ANSWER:
        if message.text:
            params["text"] = message.text
        return params
    params["chat_id"] = message.chat_id
    params["text"] = message.text
    return params


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** min(attempts, 12)), MAX_BACKOFF)


def _binding_for(message: ChatMessage) -> ChatBinding | None:
    if message.chat_id is None:
        return None
    return ChatBinding.objects.filter(chat_id=message.chat_id, unlinked_at__isnull=True).first()


def deliver(message_id: int) -> str:
    """Deliver one queued message; returns its status afterwards. Call outside a transaction."""
    now = timezone.now()
    claimed = ChatMessage.objects.filter(pk=message_id, status=MessageStatus.PENDING).update(
        status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    message = ChatMessage.objects.filter(pk=message_id).first()
    if message is None:
        logger.info("chat message %s is gone; nothing to deliver", message_id)
        return "missing"
    if not claimed:
        return message.status
    binding = _binding_for(message)
    if binding is not None and binding.unreachable_at is not None and message.method == MessageMethod.SEND:
        return _unreachable(message, "Marked unreachable earlier (the bot was blocked).")
    try:
        result = backends.get_backend().call(method=message.method, params=_params(message))
    except backends.ChatSendError as exc:
        if exc.blocked:
            if binding is not None:
                ChatBinding.objects.filter(pk=binding.pk, unreachable_at__isnull=True).update(unreachable_at=now)
            return _unreachable(message, exc.message)
        if exc.permanent:
            ChatMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error=exc.message[:300])
            return MessageStatus.FAILED
        delay = timedelta(seconds=exc.retry_after) if exc.retry_after else _backoff(message.attempts)
        return _retry(message, exc.message, delay)
    except Exception as exc:  # a transport bug or an outage we did not foresee: keep the message
        logger.exception("chat delivery of %s failed", message.pk)
        return _retry(message, f"{type(exc).__name__}: {exc}", _backoff(message.attempts))
    ChatMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=timezone.now(), telegram_message_id=result.message_id, last_error="")
    return MessageStatus.SENT


def _retry(message: ChatMessage, error: str, delay: timedelta) -> str:
    """Back to pending (the outbox flush, every minute, takes it when due), or failed once its
    attempts are used up (``FIELDOPS_RETRY_ATTEMPTS``; staff can retry it, decision 0034)."""
    if message.attempts >= settings.FIELDOPS_RETRY_ATTEMPTS:
        ChatMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED,
                                                         last_error=f"gave up: {error}"[:300])
        return MessageStatus.FAILED
    ChatMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING, next_attempt_at=timezone.now() + delay, last_error=error[:300])
    return MessageStatus.PENDING


def retry(message_id: int) -> ChatMessage | None:
    """A failed message back to pending, due now, with a fresh delivery task (in the caller's
    transaction). None when it is not failed."""
    if not ChatMessage.objects.filter(pk=message_id, status=MessageStatus.FAILED).update(
            status=MessageStatus.PENDING, next_attempt_at=timezone.now(), attempts=0, last_error=""):
        return None
    _schedule(message_id)
    return ChatMessage.objects.get(pk=message_id)


def _unreachable(message: ChatMessage, error: str) -> str:
    fallback = SmsFallback.NONE
    if message.kind == MessageKind.OFFER:
        fallback = _sms_fallback(message)
    ChatMessage.objects.filter(pk=message.pk).update(status=MessageStatus.UNREACHABLE, last_error=error[:300],
                                                     sms_fallback=fallback)
    return MessageStatus.UNREACHABLE


def _sms_fallback(message: ChatMessage) -> str:
    """A job offer that cannot reach the chat goes out by SMS when the SMS layer is installed;
    otherwise the row says the fallback is still needed (staff see it)."""
    if not apps.is_installed("core.sms"):
        return SmsFallback.NEEDED
    from core.sms.services import sms_send  # an optional app: imported only when installed

    fieldworker = Fieldworker.objects.filter(pk=message.fieldworker_id).first()
    booking = Booking.objects.filter(pk=message.booking_id).first()
    if fieldworker is None or not fieldworker.mobile or booking is None:
        return SmsFallback.FAILED
    try:
        sms = sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=fieldworker.mobile,
                       body=texts.offer_sms(booking), booking_id=booking.pk)
    except Exception:
        logger.exception("SMS fallback for chat message %s failed", message.pk)
        return SmsFallback.FAILED
    return SmsFallback.FAILED if sms.status in ("failed", "skipped", "undelivered") else SmsFallback.SENT


def deliver_many(message_ids: list[int]) -> dict[str, int]:
    """Deliver these messages in order, button answers first (the person's client shows a spinner
    until its press is answered)."""
    answers = set(ChatMessage.objects.filter(pk__in=message_ids, method=MessageMethod.ANSWER)
                  .values_list("pk", flat=True))
    ordered = [pk for pk in message_ids if pk in answers] + [pk for pk in message_ids if pk not in answers]
    counts: dict[str, int] = {}
    for message_id in ordered:
        status = deliver(message_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def due(limit: int = 200) -> list[int]:
    now = timezone.now()
    ChatMessage.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=MessageStatus.PENDING)
    return list(ChatMessage.objects.filter(Q(status=MessageStatus.PENDING) & Q(next_attempt_at__lte=now))
                .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def flush(limit: int = 200) -> dict[str, int]:
    """Deliver everything due now. Returns a count per resulting status."""
    counts: dict[str, int] = {}
    for message_id in due(limit):
        status = deliver(message_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


UPDATE_MEMORY = timedelta(days=7)


def forget_old_updates() -> int:
    """Telegram redelivers an update for at most a day; a week of ids is plenty for de-duplication."""
    deleted, _ = ProcessedUpdate.objects.filter(received_at__lt=timezone.now() - UPDATE_MEMORY).delete()
    return deleted


@task()
def deliver_message(message_id: int) -> str:
    return deliver(message_id)
