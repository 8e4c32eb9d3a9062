"""Request ids: generated or taken from a sane ``X-Request-ID``, returned in the response, on every
log line of the request (through the served ASGI stack too) and of the tasks it enqueued."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django_tasks import TaskResultStatus, task_backends

from config.http import HttpHandler
from config.observability import instrument
from conversations.sms.signing import SIGNATURE_HEADER, sign
from core.observability import REQUEST_ID, JsonFormatter, RequestIdFilter, TextFormatter
from tests.config.observed_app import note_and_maybe_fail

ROOT = Path(__file__).resolve().parents[2]
HEX32 = re.compile(r"[0-9a-f]{32}")


class Captured:
    """JSON log lines written by a handler configured as the settings configure the console one."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(RequestIdFilter())

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    capture = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture.handler)
    root.setLevel(logging.INFO)
    yield capture
    root.removeHandler(capture.handler)
    root.setLevel(level)


def test_every_response_carries_a_new_request_id(db):
    first, second = Client().get("/healthz"), Client().get("/healthz")
    assert HEX32.fullmatch(first["X-Request-ID"]) and HEX32.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(("incoming", "kept"), [
    ("3f2a9c1e-5b7d-4e8f-a0b1-c2d3e4f5a6b7", True),  # a proxy's UUID
    ("Root=1-67891233-abcdef012345678912345678", False),  # not a plain token: "="
    ("lb.req:42_x", True),
    ("a" * 128, True),
    ("a" * 129, False),
    ("two words", False),
    ("-leading-dash", False),
    ('quote"d', False),
])
def test_an_incoming_request_id_is_kept_only_when_it_is_a_sane_token(db, incoming, kept):
    answered = Client().get("/healthz", headers={"X-Request-ID": incoming})["X-Request-ID"]
    if kept:
        assert answered == incoming
    else:
        assert answered != incoming and HEX32.fullmatch(answered)


def test_refusals_of_other_middleware_carry_the_id_too(db, settings):
    settings.SECURE_SSL_REDIRECT = True  # SecurityMiddleware answers before any view
    response = Client().get("/healthz", headers={"X-Request-ID": "redirected-1"})
    assert response.status_code == 301 and response["X-Request-ID"] == "redirected-1"


# --- the served stack: instrument(HttpHandler()) as config/asgi.py builds it --------------------

async def _asgi(app, method: str, path: str, body: bytes, headers: list) -> tuple[int, list, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80)}
    sent: list[dict] = []
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in sent)


@pytest.fixture
def served():
    handler = HttpHandler()
    yield instrument(handler)
    handler.close()


@pytest.mark.django_db(transaction=True)
def test_the_served_stack_logs_a_webhook_with_the_request_id_it_answers_with(served, captured):
    params = {"MessageSid": "SMobserve0001", "Body": "hello"}  # no From: refused after the log line
    path = "/webhooks/twilio/sms/"
    body = "&".join(f"{key}={value}" for key, value in params.items()).encode()
    headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"x-request-id", b"edge-42"),
               (SIGNATURE_HEADER.lower().encode(), sign(f"{settings.FIELDOPS_PUBLIC_URL}{path}", params).encode())]

    status, response_headers, _ = asyncio.run(_asgi(served, "POST", path, body, headers))

    assert status == 400
    assert [value for name, value in response_headers if name == b"x-request-id"] == [b"edge-42"]  # once
    [line] = [line for line in captured.lines() if line["logger"] == "conversations.sms.views"]
    assert line["message"] == "inbound SMS SMobserve0001"
    assert line["message_sid"] == "SMobserve0001" and line["request_id"] == "edge-42"


@pytest.mark.django_db(transaction=True)
def test_the_served_stack_gives_an_id_to_a_request_without_one(served, captured):
    status, response_headers, _ = asyncio.run(_asgi(served, "GET", "/no/such/page/", b"", []))
    assert status == 404
    [answered] = [value.decode() for name, value in response_headers if name == b"x-request-id"]
    assert HEX32.fullmatch(answered)
    [line] = [line for line in captured.lines() if line["logger"] == "django.request"]
    assert line["request_id"] == answered and line["status_code"] == 404


def test_telegram_updates_are_logged_with_their_update_id(db, settings, captured):
    settings.TELEGRAM_WEBHOOK_SECRET = "s3cret"
    response = Client().post("/webhooks/telegram/", data=json.dumps({"update_id": 7001, "unknown_kind": {}}),
                             content_type="application/json",
                             headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret", "X-Request-ID": "tg-1"})
    assert response["X-Request-ID"] == "tg-1"
    [line] = [line for line in captured.lines() if line["logger"] == "conversations.telegram.views"
              and line["message"].startswith("telegram update")]
    assert line["update_id"] == 7001 and line["request_id"] == "tg-1"


# --- tasks ------------------------------------------------------------------------------------------

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_backend():
    """The database backend as the default: rows wait until a worker (here: another thread) runs them."""
    with override_settings(TASKS=DATABASE, ROOT_URLCONF="tests.config.observed_app"):
        yield task_backends["default"]


def _run_on_another_thread(result_id: str):
    from django.db import connections

    from config.tasks import run_one

    def work() -> None:
        try:
            assert run_one(result_id, worker_id="other-thread")
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    return task_backends["default"].get_result(result_id)


@pytest.mark.django_db(transaction=True)
def test_a_task_on_a_worker_thread_logs_with_the_id_of_the_request_that_enqueued_it(db_backend, captured):
    response = Client().post("/test/enqueue", {"phone": "+61400000001"}, headers={"X-Request-ID": "req-into-task"})
    result = _run_on_another_thread(response.json()["task"])
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.worker_ids == ["other-thread"]  # not the request's thread
    [line] = [line for line in captured.lines() if line["message"].startswith("task working")]
    assert line["request_id"] == "req-into-task"

    # the worker thread keeps no id: a task enqueued outside any request logs none
    later = note_and_maybe_fail.enqueue(phone="+61400000002", email="", fail=False)
    _run_on_another_thread(later.id)
    last = [line for line in captured.lines() if line["message"].startswith("task working")][-1]
    assert "+61400000002" in last["message"] and last["request_id"] is None


@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_the_stored_request_id_from_the_row_it_claims_and_reads_no_row_twice(db_backend, captured):
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from config.observability import task_request_ids
    from config.tasks import run_one

    response = Client().post("/test/enqueue", {"phone": "+61400000005"}, headers={"X-Request-ID": "req-in-row"})
    task_request_ids.waiting.clear()  # as in a worker process: only the row knows the request's id
    statements: list[str] = []

    def work() -> None:
        try:
            with CaptureQueriesContext(connection) as queries:
                assert run_one(response.json()["task"], worker_id="worker-process")
            statements.extend(query["sql"] for query in queries.captured_queries)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    [line] = [line for line in captured.lines() if line["message"].startswith("task working")]
    assert line["request_id"] == "req-in-row"
    # the claim's locked read is the only read of the row (DBTaskResult.claim saves it with
    # update_fields, whose pre_save hands us the stored id)
    reads = [sql for sql in statements if sql.startswith("SELECT") and "dbtaskresult" in sql]
    assert len(reads) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_logged_with_the_request_id(db_backend, captured):
    response = Client().post("/test/enqueue", {"phone": "+61400000003", "fail": "1"},
                             headers={"X-Request-ID": "req-task-fails"})
    assert _run_on_another_thread(response.json()["task"]).status == TaskResultStatus.FAILED
    [failure] = [line for line in captured.lines() if line["logger"] == "config.tasks"]
    assert failure["level"] == "ERROR" and failure["request_id"] == "req-task-fails"
    assert "ValueError: task failed for +61400000003" in failure["message"]


@override_settings(ROOT_URLCONF="tests.config.observed_app")
def test_a_task_run_on_commit_logs_with_the_request_id_too(db, captured, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the test's "commit": the task runs here
        Client().post("/test/enqueue", {"phone": "+61400000004"}, headers={"X-Request-ID": "req-inline"})
    [line] = [line for line in captured.lines() if line["message"].startswith("task working")]
    assert line["request_id"] == "req-inline"
    assert REQUEST_ID.get() is None  # nothing left behind in the test's own context


# --- formats ------------------------------------------------------------------------------------

def _record(**extra) -> logging.LogRecord:
    record = logging.LogRecord("fieldops.test", logging.WARNING, __file__, 1, "booking %s moved", (1042,), None)
    record.__dict__.update(extra)
    return record


def test_json_lines_hold_the_fields_the_extras_and_the_traceback():
    try:
        raise KeyError("missing")
    except KeyError:
        record = _record(message_sid="SM1", exc_info=sys.exc_info())
    token = REQUEST_ID.set("json-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "booking 1042 moved" and line["level"] == "WARNING"
    assert line["logger"] == "fieldops.test" and line["request_id"] == "json-1" and line["message_sid"] == "SM1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert "KeyError: 'missing'" in line["exc_info"]


def test_text_lines_show_the_request_id_or_a_dash():
    assert TextFormatter().format(_record(request_id="txt-1")).endswith("WARNING fieldops.test [txt-1] booking 1042 moved")
    assert "[-] booking 1042 moved" in TextFormatter().format(_record(request_id=None))


def _console_formatter(**env: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "SECRET_KEY": "a-real-enough-secret-key-for-this-test"}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", code], env={**base, **env},
                          capture_output=True, text=True, timeout=120, cwd="/tmp", check=False)


@pytest.mark.parametrize(("env", "expected"), [
    ({"DEBUG": "0"}, "json"),
    ({"DEBUG": "1"}, "text"),
    ({"DEBUG": "0", "LOG_FORMAT": "text"}, "text"),
    ({"DEBUG": "1", "LOG_FORMAT": "JSON"}, "json"),
])
def test_json_in_production_text_in_development(tmp_path, env, expected):
    result = _console_formatter(FIELDOPS_VAR_DIR=str(tmp_path), **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_an_unknown_log_format_is_refused(tmp_path):
    result = _console_formatter(FIELDOPS_VAR_DIR=str(tmp_path), DEBUG="0", LOG_FORMAT="xml")
    assert result.returncode != 0 and "LOG_FORMAT must be json or text" in result.stderr
