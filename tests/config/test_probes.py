"""/readyz: 200 when the database (and Redis, when configured) answer, 503 naming what failed; the
task backend's state reported as it is. /healthz keeps answering as before."""

from __future__ import annotations

import socket

import pytest
import redis
from django.test import Client


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
        "database": "ok", "redis": "not configured", "tasks": {"backend": "on-commit", "runs_in": "the committing thread"}}}


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


DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_database_backend_is_ready_only_with_a_worker_seen_within_a_minute(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from config.models import WorkerHeartbeat

    settings.REDIS_URL = ""
    settings.TASKS = DATABASE
    none = Client().get("/readyz")
    assert none.status_code == 503 and none.json()["failed"] == ["tasks"]
    assert none.json()["checks"]["tasks"]["workers"] == 0
    now = timezone.now()
    beat = WorkerHeartbeat.objects.create(worker_id="w-1", started_at=now, seen_at=now - timedelta(seconds=61))
    assert Client().get("/readyz").status_code == 503  # too old
    beat.seen_at = now - timedelta(seconds=5)
    beat.save()
    fine = Client().get("/readyz")
    assert fine.status_code == 200
    tasks = fine.json()["checks"]["tasks"]
    assert tasks["backend"] == "database" and tasks["workers"] == 1 and tasks["ready"] == 0
    beat.stopped_at = now  # signed off: no longer counts
    beat.save()
    assert Client().get("/readyz").status_code == 503


def test_another_backend_is_named_and_not_guessed_at(db, settings):
    settings.REDIS_URL = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    body = Client().get("/readyz").json()
    assert body["ready"] is True
    assert body["checks"]["tasks"] == {"backend": "django_tasks.backends.dummy.DummyBackend",
                                       "workers": "not checked"}


def test_healthz_is_unchanged(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
