"""A Content-Security-Policy on every page the product serves.

The dashboard and the portal load nothing from other sites; their one inline script each carries the
request's nonce (``{{ request.csp_nonce }}``), so an injected script without it never runs. Styles may
be inline (templates and the admin use style attributes). WebSockets and fetches go to the site itself.
The GraphiQL page (development only, decision 0051) loads its bundle from a CDN and is left without
this header.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'")
EXEMPT_PATHS = ("/graphql/",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if (response.get("Content-Type", "").startswith("text/html") and request.path not in EXEMPT_PATHS
                and "Content-Security-Policy" not in response):
            response["Content-Security-Policy"] = POLICY.format(nonce=request.csp_nonce)  # type: ignore[attr-defined]
        return response
