"""Where requests and tasks get their ids and their figures (docs/decisions/0020, 0021).

- :func:`instrument` wraps the ASGI application (``config/asgi.py``): every HTTP request and
  WebSocket connection runs with a request id (the incoming ``X-Request-ID`` when it is a sane
  token, else a new one), so every log line of it, uvicorn's included, carries that id; with
  Sentry on, each also gets an isolation scope of its own (Sentry's ASGI middleware).
- :class:`RequestMiddleware`, first in ``MIDDLEWARE``, makes sure of the id where no ASGI server
  set it (Django's test client, ``runserver``), answers with it in ``X-Request-ID``, and records
  the request's latency by URL pattern, its status and, for ``webhooks/`` routes, the outcome.
- :func:`connect_task_signals` carries the id of the request that enqueued a task into the thread
  that runs it, in this process or a worker's (stored beside the row's arguments at enqueue, set
  around the run; no task signature changes) and counts failures; :class:`TaskQueueCollector`
  reads the thread backend's queue at scrape time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django_tasks import TaskResultStatus
from prometheus_client.core import GaugeMetricFamily

from core import observability as obs

# --- the ASGI entry -----------------------------------------------------------------------------

_HEADER = obs.REQUEST_ID_HEADER.lower().encode()


class RequestIdApp:
    """ASGI middleware: the scope runs with a request id; HTTP responses carry it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next((value for name, value in scope.get("headers", ()) if name == _HEADER), None)
        request_id = obs.request_id_from(incoming)
        token = obs.REQUEST_ID.set(request_id)
        try:
            if scope["type"] == "http":
                await self.app(scope, receive, _with_header(send, request_id.encode()))
            else:
                await self.app(scope, receive, send)
        finally:
            obs.REQUEST_ID.reset(token)


def _with_header(send: Any, value: bytes) -> Any:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(name, item) for name, item in message.get("headers", ()) if name.lower() != _HEADER]
            message = {**message, "headers": [*headers, (_HEADER, value)]}
        await send(message)

    return sending


def instrument(app: Any) -> Any:
    """The application as served: request ids around it, and Sentry's scope per request when on."""
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        from sentry_sdk.integrations.asgi import SentryAsgiMiddleware

        # Django's own ASGI handler gets this from Sentry's Django integration; ours (config.http)
        # overrides __call__, so it is added here: a scope per request, not one shared by all.
        app = SentryAsgiMiddleware(app, unsafe_context_data=True)
    return RequestIdApp(app)


# --- the first middleware -----------------------------------------------------------------------

def _outcome(status: int) -> str:
    if status < 400:
        return "accepted"
    return {400: "bad_request", 401: "refused", 403: "refused", 404: "not_found", 405: "bad_method",
            413: "too_large", 429: "throttled"}.get(status, "error" if status >= 500 else str(status))


_series: dict[tuple, Any] = {}  # label values -> the metric's child: labels() costs a lock and a few µs


def _child(metric: Any, *values: str) -> Any:
    key = (metric, values)
    child = _series.get(key)
    if child is None:
        child = _series[key] = metric.labels(*values)
    return child


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _observe(request: Any, response: Any, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None else "<unmatched>"
    method = request.method if request.method in _METHODS else "other"  # clients choose it: bounded
    status = response.status_code
    _child(obs.HTTP_LATENCY, route, method).observe(time.perf_counter() - started)
    _child(obs.HTTP_RESPONSES, route, str(status)).inc()
    if route.startswith("webhooks/"):
        _child(obs.WEBHOOKS, route, _outcome(status)).inc()


class RequestMiddleware:
    """Request id, ``X-Request-ID`` and the HTTP figures; synchronous and asynchronous (so the
    async path of ``config.http`` does not pay a thread hop for it)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _enter(self, request: Any) -> tuple[str, Any]:
        request_id = obs.REQUEST_ID.get()
        if request_id is not None:  # set at the ASGI entry
            return request_id, None
        request_id = obs.request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        return request_id, obs.REQUEST_ID.set(request_id)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        request_id, token = self._enter(request)
        try:
            response = self.get_response(request)
        finally:
            if token is not None:
                obs.REQUEST_ID.reset(token)
        response[obs.REQUEST_ID_HEADER] = request_id
        _observe(request, response, started)
        return response

    async def __acall__(self, request: Any) -> Any:
        started = time.perf_counter()
        request_id, token = self._enter(request)
        try:
            response = await self.get_response(request)
        finally:
            if token is not None:
                obs.REQUEST_ID.reset(token)
        response[obs.REQUEST_ID_HEADER] = request_id
        _observe(request, response, started)
        return response


# --- tasks --------------------------------------------------------------------------------------

STORED_KEY = "request_id"  # beside "args" and "kwargs" in a task row's ``args_kwargs`` (0020, 0037)


def stamp_task_row(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """``pre_save`` of django-tasks-db's row: a row being written for the first time while a request
    (or a task that carries one) is being served stores that request's id beside its arguments, so
    a worker in any process can restore it around the run. The library reads only ``args`` and
    ``kwargs`` from that field; the task function never sees it."""
    if raw or not instance._state.adding:
        return
    request_id = obs.REQUEST_ID.get()
    stored = instance.args_kwargs
    if request_id is not None and isinstance(stored, dict) and STORED_KEY not in stored:
        instance.args_kwargs = {**stored, STORED_KEY: request_id}


def _request_id_in(stored: Any) -> str | None:
    request_id = stored.get(STORED_KEY) if isinstance(stored, dict) else None
    return request_id if isinstance(request_id, str) and obs.request_id_from(request_id) == request_id else None


def stored_request_id(result_id: Any) -> str | None:
    """The request id stored with a task row (one read by primary key, in the worker's process)."""
    from django_tasks_db.models import DBTaskResult

    return _request_id_in(DBTaskResult.objects.filter(pk=result_id).values_list("args_kwargs", flat=True).first())


def note_claimed_row(sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """``pre_save`` of django-tasks-db's row being claimed (``DBTaskResult.claim`` saves the status,
    ``started_at`` and worker ids of the row it has just read whole): its stored request id is kept
    for the ``task_started`` that follows in the same thread, so a worker reads no row twice per task
    (decision 0046)."""
    if raw or instance._state.adding or not update_fields or "started_at" not in update_fields:
        return
    if instance.status == TaskResultStatus.RUNNING:
        task_request_ids.claimed(instance.id, _request_id_in(instance.args_kwargs))


class _TaskRequestIds:
    """Task result id -> the id of the request that enqueued it, until a worker starts it.

    In the enqueuing process a map answers without a query; a worker in another process reads the
    id stored with the row (:func:`stamp_task_row`). The map is bounded: a task enqueued in a
    transaction that rolls back never starts, and its entry goes once ``LIMIT`` newer ones wait."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self.waiting: OrderedDict[str, str] = OrderedDict()
        self.running: dict[str, Any] = {}  # result id -> contextvar token, reset when it finishes
        self.claims: dict[str, Any] = {}  # result id -> core.delivery.CURRENT_TASK token
        # result id -> the request id its row stored ("" for none), noted as a worker claimed it
        self.claimed_rows: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def claimed(self, result_id: Any, request_id: str | None) -> None:
        with self.lock:
            self.claimed_rows[str(result_id)] = request_id or ""
            while len(self.claimed_rows) > self.LIMIT:
                self.claimed_rows.popitem(last=False)

    def enqueued(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        request_id = obs.REQUEST_ID.get()
        if request_id is None:
            return
        with self.lock:
            self.waiting[task_result.id] = request_id
            while len(self.waiting) > self.LIMIT:
                self.waiting.popitem(last=False)

    def started(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        from core.delivery import CURRENT_TASK

        token = CURRENT_TASK.set(str(task_result.id))  # the claim its deliveries take (core/delivery.py)
        with self.lock:
            self.claims[task_result.id] = token
        with self.lock:
            request_id = self.waiting.pop(task_result.id, None)
            noted = self.claimed_rows.pop(str(task_result.id), None)
        if request_id is None and noted is not None:
            request_id = noted or None  # enqueued by another process; read with the claimed row
        elif request_id is None and _is_database_backend(sender):
            request_id = stored_request_id(task_result.id)  # (a row claimed without our pre_save)
        if request_id is not None:
            token = obs.REQUEST_ID.set(request_id)
            with self.lock:
                self.running[task_result.id] = token

    def finished(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        from core.delivery import CURRENT_TASK

        if task_result.status == TaskResultStatus.FAILED:
            # (db_worker records the failure on the row but logs nothing; here with the request id)
            error = task_result.errors[-1].traceback if task_result.errors else "?"
            logging.getLogger("config.tasks").error("task %s (id=%s) failed\n%s", task_result.task.module_path,
                                                    task_result.id, error)

        with self.lock:
            claim = self.claims.pop(task_result.id, None)
        if claim is not None:
            with contextlib.suppress(ValueError):
                CURRENT_TASK.reset(claim)
        with self.lock:
            token = self.running.pop(task_result.id, None)
        if token is not None:
            # (a task finished in another context than it started in has nothing to restore)
            with contextlib.suppress(ValueError):
                obs.REQUEST_ID.reset(token)
        if task_result.status == TaskResultStatus.FAILED:
            obs.TASK_FAILURES.labels(task_result.task.module_path).inc()


task_request_ids = _TaskRequestIds()


def _is_database_backend(sender: Any) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    # (db_worker sends ``task_started`` with the backend instance, ``task_finished`` with its class)
    return isinstance(sender, DatabaseBackend) or (isinstance(sender, type) and issubclass(sender, DatabaseBackend))


def connect_task_signals() -> None:
    from django.db.models.signals import pre_save
    from django_tasks.signals import task_enqueued, task_finished, task_started
    from django_tasks_db.models import DBTaskResult

    pre_save.connect(stamp_task_row, sender=DBTaskResult, dispatch_uid="fieldops-stamp-task-row")
    pre_save.connect(note_claimed_row, sender=DBTaskResult, dispatch_uid="fieldops-note-claimed-row")
    task_enqueued.connect(task_request_ids.enqueued, dispatch_uid="fieldops-observe-enqueued")
    # django-tasks writes its own "Task id=... state=RUNNING" line from a ``task_started`` receiver
    # connected at its import; receivers run in the order they were connected, so ours is put before
    # it and that line carries the request id too (the "finished" line already runs before ours resets
    # it). A rename in the library fails here at start-up, and tests/config/test_pinned_internals.py.
    from django_tasks import signals as library_signals

    task_started.disconnect(library_signals.log_task_started)
    task_started.connect(task_request_ids.started, dispatch_uid="fieldops-observe-started")
    task_started.connect(library_signals.log_task_started)
    task_finished.connect(task_request_ids.finished, dispatch_uid="fieldops-observe-finished")


class TaskQueueCollector:
    """The task queue, read when /metrics is scraped: for the database backend the table itself
    (ready and running rows, the age of the oldest due one; the same figures from every process).
    The other backends never queue (all zeros)."""

    def collect(self) -> Any:
        from config.tasks import queue_state

        backend = settings.TASKS.get("default", {}).get("BACKEND", "")
        if backend == settings.TASK_BACKEND_ALIASES["database"]:
            state = queue_state()
            depth, running, oldest = state["ready"], state["running"], state["oldest_age"]
        else:
            depth, running, oldest = 0, 0, 0.0
        yield GaugeMetricFamily("fieldops_task_queue_depth", "Tasks due and not started (all workers).",
                                value=depth)
        yield GaugeMetricFamily("fieldops_tasks_running", "Tasks running now (all workers).", value=running)
        yield GaugeMetricFamily("fieldops_task_oldest_age_seconds",
                                "Age of the oldest due task (0 when none is due).", value=oldest)
