"""``POST /webhooks/telegram/``: Telegram delivers one update per call.

1. The secret header is compared in constant time; wrong or missing: 403 and nothing is touched.
2. The update id is claimed with a unique key; a redelivered update is acknowledged and ignored.
3. python-telegram-bot's Application routes the update to the dialog, which writes through the
   core services and queues replies in the outbox (no Bot API call in the request).
4. The queued message ids are handed to the Tasks API from a background thread after the answer,
   so the webhook answers quickly even when the Bot API is slow or down; whatever that hand-off
   does not deliver stays pending in the outbox for ``chat_outbox_flush``.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import threading
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from telegram import Update

from core.chat import outbox
from core.chat import services as chat_services

from .application import get_application

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
UPDATE_KINDS = ("message", "edited_message", "callback_query", "my_chat_member", "channel_post")


def secret_ok(given: str | None) -> bool:
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _kind(data: dict) -> str:
    return next((key for key in data if key != "update_id"), "")[:30]


def _chat_id(data: dict) -> int | None:
    for key in ("message", "edited_message"):
        chat = (data.get(key) or {}).get("chat") or {}
        if isinstance(chat.get("id"), int):
            return chat["id"]
    query = data.get("callback_query") or {}
    chat = ((query.get("message") or {}).get("chat")) or {}
    return chat.get("id") if isinstance(chat.get("id"), int) else None


def claim(update_id: int, data: dict) -> bool:
    """True the first time this update id is seen (core.chat.services.update_claim)."""
    return chat_services.update_claim(update_id=update_id, kind=_kind(data), chat_id=_chat_id(data))


def hand_off(message_ids: list[int]) -> None:
    """Give queued messages to the Tasks API without holding the webhook answer."""
    if not message_ids or not settings.CHAT_DELIVER_AFTER_WEBHOOK:
        return

    def work() -> None:
        from core.chat.tasks import deliver_messages

        try:
            deliver_messages.enqueue(message_ids=list(message_ids))
        except Exception:
            logger.exception("handing chat messages %s to the task queue failed", message_ids)
        finally:
            close_old_connections()

    # in the request's context: the tasks it enqueues carry the request id
    threading.Thread(target=contextvars.copy_context().run, args=(work,), name="chat-hand-off", daemon=True).start()


INT64 = 2**63


def _fits_64_bits(value: Any) -> bool:
    """Every number of the update fits a signed 64-bit column (ids are compared with database keys)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):  # orjson reads an integer past 64 bits as a float
        return -INT64 <= value < INT64
    if isinstance(value, dict):
        return all(_fits_64_bits(item) for item in value.values())
    if isinstance(value, list):
        return all(_fits_64_bits(item) for item in value)
    return True


def _bad(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@csrf_exempt
async def telegram_webhook(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _bad("POST only.", 405)
    if not secret_ok(request.headers.get(SECRET_HEADER)):
        return _bad("Forbidden.", 403)
    if len(request.body) > MAX_BODY:
        return _bad("Too large.", 413)
    try:
        # orjson refuses lone surrogates and nesting past 1024 levels (json would recurse until it fails)
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return _bad("The body is not JSON.")
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return _bad("No update_id.")
    if not _fits_64_bits(data):
        return _bad("Not a Telegram update.")
    logger.info("telegram update %s", update_id, extra={"update_id": update_id})
    application = await get_application()
    try:
        update = Update.de_json(data, application.bot)
    except Exception:
        return _bad("Not a Telegram update.")
    if not await sync_to_async(claim)(update_id, data):
        return JsonResponse({"ok": True, "duplicate": True})
    with outbox.collecting() as message_ids:
        try:
            await application.process_update(update)
        except Exception:  # a bug in a handler: logged; Telegram must not redeliver it forever
            logger.exception("telegram update %s failed", update_id)
    hand_off(message_ids)
    return JsonResponse({"ok": True})
