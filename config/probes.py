"""``/readyz`` (may this process take traffic?) and ``/metrics`` (Prometheus), docs/decisions/0023.

``/healthz`` (``web.views.health``) stays what it was: the process answers and its database
connection works; load balancers and the benchmarks' floor use it. ``/readyz`` says which
dependency is missing: 200 with every check, 503 naming the failed ones. It lives here, in the
composition root, because it reads the task backend (``config.tasks``), which the fronts may not
import.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from core import observability as obs


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def task_backend_state() -> tuple[dict[str, Any], bool]:
    """The default task backend, and for the database backend its workers: ready only when one
    beat within the last minute (``config/worker.py``; docs/decisions/0023, 0032). Returns the
    state and whether it is fine."""
    path = settings.TASKS.get("default", {}).get("BACKEND", "")
    if path == settings.TASK_BACKEND_ALIASES["immediate"]:
        return {"backend": "immediate", "runs_in": "the caller"}, True
    if path == settings.TASK_BACKEND_ALIASES["on-commit"]:
        return {"backend": "on-commit", "runs_in": "the committing thread"}, True
    if path != settings.TASK_BACKEND_ALIASES["database"]:
        return {"backend": path, "workers": "not checked"}, True
    from django.utils import timezone

    from config.models import WorkerHeartbeat
    from config.tasks import queue_state

    since = timezone.now() - timedelta(minutes=1)
    live = WorkerHeartbeat.objects.filter(seen_at__gte=since, stopped_at__isnull=True)
    count = live.count()
    last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    state = {"backend": "database", "workers": count, "last_heartbeat": last.isoformat() if last else None,
             **queue_state()}
    return state, count > 0


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    failed: list[str] = []
    probes = [("database", _database)]
    if settings.REDIS_URL:
        probes.append(("redis", _redis))
    else:
        checks["redis"] = "not configured"
    for name, probe in probes:
        try:
            probe()
        except Exception as exc:  # what failed, not the message (it may name hosts or users)
            checks[name] = f"failed: {type(exc).__name__}"
            failed.append(name)
        else:
            checks[name] = "ok"
    try:
        checks["tasks"], tasks_ok = task_backend_state()
    except Exception as exc:
        checks["tasks"], tasks_ok = f"failed: {type(exc).__name__}", False
    if not tasks_ok:
        failed.append("tasks")
    body = {"ready": not failed, "checks": checks}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for ``Authorization: Bearer <METRICS_TOKEN>`` only; without the
    setting the page does not exist (404)."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return HttpResponse("Wrong token.\n", status=403, content_type="text/plain")
    body, content_type = obs.render()
    return HttpResponse(body, content_type=content_type)
