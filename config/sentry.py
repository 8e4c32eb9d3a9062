"""Error reporting to Sentry when ``SENTRY_DSN`` is set (docs/decisions/0022).

Imported by the settings, before Django is set up, so it imports nothing of Django's or ours.

- ``send_default_pii`` is off (no user ids, IP addresses, cookies or auth headers) and stack
  frames carry no local variables: they hold customers' names, addresses and tokens, which no
  pattern can recognise.
- :func:`before_send` walks the whole event (message, exception values, breadcrumbs, request data,
  tags, extra) and replaces phone numbers in E.164 form and e-mail addresses, also URL-encoded
  (``%2B61...``, ``...%40example.com``), as in a webhook's form body or a query string; and the
  credentials of booking and sign-in links in URLs, and headers that carry a secret.
- Only the Django and logging integrations (plus the SDK's defaults): an ERROR log line with a
  traceback becomes an event (a failing task, a GraphQL fault), a view's unhandled exception too.
  No performance tracing (``SENTRY_TRACES_SAMPLE_RATE`` turns it on).
- Each event is tagged with the request id (the ``X-Request-ID`` its request was answered with).
"""

from __future__ import annotations

import re
from typing import Any

# + or %2B, a non-zero digit, then 6 to 14 more digits, with spaces, dots, dashes or brackets between
PHONE = re.compile(r"(?:\+|%2[Bb])[1-9](?:[ ().-]{0,2}\d){6,14}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_MASK = "[phone]"
EMAIL_MASK = "[email]"
# signed booking links and portal sign-in links carry their credential in the path (web/urls.py)
LINK_TOKEN = re.compile(r"(/b/|/portal/login/)[^/?#\s\"'<>]+")
# request headers that carry a credential Sentry's own list does not know (the Telegram webhook
# secret, Twilio's signature); Authorization and cookies it drops itself without default PII
SECRET_HEADER = re.compile(r"secret|token|signature|auth|cookie|key", re.IGNORECASE)


def scrub_text(text: str) -> str:
    if "@" in text or "%40" in text:
        text = EMAIL.sub(EMAIL_MASK, text)
    if "+" in text or "%2" in text:
        text = PHONE.sub(PHONE_MASK, text)
    if "/b/" in text or "/portal/login/" in text:
        text = LINK_TOKEN.sub(r"\1[token]", text)
    return text


def scrub(value: Any) -> Any:
    """The same structure with every phone number and e-mail address in its strings (keys
    included) replaced."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    from core.observability import current_request_id  # plain Python: safe at any time

    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    headers = (event.get("request") or {}).get("headers")
    if isinstance(headers, dict):
        event["request"]["headers"] = {name: "[Filtered]" if SECRET_HEADER.search(name) else value
                                       for name, value in headers.items()}
    return scrub(event)


def init(dsn: str, *, traces_sample_rate: float | None = None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        include_local_variables=False,
        before_send=before_send,
        # breadcrumbs are part of the event, so before_send scrubs them too
        integrations=[
            DjangoIntegration(middleware_spans=False, signals_spans=False, cache_spans=False),
            LoggingIntegration(level=20, event_level=40),  # INFO breadcrumbs, ERROR events
        ],
        # Not every installed library's integration (strawberry, redis, httpx...): each patches its
        # library, and strawberry's adds a schema extension to every operation.
        auto_enabling_integrations=False,
        traces_sample_rate=traces_sample_rate,
    )
