"""The ASGI entry point: HTTP to Django (pages and GraphQL over HTTP), WebSocket ``/graphql/`` to
the GraphQL subscription consumer (origin-checked, session-aware; see realtime.routing)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.http import HttpHandler  # noqa: E402

django_asgi_app = HttpHandler()

# Imported after Django is set up: the schema imports models.
from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from config.observability import instrument  # noqa: E402
from graphql_api.schema import schema  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

# Load every route now, not on the first request (it imports all fronts and the schema).
get_resolver().url_patterns  # noqa: B018

# Whether any webhook endpoint is active, read once at start (decision 0062); never under tests.
if not settings.TESTING:
    from core.integrations import switch

    switch.prime()

# With DEBUG on (``make serve``) the server also serves the admin's and pages' static files; in
# production a web server or CDN serves ``collectstatic`` output.
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app

# Every request and WebSocket runs with a request id (and a Sentry scope of its own when Sentry is on).
application = instrument(ProtocolTypeRouter({
    "http": http_app,
    "websocket": websocket_application(schema),
}))

# Only a server imports this module, and it runs with lifespan events off (manage.py serve): a task
# worker thread starts here when ``serve --worker thread`` asked for one (once per process; decision 0036).
if os.environ.get("FIELDOPS_SERVE_WORKER") == "thread":
    from config.worker import start_thread_worker

    start_thread_worker()

# Everything loaded so far (Django, the schema, the URL map) lives as long as the process: move it
# out of the collector's reach, so full collections walk only what requests allocate (decision 0012).
gc.collect()
gc.freeze()
