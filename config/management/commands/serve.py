"""Serve the ASGI application (HTTP and the GraphQL WebSocket) with uvicorn: the one place that says
how the product is served, used by ``make serve``, the live-process tests and the benchmarks.

The same server from a shell, for a deployment that starts it another way::

    uvicorn config.asgi:application --host 127.0.0.1 --port 8000 --lifespan off --no-server-header \
        --timeout-graceful-shutdown 30 [--no-access-log]

Why uvicorn and not Daphne: docs/decisions/0016-uvicorn-serves.md.

Background tasks (``--worker``): ``thread`` runs a task worker on a thread of each web process,
``process`` starts one ``manage.py worker`` child process beside the server (stopped with it), ``off``
leaves them to ``manage.py worker`` processes started elsewhere (the Procfile). Default: the
``FIELDOPS_SERVE_WORKER`` setting (``make serve`` on SQLite: decision 0036).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from types import ModuleType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with uvicorn (one process; Ctrl-C or SIGTERM stops it gracefully)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=None,
                            help="a line per request (default: with DEBUG on, as for make serve; in production "
                                 "the reverse proxy usually logs requests, and the line costs ~3%% of a webhook's CPU)")
        parser.add_argument("--reload", action="store_true",
                            help="restart when a Python file of the project changes (development)")
        parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                            help="the server's own log level (Django's is LOG_LEVEL)")
        parser.add_argument("--worker", choices=["thread", "process", "off"], default=settings.FIELDOPS_SERVE_WORKER,
                            help="where background tasks run: a thread of each web process, one child worker "
                                 "process, or elsewhere (default: %(default)s, FIELDOPS_SERVE_WORKER)")
        parser.add_argument("--workers", type=int, default=1, help="web processes (uvicorn workers; default 1)")

    def handle(self, *args: str, **options: Any) -> None:
        import uvicorn

        worker = options["worker"]
        child = None
        if worker == "thread":
            os.environ["FIELDOPS_SERVE_WORKER"] = "thread"  # config/asgi.py starts it in each web process
        else:
            os.environ.pop("FIELDOPS_SERVE_WORKER", None)
            if worker == "process":
                child = start_worker_process()
        try:
            self._serve(uvicorn, options)
        finally:
            if child is not None:
                stop_worker_process(child)

    def _serve(self, uvicorn: ModuleType, options: dict[str, Any]) -> None:
        uvicorn.run(
            "config.asgi:application",
            host=options["host"],
            port=options["port"],
            # The application has no lifespan handler: config/asgi.py starts the periodic jobs when a
            # server imports it, and the task pool drains at exit (config/tasks.py).
            lifespan="off",
            access_log=settings.DEBUG if options["access_log"] is None else options["access_log"],
            log_level=options["log_level"],
            # uvicorn's lines go through the settings' LOGGING like everyone's (JSON in production,
            # with the request id on its access and error lines), not uvicorn's own format
            log_config=None,
            reload=options["reload"],
            reload_dirs=[str(settings.BASE_DIR)] if options["reload"] else None,
            server_header=False,
            # the client address from X-Forwarded-For only when the peer is a proxy we were told of
            proxy_headers=True,
            forwarded_allow_ips=settings.FIELDOPS_TRUSTED_PROXIES,
            # SIGTERM: stop accepting, let requests in flight finish, close WebSockets (1012), then exit;
            # after this many seconds whatever is left is cut off.
            timeout_graceful_shutdown=30,
            workers=options["workers"] if options["workers"] > 1 else None,
        )


def _die_with_parent() -> None:
    """In the child: SIGTERM when the server process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_worker_process() -> subprocess.Popen:
    manage = os.path.join(settings.BASE_DIR, "manage.py")
    command = [sys.executable, manage, "worker", "--no-reload", "-v", "0"]
    return subprocess.Popen(command, preexec_fn=_die_with_parent if sys.platform == "linux" else None)  # noqa: S603


def stop_worker_process(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()  # db_worker finishes the task it is running, then exits
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
