"""config.http.HttpHandler, driven as an ASGI server drives it: sync views in one hop on a fixed pool
of threads, async views on Django's async path, middleware and errors as before."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from django.test import override_settings
from django.urls import path

from config.http import HttpHandler

pytestmark = pytest.mark.django_db(transaction=True)


def _scope(method: str, path: str, headers: list | None = None) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])], "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _call(app, method: str, path: str, body: bytes = b"", headers: list | None = None) -> tuple[int, dict, bytes]:
    scope = _scope(method, path, headers)
    sent: list[dict] = []
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is produced
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, content


def test_a_sync_view_runs_with_the_whole_middleware_chain():
    status, headers, content = asyncio.run(_call(HttpHandler(), "GET", "/healthz"))
    assert status == 200 and json.loads(content) == {"ok": True}
    assert headers["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware ran on the way out
    assert headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware too


def test_csrf_still_refuses_a_cookie_less_form_post():
    status, _, _ = asyncio.run(_call(HttpHandler(), "POST", "/admin/login/", b"username=a&password=b",
                                     [(b"content-type", b"application/x-www-form-urlencoded")]))
    assert status == 403


def test_unknown_paths_are_404_from_the_sync_chain():
    status, _, _ = asyncio.run(_call(HttpHandler(), "GET", "/no/such/page/"))
    assert status == 404


@override_settings(TELEGRAM_WEBHOOK_SECRET="s3cret")
def test_an_async_view_keeps_the_async_path():
    status, _, content = asyncio.run(_call(HttpHandler(), "POST", "/webhooks/telegram/", b"{}",
                                           [(b"x-telegram-bot-api-secret-token", b"wrong")]))
    assert status == 403 and b"Forbidden" in content


@override_settings(FIELDOPS_HTTP_THREADS=3)
def test_concurrent_requests_share_a_fixed_pool_of_threads():
    app = HttpHandler()
    seen: set[str] = set()
    before = {t.name for t in threading.enumerate()}

    async def many() -> list[int]:
        results = await asyncio.gather(*(_call(app, "GET", "/healthz") for _ in range(40)))
        seen.update(t.name for t in threading.enumerate() if t.name.startswith("http") and t.name not in before)
        return [status for status, _, _ in results]

    assert asyncio.run(many()) == [200] * 40
    assert 1 <= len(seen) <= 3  # 40 requests, at most FIELDOPS_HTTP_THREADS threads (not one each)


def test_on_postgresql_connections_are_kept_per_pool_thread_and_bounded(settings):
    """Decision 0010 in one check: with CONN_MAX_AGE on, 80 requests reuse at most one connection per
    pool thread, where a thread per request (decision 0009) left one behind for each request."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("counts server connections in pg_stat_activity")
    settings.FIELDOPS_HTTP_THREADS = 3
    shared = connections["default"].settings_dict
    saved = shared["CONN_MAX_AGE"]
    shared["CONN_MAX_AGE"] = 300
    app = HttpHandler()

    async def rounds() -> list[int]:
        statuses = []
        for _ in range(2):
            results = await asyncio.gather(*(_call(app, "GET", "/healthz") for _ in range(40)))
            statuses += [status for status, _, _ in results]
        return statuses

    def others() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            return cursor.fetchone()[0]

    before = others()  # whatever other threads of this test process hold
    try:
        assert asyncio.run(rounds()) == [200] * 80
        assert 1 <= others() - before <= 3
    finally:
        app.close()
        shared["CONN_MAX_AGE"] = saved
    # closed on shutdown: nothing left for the test database's teardown (a closed connection's server
    # process leaves pg_stat_activity a moment after the client hung up)
    deadline = time.monotonic() + 10
    while others() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert others() == before


# --- one hop: the request's signals and its view share a pool thread -------------------------------

def _threads_of_signals():
    from django.core import signals

    seen: list[tuple[str, str]] = []

    def started(**kwargs):
        seen.append(("started", threading.current_thread().name))

    def finished(**kwargs):
        seen.append(("finished", threading.current_thread().name))

    signals.request_started.connect(started, weak=False)
    signals.request_finished.connect(finished, weak=False)

    def disconnect() -> None:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)

    return seen, disconnect


def _where_the_view_ran(request):
    from django.http import JsonResponse

    return JsonResponse({"thread": threading.current_thread().name})


async def _stream_parts():
    for part in (b"first,", b"second"):
        yield part


def _streaming(request):
    from django.http import StreamingHttpResponse

    return StreamingHttpResponse(_stream_parts())


urlpatterns = [path("where/", _where_the_view_ran), path("stream/", _streaming)]


@override_settings(ROOT_URLCONF=__name__)
def test_request_started_view_and_request_finished_run_on_the_same_pool_thread():
    seen, disconnect = _threads_of_signals()
    try:
        status, _, content = asyncio.run(_call(HttpHandler(), "GET", "/where/"))
    finally:
        disconnect()
    view_thread = json.loads(content)["thread"]
    assert status == 200 and view_thread.startswith("http")
    # the signals' receivers (close_old_connections among them) tidy the connections of the thread
    # that used them, and no other thread took part
    assert seen == [("started", view_thread), ("finished", view_thread)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_streaming_response_is_closed_after_its_last_part_was_sent():
    from django.core import signals

    order: list[str] = []
    app = HttpHandler()

    def finished(**kwargs):
        order.append("request_finished")

    async def run() -> None:
        scope_sent: list[dict] = []

        async def receive() -> dict:
            if not scope_sent:
                scope_sent.append({})
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                order.append(message["body"].decode())

        scope = _scope("GET", "/stream/")
        await app(scope, receive, send)

    signals.request_finished.connect(finished, weak=False)
    try:
        asyncio.run(run())
    finally:
        signals.request_finished.disconnect(finished)
    assert order == ["first,", "second", "request_finished"]


@override_settings(ROOT_URLCONF=__name__)
def test_a_request_whose_client_left_during_the_view_still_finishes_on_its_thread():
    seen, disconnect = _threads_of_signals()

    async def run() -> list[dict]:
        sent: list[dict] = []
        messages = [{"type": "http.request", "body": b"", "more_body": False}, {"type": "http.disconnect"}]

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)  # a server drops these for a closed connection

        scope = _scope("GET", "/where/")
        await HttpHandler()(scope, receive, send)
        return sent

    try:
        sent = asyncio.run(run())
    finally:
        disconnect()
    assert [name for name, _ in seen] == ["started", "finished"]  # the connection tidying still ran
    assert sent[0]["type"] == "http.response.start"


def test_a_body_the_client_abandons_is_not_served():
    seen, disconnect = _threads_of_signals()

    async def run() -> list[dict]:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.disconnect"}  # gone before the body arrived

        async def send(message: dict) -> None:
            sent.append(message)

        scope = _scope("POST", "/healthz")
        await HttpHandler()(scope, receive, send)
        return sent

    try:
        assert asyncio.run(run()) == []
    finally:
        disconnect()
    assert seen == []
