"""/readyz: 200 when the database (and Redis, when configured) answer, 503 naming what failed; the
task backend's state reported as it is. /healthz keeps answering as before."""

from __future__ import annotations

import socket

import pytest
import redis
from django.test import Client, override_settings
from django_tasks import task_backends


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _local_redis() -> str:
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return url


def test_ready_without_redis_configured(db, settings):
    settings.REDIS_URL = ""
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert response.json() == {"ready": True, "checks": {
        "database": "ok", "redis": "not configured", "tasks": {"backend": "immediate", "runs_in": "the caller"}}}


def test_ready_with_redis_reachable(db, settings):
    settings.REDIS_URL = _local_redis()
    response = Client().get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["redis"] == "ok"


def test_not_ready_when_redis_does_not_answer(db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "failed: ConnectionError"


def test_not_ready_when_the_database_refuses(settings):
    """No ``db`` fixture: pytest-django refuses every connection, as a database that is down would."""
    settings.REDIS_URL = ""
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"] and body["checks"]["database"].startswith("failed: ")
    assert "Database access not allowed" not in response.content.decode()  # the class, never the message


@pytest.mark.django_db(transaction=True)
def test_the_thread_backend_is_described(settings):
    settings.REDIS_URL = ""
    with override_settings(TASKS={"default": {"BACKEND": "config.tasks.ThreadPoolBackend",
                                              "OPTIONS": {"WORKERS": 0}}}):
        backend = task_backends["default"]
        try:
            before = Client().get("/readyz").json()["checks"]["tasks"]
            backend.pool()  # started by the first enqueue
            after = Client().get("/readyz").json()["checks"]["tasks"]
        finally:
            backend.shutdown(timeout=10)
    assert before == {"backend": "thread", "runs_in": "this process, turns on the view threads", "started": False,
                      "queued": 0, "running": 0}
    assert after["started"] is True


def test_another_backend_is_named_and_not_guessed_at(db, settings):
    settings.REDIS_URL = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    body = Client().get("/readyz").json()
    assert body["ready"] is True
    assert body["checks"]["tasks"] == {"backend": "django_tasks.backends.dummy.DummyBackend",
                                       "runs_in": "its own workers", "workers": "not checked (no heartbeat yet)"}


def test_healthz_is_unchanged(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
