"""Outbound chat transports, chosen by dotted path in ``settings.CHAT_BACKEND`` (as Django does
for e-mail). The local stand-ins live here; the Telegram transport lives with the chat front
(``conversations.telegram.backend.TelegramChatBackend``) and is loaded by name, so the domain
imports no transport library.

A backend performs one Bot API style call: ``sendMessage``, ``editMessageText`` or
``answerCallbackQuery`` with plain parameters; buttons are ``[[label, data], ...]`` rows.
"""

from __future__ import annotations

import itertools
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ChatSendResult:
    message_id: int | None = None


class ChatSendError(Exception):
    """The transport did not carry the call.

    ``blocked``: the person blocked the bot (HTTP 403), retrying never helps.
    ``permanent``: the call itself is wrong or too late (HTTP 400), retrying never helps.
    ``retry_after``: the transport asked us to slow down (HTTP 429), in seconds.
    Anything else is temporary and retried with back-off.
    """

    def __init__(self, message: str, *, blocked: bool = False, permanent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.blocked = blocked
        self.permanent = permanent
        self.retry_after = retry_after


class BaseChatBackend:
    def call(self, *, method: str, params: dict[str, Any]) -> ChatSendResult:
        raise NotImplementedError

    def download(self, *, file_id: str) -> tuple[bytes, str]:
        """The bytes of a file a person sent, and its name."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections and threads (when the settings change)."""


@dataclass(frozen=True)
class OutboxEntry:
    method: str
    params: dict[str, Any] = field(default_factory=dict)


# The in-memory transport (like django.core.mail.outbox). Chats in ``blocked`` answer as a
# person who blocked the bot does; ``files`` holds what ``download`` returns.
outbox: list[OutboxEntry] = []
blocked: set[int] = set()
files: dict[str, bytes] = {}
_ids = itertools.count(1000)
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        outbox.clear()
        blocked.clear()
        files.clear()


class LocmemChatBackend(BaseChatBackend):
    def call(self, *, method: str, params: dict[str, Any]) -> ChatSendResult:
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in blocked:
            raise ChatSendError("Forbidden: bot was blocked by the user", blocked=True)
        with _lock:
            outbox.append(OutboxEntry(method=method, params=dict(params)))
            message_id = next(_ids) if method == "sendMessage" else params.get("message_id")
        return ChatSendResult(message_id=message_id)

    def download(self, *, file_id: str) -> tuple[bytes, str]:
        if file_id not in files:
            raise ChatSendError("Bad Request: invalid file_id", permanent=True)
        return files[file_id], f"{file_id}.jpg"


class ConsoleChatBackend(LocmemChatBackend):
    """Development: print each call and keep it in the in-memory outbox."""

    def call(self, *, method: str, params: dict[str, Any]) -> ChatSendResult:
        result = super().call(method=method, params=params)
        text = params.get("text", "")
        buttons = " | ".join(label for row in params.get("buttons", []) for label, _ in row)
        sys.stdout.write(f"--- chat {method} to {params.get('chat_id', '-')} ---\n{text}\n"
                         + (f"[{buttons}]\n" if buttons else "") + "---\n")
        sys.stdout.flush()
        return result


_cache: dict[tuple, BaseChatBackend] = {}
_cache_lock = threading.Lock()


def get_backend() -> BaseChatBackend:
    """The configured backend; a new instance when the settings it depends on change (tests)."""
    key = (settings.CHAT_BACKEND, settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE_URL,
           settings.TELEGRAM_MAX_PER_SECOND, settings.TELEGRAM_MAX_PER_CHAT_PER_SECOND)
    with _cache_lock:
        backend = _cache.get(key)
        if backend is None:
            for old in _cache.values():
                old.close()
            _cache.clear()
            backend = _cache[key] = import_string(settings.CHAT_BACKEND)()
    return backend
