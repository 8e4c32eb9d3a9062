"""The production chat transport: the real ``telegram.Bot`` (python-telegram-bot).

Selected with ``CHAT_BACKEND=conversations.telegram.backend.TelegramChatBackend``; ``core`` loads it
by name. ``TELEGRAM_API_BASE_URL`` points the client at another Bot API root (tests: a fake Bot API
on 127.0.0.1); blank means api.telegram.org.

The outbox calls it synchronously from a task. One ``Bot`` (one HTTP connection pool) lives on an
event loop in a daemon thread owned by the backend; each call is submitted to that loop and waited
for, with the rate limiter in front. (A fresh Bot per call costs ~200 ms: a new TLS context.)
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import warnings
from typing import Any

from django.conf import settings
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from core.chat.backends import BaseChatBackend, ChatSendError, ChatSendResult

from .ratelimit import RateLimiter

TIMEOUT = 10.0


def keyboard(buttons: list | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in buttons])


def bot_kwargs() -> dict[str, Any]:
    kwargs: dict[str, Any] = {"token": settings.TELEGRAM_BOT_TOKEN}
    if settings.TELEGRAM_API_BASE_URL:
        root = settings.TELEGRAM_API_BASE_URL.rstrip("/")
        kwargs["base_url"] = f"{root}/bot"
        kwargs["base_file_url"] = f"{root}/file/bot"
    return kwargs


class Client:
    """A ``Bot`` for one call, with its HTTP clients closed afterwards (no ``getMe`` round trip)."""

    async def __aenter__(self) -> Bot:
        timeouts = {"connect_timeout": TIMEOUT, "read_timeout": TIMEOUT, "write_timeout": TIMEOUT,
                    "pool_timeout": TIMEOUT}
        self.requests = (HTTPXRequest(**timeouts), HTTPXRequest(**timeouts))
        return Bot(request=self.requests[0], get_updates_request=self.requests[1], **bot_kwargs())

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(request.shutdown() for request in self.requests))


def run(coro_factory) -> Any:
    """Run a coroutine to completion from sync code, whether or not this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="telegram-call", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


class LoopThread:
    """An event loop running in a daemon thread; sync code submits coroutines to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="telegram-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise ChatSendError("The Bot API did not answer in time.")

    def close(self, cleanup=None) -> None:
        if cleanup is not None and self.loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(cleanup(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()


class TelegramChatBackend(BaseChatBackend):
    def __init__(self) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise ChatSendError("TELEGRAM_BOT_TOKEN is not set.")
        self.limiter = RateLimiter(per_second=settings.TELEGRAM_MAX_PER_SECOND,
                                   per_chat_per_second=settings.TELEGRAM_MAX_PER_CHAT_PER_SECOND)
        self._client: Client | None = None
        self._bot: Bot | None = None
        self._thread = LoopThread()

    async def _get_bot(self) -> Bot:
        if self._bot is None:
            self._client = Client()
            self._bot = await self._client.__aenter__()
        return self._bot

    async def _shutdown(self) -> None:
        if self._client is not None:
            await self._client.__aexit__(None, None, None)
        self._client = self._bot = None

    def close(self) -> None:
        self._thread.close(self._shutdown)

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        bot = await self._get_bot()
        markup = keyboard(params.get("buttons"))
        if method == "sendMessage":
            return await bot.send_message(chat_id=params["chat_id"], text=params["text"], reply_markup=markup,
                                          reply_to_message_id=params.get("reply_to_message_id"))
        if method == "editMessageText":
            return await bot.edit_message_text(chat_id=params["chat_id"], message_id=params["message_id"],
                                               text=params["text"], reply_markup=markup)
        if method == "answerCallbackQuery":
            return await bot.answer_callback_query(callback_query_id=params["callback_query_id"],
                                                   text=params.get("text") or None)
        raise ChatSendError(f"Unknown method {method}.", permanent=True)

    def call(self, *, method: str, params: dict[str, Any]) -> ChatSendResult:
        self.limiter.acquire(params.get("chat_id"))
        try:
            result = self._thread.run(self._call(method, params), TIMEOUT * 2)
        except Forbidden as exc:
            raise ChatSendError(f"Forbidden: {exc.message}", blocked=True)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta: both are read
                warnings.simplefilter("ignore")
                retry = exc.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise ChatSendError(f"Flood control: retry in {seconds:.0f}s", retry_after=seconds)
        except BadRequest as exc:
            raise ChatSendError(f"Bad request: {exc.message}", permanent=True)
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx, InvalidToken (a setting to fix): temporary
            raise ChatSendError(f"{type(exc).__name__}: {exc.message}")
        message_id = getattr(result, "message_id", None)
        return ChatSendResult(message_id=message_id)

    async def _download(self, file_id: str) -> tuple[bytes, str]:
        bot = await self._get_bot()
        file = await bot.get_file(file_id)
        content = await file.download_as_bytearray()
        return bytes(content), (file.file_path or file_id).rsplit("/", 1)[-1]

    def download(self, *, file_id: str) -> tuple[bytes, str]:
        try:
            return self._thread.run(self._download(file_id), TIMEOUT * 6)
        except BadRequest as exc:
            raise ChatSendError(f"Bad request: {exc.message}", permanent=True)
        except TelegramError as exc:
            raise ChatSendError(f"{type(exc).__name__}: {exc.message}")
