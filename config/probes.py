"""``/readyz`` (may this process take traffic?) and ``/metrics`` (Prometheus), docs/decisions/0023.

``/healthz`` (``web.views.health``) stays what it was: the process answers and its database
connection works; load balancers and the benchmarks' floor use it. ``/readyz`` says which
dependency is missing: 200 with every check, 503 naming the failed ones. It lives here, in the
composition root, because it reads the task backend (``config.tasks``), which the fronts may not
import.
"""

from __future__ import annotations

import hmac
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


def task_backend_state() -> dict[str, Any]:
    """What the default task backend is and where its work runs, as far as this process can tell.

    There is no separate worker process yet (the thread backend runs tasks in the served process),
    so there is no worker heartbeat to check: the state is reported and never fails readiness. A
    backend with workers of its own should add a heartbeat check here (docs/decisions/0023)."""
    path = settings.TASKS.get("default", {}).get("BACKEND", "")
    if path == settings.TASK_BACKEND_ALIASES["immediate"]:
        return {"backend": "immediate", "runs_in": "the caller"}
    if path == settings.TASK_BACKEND_ALIASES["thread"]:
        from config import tasks

        workers = int(settings.TASKS["default"].get("OPTIONS", {}).get("WORKERS", tasks.DEFAULTS["WORKERS"]))
        with tasks._pools_lock:
            pools = list(tasks._pools.values())
        return {
            "backend": "thread",
            "runs_in": "this process, " + ("turns on the view threads" if workers == 0 else f"{workers} threads"),
            "started": bool(pools),
            "queued": sum(pool.queue.qsize() for pool in pools),
            "running": sum(pool.running for pool in pools),
        }
    return {"backend": path, "runs_in": "its own workers", "workers": "not checked (no heartbeat yet)"}


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
    checks["tasks"] = task_backend_state()
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
