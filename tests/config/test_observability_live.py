"""A production-like server process (``manage.py serve``, DEBUG off, a task worker thread) with
``SENTRY_DSN`` pointing at a fake collector on 127.0.0.1 and ``METRICS_TOKEN`` set: error reports
arrive without customers' phone numbers or e-mail addresses, the JSON log lines of a request and of
the task it enqueued share its request id, and /metrics counts what happened, WebSockets included."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.realtime.live import live_stack
from tests.realtime.support import EVENTS

from .support import FakeSentry, exception_types, json_lines, samples, value, wait_until

PHONE, EMAIL = "+61412345678", "carla.customer@example.com"
TOKEN = "metrics-token-for-tests"
TASK = "tests.config.observed_app.note_and_maybe_fail"
HEADER_SECRET = "header-secret-4711"


@pytest.fixture(scope="module")
def sentry():
    collector = FakeSentry()
    yield collector
    collector.close()


@pytest.fixture(scope="module")
def server(sentry):
    env = {"DJANGO_SETTINGS_MODULE": "tests.config.observed_settings", "SENTRY_DSN": sentry.dsn,
           "METRICS_TOKEN": TOKEN, "LOG_LEVEL": "INFO", "FIELDOPS_TASK_BACKEND": "database",
           "FIELDOPS_SERVE_WORKER": "thread"}
    with live_stack(1, debug=False, extra_env=env) as stack:
        yield stack


def post(url: str, fields: dict[str, str], request_id: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(),
                                     headers={"X-Request-ID": request_id, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get(url: str, **headers: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def scrape(server) -> dict:
    status, body = get(f"{server.http}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    return samples(body.decode())


def tagged(sentry: FakeSentry, request_id: str) -> list[dict]:
    return [event for event in sentry.events() if (event.get("tags") or {}).get("request_id") == request_id]


def assert_no_customer_data(sentry: FakeSentry) -> None:
    raw = sentry.raw().decode()
    for secret in (PHONE, PHONE[1:], "412345678", "%2B61412345678", EMAIL, "carla.customer%40example.com",
                   "carla.customer", HEADER_SECRET):
        assert secret not in raw


def test_a_view_error_is_reported_scrubbed_with_its_request_id(server, sentry):
    status, headers, _ = post(f"{server.servers[0].http}/test/boom", {"phone": PHONE, "email": EMAIL}, "view-boom-1",
                              **{"X-Telegram-Bot-Api-Secret-Token": HEADER_SECRET})
    assert status == 500
    assert headers["x-request-id"] == "view-boom-1"

    [event] = wait_until(lambda: tagged(sentry, "view-boom-1"), what="the view's error report")
    assert exception_types(event) == ["RuntimeError"]
    assert event["exception"]["values"][0]["value"] == "view failed for [phone] <[email]>"
    assert event["request"]["url"].endswith("/test/boom")
    assert event["request"]["data"] == {"phone": "[phone]", "email": "[email]"}
    sent = {name.lower(): header for name, header in event["request"]["headers"].items()}
    assert sent["x-telegram-bot-api-secret-token"] == "[Filtered]" and sent["x-request-id"] == "view-boom-1"
    crumbs = [crumb.get("message") for crumb in event["breadcrumbs"]["values"]]
    assert "about to fail for [phone] <[email]>" in crumbs
    assert_no_customer_data(sentry)


def test_a_task_error_is_reported_scrubbed_with_the_id_of_the_request_that_enqueued_it(server, sentry):
    status, headers, body = post(f"{server.servers[0].http}/test/enqueue",
                                 {"phone": PHONE, "email": EMAIL, "fail": "1"}, "task-boom-1")
    assert status == 200 and headers["x-request-id"] == "task-boom-1"

    events = wait_until(lambda: tagged(sentry, "task-boom-1"), what="the task's error report")
    assert "ValueError" in {kind for event in events for kind in exception_types(event)}
    reported = json.dumps(events)
    assert "task failed for [phone] <[email]>" in reported
    assert json.loads(body)["task"] in reported  # the task id, from the failure's log line
    assert_no_customer_data(sentry)


def test_log_lines_of_a_request_and_of_its_task_are_json_with_one_request_id(server):
    process = server.servers[0]
    status, headers, _ = post(f"{process.http}/test/enqueue", {"phone": PHONE, "email": EMAIL}, "logs-1")
    assert status == 200 and headers["x-request-id"] == "logs-1"

    def lines() -> list[dict]:
        return [line for line in json_lines(process.log.read_text()) if line.get("request_id") == "logs-1"]

    found = wait_until(lambda: [line for line in lines() if line["message"].startswith("task working")],
                       what="the task's log line")
    assert found[0]["logger"] == "tests.config.observed_app" and found[0]["level"] == "INFO"
    assert {"time", "level", "logger", "message", "request_id"} <= set(found[0])
    messages = [line["message"] for line in lines()]
    assert f"enqueueing for {PHONE}" in messages  # the request's own line, same id


def test_a_made_up_request_id_is_replaced(server):
    status, headers, _ = post(f"{server.servers[0].http}/test/enqueue", {"phone": PHONE}, "not a sane id\u00e9")
    assert status == 200
    assert headers["x-request-id"] != "not a sane id\u00e9" and len(headers["x-request-id"]) == 32


def test_metrics_need_the_token(server):
    url = f"{server.servers[0].http}/metrics"
    assert get(url)[0] == 401
    assert get(url, Authorization="Bearer wrong")[0] == 403
    assert get(url, Authorization=f"Bearer {TOKEN}")[0] == 200


def test_metrics_count_requests_and_task_failures(server):
    process = server.servers[0]
    before = scrape(process)
    post(f"{process.http}/test/boom", {"phone": PHONE}, "metrics-boom")
    post(f"{process.http}/test/enqueue", {"phone": PHONE, "fail": "1"}, "metrics-task")
    assert get(f"{process.http}/healthz")[0] == 200

    after = wait_until(lambda: (page := scrape(process)) and value(page, "fieldops_task_failures_total", task=TASK)
                       > value(before, "fieldops_task_failures_total", task=TASK) and page, what="the task failure")
    for name, labels in [("fieldops_http_responses_total", {"route": "test/boom", "status": "500"}),
                         ("fieldops_http_responses_total", {"route": "healthz", "status": "200"}),
                         ("fieldops_http_request_duration_seconds_count", {"route": "healthz", "method": "GET"})]:
        assert value(after, name, **labels) == value(before, name, **labels) + 1, (name, labels)
    assert value(after, "fieldops_task_queue_depth") >= 0  # the task table is read
    assert ("fieldops_task_oldest_age_seconds", frozenset()) in after
    assert ("process_cpu_seconds_total", frozenset()) in after


async def test_websocket_connections_and_subscriptions_are_gauged(server):
    process = server.servers[0]

    def gauges() -> tuple[float, float]:
        page = scrape(process)
        return value(page, "fieldops_websocket_connections"), value(page, "fieldops_graphql_subscriptions")

    assert await asyncio.to_thread(gauges) == (0, 0)
    ws = await connect(process.ws, subprotocols=["graphql-transport-ws"])
    try:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {server.data['staff_token']}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {}}}))
        await asyncio.to_thread(wait_until, lambda: gauges() == (1, 1), what="one socket, one subscription")
    finally:
        await ws.close()
    await asyncio.to_thread(wait_until, lambda: gauges() == (0, 0), what="the gauges back at zero")


def test_readyz_reports_the_database_and_the_task_backend(server):
    wait_until(lambda: get(f"{server.servers[0].http}/readyz")[0] == 200, what="the worker thread's first heartbeat")
    status, body = get(f"{server.servers[0].http}/readyz")
    assert status == 200
    report = json.loads(body)
    assert report["ready"] is True
    assert report["checks"]["database"] == "ok" and report["checks"]["redis"] == "not configured"
    assert report["checks"]["tasks"]["backend"] == "database" and report["checks"]["tasks"]["workers"] == 1


def test_with_a_multiprocess_directory_any_process_answers_for_all(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR shared by two server processes: each scrape adds up both."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "METRICS_TOKEN": TOKEN}
    with live_stack(2, debug=False, extra_env=env) as stack:
        first, second = stack.servers
        # each server's worker process beats once it is up (decision 0036): ready from then on
        wait_until(lambda: get(f"{first.http}/readyz")[0] == 200, what="a task worker's heartbeat")
        before = scrape(first)
        for process in (first, second, second):
            assert get(f"{process.http}/readyz")[0] == 200
        for process in (first, second):
            page = scrape(process)
            assert value(page, "fieldops_http_responses_total", route="readyz", status="200") == \
                value(before, "fieldops_http_responses_total", route="readyz", status="200") + 3
            assert ("process_cpu_seconds_total", frozenset()) not in page  # per-process figures make no sum
