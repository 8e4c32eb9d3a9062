"""WebSocket routing: origin check -> session/auth scope -> ``/graphql/`` consumer.

Origin: a browser always sends ``Origin`` on a WebSocket handshake and attaches the site's
cookies, so a page on another site could ride the dashboard's session (cross-site WebSocket
hijacking). The handshake is refused unless the Origin's scheme, host and port are those of one of
``CSRF_TRUSTED_ORIGINS`` (the site's own origin, ``FIELDOPS_PUBLIC_URL``, by default): the origins
whose browser requests the site trusts. While developing (``DEBUG``) a loopback origin on any port is
accepted too. A handshake without ``Origin`` is not from a browser and carries no ambient
credentials, so it is let through unless ``REALTIME_REQUIRE_ORIGIN`` is on (see docs/decisions/0202).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from .consumer import consumer_application

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _origin(scheme: str, host: str | None, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    return scheme, (host or "").lower(), port or DEFAULT_PORTS.get(scheme)


def trusted_origins() -> set[tuple[str, str, int | None]]:
    out = set()
    for url in settings.CSRF_TRUSTED_ORIGINS:
        parsed = urlparse(url)
        out.add(_origin(parsed.scheme, parsed.hostname, parsed.port))
    return out


class TrustedOrigin(OriginValidator):
    """Channels' validator, comparing the whole origin (scheme, host, port), not the host alone."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return not getattr(settings, "REALTIME_REQUIRE_ORIGIN", False)
        try:
            given = _origin(parsed_origin.scheme, parsed_origin.hostname, parsed_origin.port)
        except ValueError:  # a port that is not a number
            return False
        if settings.DEBUG and given[0] in DEFAULT_PORTS and given[1] in LOOPBACK:
            return True
        return given in trusted_origins()


def allowed_hosts_origin(application: Any) -> TrustedOrigin:
    return TrustedOrigin(application, ["*"])  # valid_origin above decides


def websocket_application(schema: Any) -> Any:
    return allowed_hosts_origin(
        AuthMiddlewareStack(URLRouter([path("graphql/", consumer_application(schema))]))
    )
