"""python-telegram-bot's ``Application`` inside our ASGI app: built without an updater (the
webhook view feeds it updates) and initialised lazily, once, on the first update.

The server runs without lifespan events (``manage.py serve``), so there is no start-up hook:
:func:`get_application` builds and initialises on first use, under a lock (threads: one build;
coroutines: one ``initialize``). Initialising a ``Bot`` normally calls ``getMe`` on the Bot API;
the inbound application's bot uses :class:`OfflineRequest`, which answers ``getMe`` from settings
and refuses every other call.
So the webhook never waits on the Bot API: everything outbound goes through the outbox.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref

from django.conf import settings
from telegram.error import NetworkError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, RequestData

from . import handlers


class OfflineRequest(BaseRequest):
    """A Bot API 'connection' that knows only ``getMe`` (from settings) and sends nothing."""

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if url.rstrip("/").endswith("/getMe"):
            prefix = settings.TELEGRAM_BOT_TOKEN.split(":", 1)[0]
            bot_id = int(prefix) if prefix.isascii() and prefix.isdigit() else 0
            me = {"id": bot_id, "is_bot": True, "first_name": settings.TELEGRAM_BOT_USERNAME,
                  "username": settings.TELEGRAM_BOT_USERNAME}
            return 200, json.dumps({"ok": True, "result": me}).encode()
        raise NetworkError("The webhook application does not call the Bot API; queue in the chat outbox.")


def build_application() -> Application:
    token = settings.TELEGRAM_BOT_TOKEN or "0:not-configured"
    application = (ApplicationBuilder().token(token).updater(None)
                   .request(OfflineRequest()).get_updates_request(OfflineRequest()).build())
    handlers.register(application)
    return application


_application: Application | None = None
_ready: set[int] = set()  # ids of applications whose initialize() finished
_build_lock = threading.Lock()
_init_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _init_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    with _build_lock:
        lock = _init_locks.get(loop)
        if lock is None:
            lock = _init_locks[loop] = asyncio.Lock()
    return lock


async def get_application() -> Application:
    global _application
    application = _application
    if application is not None and id(application) in _ready:
        return application
    with _build_lock:
        if _application is None:
            _application = build_application()
        application = _application
    async with _init_lock():
        if id(application) not in _ready:
            await application.initialize()
            _ready.add(id(application))
    return application


def reset_application() -> None:
    """Forget the application (tests that change the bot's settings)."""
    global _application
    with _build_lock:
        if _application is not None:
            _ready.discard(id(_application))
        _application = None
