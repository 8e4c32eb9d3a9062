"""Request ids, log formats and the process's metrics: plain Python, usable from every layer.

**Request ids.** ``REQUEST_ID`` holds the id of the request (or WebSocket connection) being served,
set by ``config.observability`` at the ASGI entry and in the first middleware, and carried into the
tasks the request enqueues. :class:`RequestIdFilter` puts it on every log record as ``request_id``.

**Log formats.** :class:`JsonFormatter` writes one JSON object per line (production);
:class:`TextFormatter` a readable line with the request id (development). ``LOG_FORMAT`` picks one.

**Metrics.** One registry per process (:data:`REGISTRY`), rendered in the Prometheus text format by
:func:`render`. With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts) prometheus-client
keeps the values in files there and :func:`render` adds up every process's, so any process of a
host can answer a scrape for all of them (docs/decisions/0021).

=========================================== =====================================================
``fieldops_http_request_duration_seconds``  histogram by ``route`` (URL pattern) and ``method``
``fieldops_http_responses_total``           counter by ``route`` and ``status``
``fieldops_graphql_operations_total``       counter by ``operation`` (name) and ``type``
``fieldops_graphql_errors_total``           counter by ``operation`` and ``kind`` (domain, request,
                                            internal)
``fieldops_webhooks_total``                 counter by ``webhook`` (route) and ``outcome``
``fieldops_task_failures_total``            counter by ``task`` (module path)
``fieldops_task_queue_depth`` and friends   read from the task backend at scrape time (config)
``fieldops_websocket_connections``          gauge: open GraphQL WebSockets
``fieldops_graphql_subscriptions``          gauge: live subscriptions
=========================================== =====================================================
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import secrets
import threading
import time
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# --- request ids ---------------------------------------------------------------------------------

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("fieldops_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is a plain token (a proxy's or a client's UUID, hex, base64url...):
# anything else (spaces, quotes, control characters, very long) could forge or break log lines.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def new_request_id() -> str:
    return secrets.token_hex(16)


def request_id_from(incoming: str | bytes | None) -> str:
    """The incoming ``X-Request-ID`` when it is a sane token, else a new id."""
    if isinstance(incoming, bytes):
        incoming = incoming.decode("latin-1")
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return REQUEST_ID.get()


# --- logging -------------------------------------------------------------------------------------

class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


# the attributes every LogRecord has: anything else on a record came from ``extra=``
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id``, whatever ``extra=`` added, and ``exc_info`` (the traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key != "color_message":
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """``12:00:01 INFO    conversations.sms.views [3f2a...] message`` for a developer's terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):  # a handler without the filter
            record.request_id = REQUEST_ID.get()
        saved = record.request_id
        record.request_id = saved or "-"
        try:
            return super().format(record)
        finally:
            record.request_id = saved


# --- metrics -------------------------------------------------------------------------------------

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry()
if not MULTIPROCESS:  # the process's own CPU, memory and collector figures (per process only)
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)
    GCCollector(registry=REGISTRY)

# Requests take milliseconds here; the default buckets start at 5 ms.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_LATENCY = Histogram("fieldops_http_request_duration_seconds",
                         "Time from the first middleware in to the response out, by URL pattern.",
                         ["route", "method"], buckets=_LATENCY_BUCKETS, registry=REGISTRY)
HTTP_RESPONSES = Counter("fieldops_http_responses_total", "Responses by URL pattern and status code.",
                         ["route", "status"], registry=REGISTRY)
GRAPHQL_OPERATIONS = Counter("fieldops_graphql_operations_total",
                             "GraphQL operations finished, by operation name and type.",
                             ["operation", "type"], registry=REGISTRY)
GRAPHQL_ERRORS = Counter("fieldops_graphql_errors_total",
                         "GraphQL errors in results, by operation name and kind (domain: a DomainError code; "
                         "request: syntax, validation, variables; internal: a fault).",
                         ["operation", "kind"], registry=REGISTRY)
WEBHOOKS = Counter("fieldops_webhooks_total", "Webhook calls by route and outcome.",
                   ["webhook", "outcome"], registry=REGISTRY)
TASK_FAILURES = Counter("fieldops_task_failures_total", "Tasks that raised, by task.", ["task"], registry=REGISTRY)
WEBSOCKET_CONNECTIONS = Gauge("fieldops_websocket_connections", "Open GraphQL WebSocket connections.",
                              registry=REGISTRY, multiprocess_mode="livesum")
REALTIME_RESYNCS = Counter("fieldops_realtime_resyncs_total",
                           "Live subscriptions ended with resync_required after the channel layer reconnected.",
                           registry=REGISTRY)
GRAPHQL_SUBSCRIPTIONS = Gauge("fieldops_graphql_subscriptions", "Live GraphQL subscriptions.",
                              registry=REGISTRY, multiprocess_mode="livesum")

# Collectors read at scrape time (config registers the task backend's); kept here so that a
# multiprocess scrape, which builds a registry of its own, can add them too.
_scrape_collectors: list[Any] = []


def register_collector(collector: Any) -> None:
    """Add a collector whose ``collect()`` reads live state when /metrics is scraped."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)
        REGISTRY.register(collector)


def render() -> tuple[bytes, str]:
    """The metrics in the Prometheus text format, and its content type."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry)
    for collector in _scrape_collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int | None = None) -> None:
    """Drop a stopped process's live gauges from the multiprocess directory (at exit)."""
    if MULTIPROCESS:
        _multiprocess.mark_process_dead(pid or os.getpid())


class BoundedLabels:
    """Label values chosen by clients (GraphQL operation names) with bounded cardinality: a value
    must look like a name and only the first ``limit`` distinct ones are kept; the rest are
    ``other``. Prometheus keeps a series per value, so unbounded names would grow memory forever."""

    def __init__(self, limit: int = 200, pattern: str = r"[A-Za-z_][A-Za-z0-9_]{0,63}") -> None:
        self.limit = limit
        self.pattern = re.compile(pattern)
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, value: str | None, *, missing: str = "anonymous") -> str:
        if not value:
            return missing
        if value in self.seen:
            return value
        if not self.pattern.fullmatch(value):
            return "other"
        with self.lock:
            if len(self.seen) >= self.limit:
                return "other"
            self.seen.add(value)
        return value


operation_label = BoundedLabels()

