"""Serve the ASGI application (HTTP and the GraphQL WebSocket) with uvicorn: the one place that says
how the product is served, used by ``make serve``, the live-process tests and the benchmarks.

The same server from a shell, for a deployment that starts it another way::

    uvicorn config.asgi:application --host 127.0.0.1 --port 8000 --lifespan off --no-server-header

Why uvicorn and not Daphne: docs/decisions/0016-uvicorn-serves.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with uvicorn (one process; Ctrl-C or SIGTERM stops it gracefully)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-access-log", dest="access_log", action="store_false",
                            help="do not log a line per request")
        parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                            help="the server's own log level (Django's is LOG_LEVEL)")

    def handle(self, *args, **options) -> None:
        import uvicorn

        uvicorn.run(
            "config.asgi:application",
            host=options["host"],
            port=options["port"],
            # The application has no lifespan handler: config/asgi.py starts the periodic jobs when a
            # server imports it, and the task pool drains at exit (config/tasks.py).
            lifespan="off",
            access_log=options["access_log"],
            log_level=options["log_level"],
            server_header=False,
            # SIGTERM: stop accepting, let requests in flight finish, close WebSockets (1012), then exit;
            # after this many seconds whatever is left is cut off.
            timeout_graceful_shutdown=30,
        )
