"""The ASGI entry point: HTTP to Django (pages and GraphQL over HTTP), WebSocket ``/graphql/`` to
the GraphQL subscription consumer (origin-checked, session-aware; see realtime.routing)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: the schema imports models.
from channels.routing import ProtocolTypeRouter  # noqa: E402

from graphql_api.schema import schema  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": websocket_application(schema),
})

# Only a server imports this module, and Daphne sends no lifespan events: the periodic jobs start
# here (once per process; a no-op unless FIELDOPS_SCHEDULER is on, which it is not under tests).
from config.schedules import start_in_background  # noqa: E402

start_in_background()
