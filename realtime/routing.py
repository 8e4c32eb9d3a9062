"""WebSocket routing: origin check -> session/auth scope -> ``/graphql/`` consumer.

Origin: a browser always sends ``Origin`` on a WebSocket handshake and attaches the site's
cookies, so a page on another site could ride the dashboard's session (cross-site WebSocket
hijacking). The handshake is refused unless the Origin's host is in ``ALLOWED_HOSTS`` (as
Channels' ``AllowedHostsOriginValidator`` does). A handshake without ``Origin`` is not from a
browser and carries no ambient credentials, so it is let through unless
``REALTIME_REQUIRE_ORIGIN`` is on (see docs/decisions/0202).
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from .consumer import consumer_application


class AllowedHostsOrigin(OriginValidator):
    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return not getattr(settings, "REALTIME_REQUIRE_ORIGIN", False)
        return self.validate_origin(parsed_origin)


def allowed_hosts_origin(application: Any) -> AllowedHostsOrigin:
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return AllowedHostsOrigin(application, allowed)


def websocket_application(schema: Any) -> Any:
    return allowed_hosts_origin(
        AuthMiddlewareStack(URLRouter([path("graphql/", consumer_application(schema))]))
    )
