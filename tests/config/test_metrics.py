"""/metrics over HTTP: the token, then the figures after real requests (GraphQL over HTTP, signed
webhooks, pages, tasks). Counters live for the whole test process, so each test compares a scrape
before with one after."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_tasks import task

from core.observability import BoundedLabels
from tests import factories
from tests.conversations.sms.conftest import SMS_PATH, inbound_params, post_signed
from tests.graphql_api.conftest import bearer

from .support import samples, value

TOKEN = "scrape-me"


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict:
        response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        return samples(response.content.decode())

    return read


def test_without_the_setting_there_is_no_metrics_page(db, settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401), ("", 401), ("Bearer", 401), ("Basic c2NyYXBlLW1lOg==", 401), ("Bearer wrong", 403),
    (f"Bearer {TOKEN}x", 403), (f"bearer {TOKEN}", 200), (f"Bearer {TOKEN}", 200),
])
def test_the_page_needs_the_bearer_token(db, settings, authorization, status):
    settings.METRICS_TOKEN = TOKEN
    headers = {} if authorization is None else {"Authorization": authorization}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if status != 200:
        assert b"fieldops_" not in response.content


def test_requests_by_route_and_status(db, scrape):
    before = scrape()
    Client().get("/healthz")
    Client().get("/healthz")
    Client().get("/portal/bookings/999999/")  # a pattern with a parameter: one series for every id
    Client().get("/no/such/page/")
    Client().generic("BREW", "/healthz")  # a method made up by a client: no series of its own
    after = scrape()
    assert value(after, "fieldops_http_request_duration_seconds_count", route="healthz", method="GET") == \
        value(before, "fieldops_http_request_duration_seconds_count", route="healthz", method="GET") + 2
    assert value(after, "fieldops_http_request_duration_seconds_bucket", route="healthz", method="GET", le="+Inf") == \
        value(before, "fieldops_http_request_duration_seconds_bucket", route="healthz", method="GET", le="+Inf") + 2
    assert value(after, "fieldops_http_responses_total", route="healthz", status="200") == \
        value(before, "fieldops_http_responses_total", route="healthz", status="200") + 3  # BREW too
    routed = [labels for name, labels in after if name == "fieldops_http_responses_total"
              and ("route", "portal/bookings/<int:booking_id>/") in labels]
    assert routed
    assert value(after, "fieldops_http_responses_total", route="<unmatched>", status="404") == \
        value(before, "fieldops_http_responses_total", route="<unmatched>", status="404") + 1
    assert value(after, "fieldops_http_request_duration_seconds_count", route="healthz", method="other") == \
        value(before, "fieldops_http_request_duration_seconds_count", route="healthz", method="other") + 1
    assert not [labels for name, labels in after if ("method", "BREW") in labels]


def _graphql(query: str, *, operation: str | None = None, token: str | None = None, variables=None):
    body = {"query": query, "variables": variables or {}}
    if operation:
        body["operationName"] = operation
    headers = {"Authorization": token} if token else {}
    return Client().post("/graphql/", json.dumps(body), content_type="application/json", headers=headers)


def test_graphql_operations_and_errors_by_operation_name(db, company, scrape):
    staff = bearer(factories.staff_user())
    before = scrape()
    assert _graphql("query TodayBoard { bookings { totalCount } }", token=staff).json()["data"]["bookings"] is not None
    _graphql("query TodayBoard { bookings { totalCount } }", token=staff)
    refused = _graphql('query OneBooking { booking(id: "%%%") { id } }', token=staff).json()
    assert refused["errors"][0]["extensions"]["code"] == "invalid_id"
    _graphql("query Broken { noSuchField }", token=staff)
    _graphql("query Unfinished { me {", token=staff)  # a syntax error: no name can be read
    _graphql("{ me { kind } }")
    _graphql("query A { me { kind } } query B { bookings { totalCount } }", operation="B", token=staff)
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("fieldops_graphql_operations_total", operation="TodayBoard", type="query") == 2
    assert grew("fieldops_graphql_operations_total", operation="OneBooking", type="query") == 1
    assert grew("fieldops_graphql_errors_total", operation="OneBooking", kind="domain") == 1
    assert grew("fieldops_graphql_errors_total", operation="Broken", kind="request") == 1
    assert grew("fieldops_graphql_operations_total", operation="anonymous", type="query") == 1
    assert grew("fieldops_graphql_operations_total", operation="anonymous", type="unknown") == 1
    assert grew("fieldops_graphql_errors_total", operation="anonymous", kind="request") == 1
    assert grew("fieldops_graphql_operations_total", operation="B", type="query") == 1
    assert grew("fieldops_graphql_errors_total", operation="TodayBoard", kind="domain") == 0


def test_mutations_are_counted_as_mutations(db, scrape):
    before = scrape()
    _graphql('mutation SignIn { login(email: "nobody@example.com", password: "x") { errors { code } } }')
    after = scrape()
    assert value(after, "fieldops_graphql_operations_total", operation="SignIn", type="mutation") == \
        value(before, "fieldops_graphql_operations_total", operation="SignIn", type="mutation") + 1


def test_operation_names_chosen_by_clients_cannot_grow_the_series_without_bound():
    label = BoundedLabels(limit=2)
    assert label("First") == "First" and label("Second") == "Second"
    assert label("Third") == "other"
    assert label("First") == "First"  # the known ones keep their series
    assert label("not a name!") == "other" and label("x" * 65) == "other"
    assert label(None) == "anonymous" and label("") == "anonymous"


def test_webhooks_by_outcome(db, company, client, settings, scrape):
    settings.TWILIO_AUTH_TOKEN = "test-auth-token-0123456789"
    settings.TELEGRAM_WEBHOOK_SECRET = "tg-secret"
    before = scrape()
    assert post_signed(client, SMS_PATH, inbound_params("HELP", "+61412000111")).status_code == 200
    assert post_signed(client, SMS_PATH, inbound_params("HELP", "+61412000111"), signature="bad").status_code == 403
    assert post_signed(client, SMS_PATH, {"MessageSid": "SMx"}).status_code == 400
    assert client.post("/webhooks/telegram/", "{}", content_type="application/json").status_code == 403
    after = scrape()

    def grew(webhook: str, outcome: str) -> float:
        return (value(after, "fieldops_webhooks_total", webhook=webhook, outcome=outcome)
                - value(before, "fieldops_webhooks_total", webhook=webhook, outcome=outcome))

    assert grew("webhooks/twilio/sms/", "accepted") == 1
    assert grew("webhooks/twilio/sms/", "refused") == 1
    assert grew("webhooks/twilio/sms/", "bad_request") == 1
    assert grew("webhooks/telegram/", "refused") == 1
    assert not [labels for name, labels in after if name == "fieldops_webhooks_total"
                and ("webhook", "healthz") in labels]  # only webhooks/ routes


# --- tasks ------------------------------------------------------------------------------------------


@task()
def fail_on_purpose() -> None:
    raise RuntimeError("on purpose")


@task()
def fine() -> None:
    return None


def test_the_task_table_is_read_at_scrape_time(db, scrape, settings):
    from django_tasks_db.models import DBTaskResult

    from config.tasks import run_one

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    idle = scrape()
    assert value(idle, "fieldops_task_queue_depth") == 0 and value(idle, "fieldops_tasks_running") == 0
    held = fine.enqueue()
    DBTaskResult.objects.filter(pk=held.id).update(status="RUNNING")  # a worker is on it
    failing = [fail_on_purpose.enqueue() for _ in range(3)]
    busy = scrape()
    assert value(busy, "fieldops_task_queue_depth") == 3
    assert value(busy, "fieldops_tasks_running") == 1
    assert value(busy, "fieldops_task_oldest_age_seconds") >= 0
    for result in failing:
        run_one(result.id)
    done = scrape()
    failures = "tests.config.test_metrics.fail_on_purpose"
    assert value(done, "fieldops_task_queue_depth") == 0
    assert value(done, "fieldops_task_failures_total", task=failures) == \
        value(busy, "fieldops_task_failures_total", task=failures) + 3


def test_the_on_commit_backend_never_queues(db, scrape):
    page = scrape()
    assert value(page, "fieldops_task_queue_depth") == 0
    assert ("fieldops_task_oldest_age_seconds", frozenset()) in page


def test_a_backend_without_a_table_reports_an_empty_queue(db, scrape, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = scrape()
    assert value(page, "fieldops_task_queue_depth") == 0
