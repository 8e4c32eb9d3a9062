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

This handler keeps Django's request parsing, response sending and signals and changes where the
synchronous work runs. A request for a synchronous view costs one hop, as a WSGI worker thread
would serve it: ``request_started``, building the request, the synchronous middleware chain, the
view and ``request_finished`` (closing a non-streaming response) all run on one pool thread. Django's
own path adds a hop for each signal (on a thread that holds no connection of ours, so its
connection tidying was moot there) and an asyncio task listening for a disconnect that a
synchronous view cannot act on. The pool is fixed and long-lived, so ``CONN_MAX_AGE`` can keep one
connection per pool thread: the number of connections stays bounded by the pool size, which is
what decision 0009 needed. A request for an ``async def`` view (the Telegram webhook) takes Django's
async path unchanged.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import Resolver404, get_resolver, set_script_prefix

from realtime import broadcast


def _path_info(scope: dict[str, Any]) -> str:
    """The path the URL resolver sees, as ``ASGIRequest`` derives it from the scope."""
    prefix = get_script_prefix(scope)
    return scope["path"].removeprefix(prefix) if prefix else scope["path"]


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
        # Broadcasts that the pool threads commit are handed to this loop (realtime.broadcast).
        broadcast.serve_from(asyncio.get_running_loop())
        if _is_async_path(get_resolver(), _path_info(scope)):
            # Django's async path: request_started, disconnect listening, request_finished as ever.
            # No per-request thread-sensitive context (Django's default): its few sync_to_async calls
            # share asgiref's one thread.
            await self.handle(scope, receive, send)
        else:
            await self._handle_sync(scope, receive, send)

    async def _handle_sync(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Read the body here, do everything synchronous in one hop, send the response from here."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._in_pool(self._respond)(scope, body_file)
            try:
                # To a client that went away this sends nothing (the server drops it), as Django's
                # own path would: a synchronous view is not interrupted by a disconnect either.
                await self.send_response(response, send)
            finally:
                if response.streaming:  # closed once its iterator ran (request_finished then)
                    await self._in_pool(response.close)()
        finally:
            body_file.close()

    def _in_pool(self, func: Any) -> Any:
        return sync_to_async(func, thread_sensitive=False, executor=self._threads)

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """On a pool thread: what a WSGI worker thread does for one request. request_started and
        request_finished run here, in the thread whose database connections they tidy (dropping one
        that broke, outlived CONN_MAX_AGE or was left outside autocommit)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self._sync.get_response(request)
        assert response is not None  # create_request answers with one of the two
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # the content is bytes already; sending it needs nothing closed
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
