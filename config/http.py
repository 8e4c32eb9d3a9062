"""Django's ASGI handler, with synchronous views served in one hop to a fixed pool of threads
(docs/decisions/0010).

Django's own ASGI handler costs about 9 ms of CPU for a view that runs one ``SELECT 1``:

* it runs the middleware chain in async mode, and every middleware here is a synchronous
  ``MiddlewareMixin`` (sessions, CSRF, auth, messages...), so each one's ``process_request`` and
  ``process_response`` is a ``sync_to_async`` hop of its own: about thirty thread hand-offs, at
  ~0.2 ms of CPU each on this kind of machine;
* it gives every request a thread of its own (a thread-sensitive context), so no database
  connection outlives its request: each request opens one, and a new SQLite connection parses the
  schema (~1.8 ms) while a new PostgreSQL one forks a server process.

This handler keeps Django's request parsing, signals, disconnect handling and response sending and
changes two things. A request for a synchronous view runs the synchronous middleware chain and the
view in one hop, as the WSGI handler does. That hop goes to a fixed pool of long-lived threads, so
``CONN_MAX_AGE`` can keep one connection per pool thread: the number of connections stays bounded
by the pool size, which is what decision 0009 needed. A request for an ``async def`` view (the
Telegram webhook) takes Django's async path unchanged.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections, connections
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver


@lru_cache(maxsize=4096)
def _is_async_path(resolver: Any, path: str) -> bool:
    """Whether ``path`` routes to an ``async def`` view, resolved once per path and URLconf (the
    resolver is part of the key, so a changed ``ROOT_URLCONF`` asks again)."""
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return False  # the synchronous chain renders the 404 (and APPEND_SLASH redirects)
    return iscoroutinefunction(match.func)


class HttpHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self._size = settings.FIELDOPS_HTTP_THREADS
        self._threads = ThreadPoolExecutor(max_workers=self._size, thread_name_prefix="http")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}.")
        # No per-request thread-sensitive context (Django's default): a thread per request is what
        # made connections unreusable. Synchronous views run on self._threads; what little other
        # thread-sensitive work a request has (signal receivers, an async view's sync_to_async
        # calls) runs on asgiref's one shared thread.
        await self.handle(scope, receive, send)

    @staticmethod
    def _view_is_async(request: HttpRequest) -> bool:
        return _is_async_path(get_resolver(getattr(request, "urlconf", None)), request.path_info)

    def _serve(self, request: HttpRequest) -> HttpResponseBase:
        # What request_started / request_finished do for a WSGI worker thread: drop this thread's
        # connection when it broke, outlived CONN_MAX_AGE or was left outside autocommit.
        close_old_connections()
        try:
            return self._sync.get_response(request)
        finally:
            close_old_connections()

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        if self._view_is_async(request):
            return await super().run_get_response(request)
        response = await sync_to_async(self._serve, thread_sensitive=False, executor=self._threads)(request)
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response

    def close(self) -> None:
        """Close every pool thread's database connections and stop the pool (server shutdown, tests)."""
        everyone = threading.Barrier(self._size)

        def close_mine() -> None:
            connections.close_all()
            everyone.wait(timeout=10)  # hold this thread so each of the others takes one of these calls

        for _ in range(self._size):
            self._threads.submit(close_mine)
        self._threads.shutdown(wait=True)
