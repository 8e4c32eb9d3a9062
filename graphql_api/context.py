"""Who is asking: one ``Actor`` per request (HTTP) or per connection (WebSocket).

HTTP: ``Authorization: Bearer <token>`` (an API token, see ``core.accounts``) or the Django
session. WebSocket (graphql-transport-ws): the ``connection_init`` payload
``{"authorization": "Bearer <token>"}``, else the session user Channels put in the scope.

Resolvers call :func:`actor_from_info`; the actor is resolved once and kept on the context.
The resolution functions here are plain and synchronous so that the WebSocket consumer can
reuse them (wrapped in ``sync_to_async``, see :func:`aactor_from_info`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async
from strawberry.types import Info

from core.accounts.services import token_from_bearer, user_for_token
from core.actors import Actor

ACTOR_KEY = "actor"


class InvalidToken(Exception):
    """An Authorization header was sent but names no usable token."""


def token_from_authorization(value: str | None) -> str | None:
    """The raw token of a ``Bearer <token>`` value; None when absent; InvalidToken if malformed."""
    if value is None or not str(value).strip():
        return None
    raw = token_from_bearer(str(value))
    if raw is None:
        raise InvalidToken("Use 'Authorization: Bearer <token>'.")
    return raw


def actor_for_authorization(value: str | None) -> Actor | None:
    """Actor for an Authorization value; None when there is none; InvalidToken when it is bad."""
    raw = token_from_authorization(value)
    if raw is None:
        return None
    user = user_for_token(raw)
    if user is None:
        raise InvalidToken("The token is unknown, revoked or expired.")
    actor = Actor.from_user(user)
    if not actor.is_authenticated:
        raise InvalidToken("This account has no role that may use the API.")
    return actor


def actor_from_request(request: Any) -> Actor:
    """HTTP: the bearer token wins over the session; no credentials is an anonymous actor."""
    header = request.headers.get("Authorization") if hasattr(request, "headers") else None
    actor = actor_for_authorization(header)
    if actor is not None:
        return actor
    return Actor.from_user(getattr(request, "user", None))


def actor_from_connection(connection_params: Mapping[str, Any] | None, scope: Mapping[str, Any] | None) -> Actor:
    """WebSocket: ``connection_init`` payload first, then the session user in the ASGI scope."""
    params = connection_params if isinstance(connection_params, Mapping) else {}
    value = params.get("authorization") or params.get("Authorization")
    actor = actor_for_authorization(value if isinstance(value, str) else None)
    if actor is not None:
        return actor
    user = (scope or {}).get("user")
    return Actor.from_user(user)


def set_context_actor(context: Any, actor: Actor) -> None:
    if isinstance(context, dict):
        context[ACTOR_KEY] = actor
    else:
        setattr(context, ACTOR_KEY, actor)


def _cached(context: Any) -> Actor | None:
    if isinstance(context, dict):
        return context.get(ACTOR_KEY)
    return getattr(context, ACTOR_KEY, None)


def actor_from_context(context: Any) -> Actor:
    actor = _cached(context)
    if actor is not None:
        return actor
    if isinstance(context, dict):  # Channels consumer context
        consumer = context.get("request")
        scope = getattr(consumer, "scope", None)
        actor = actor_from_connection(context.get("connection_params"), scope)
    else:
        actor = actor_from_request(context.request)
    set_context_actor(context, actor)
    return actor


def actor_from_info(info: Info) -> Actor:
    """The actor of this operation (resolved once per request or connection)."""
    return actor_from_context(info.context)


aactor_from_info = sync_to_async(actor_from_info)
aactor_from_context = sync_to_async(actor_from_context)


_CACHE_KEY = "_fieldops_cache"


def request_cache(info: Info, key: str, compute: Any) -> Any:
    """Memoise ``compute()`` for the rest of this HTTP request (e.g. id sets used per row).

    A WebSocket context lives as long as the connection and serves many operations, so there
    nothing is memoised: access may change between two events (a fieldworker unassigned)."""
    context = info.context
    if isinstance(context, dict):
        return compute()
    store = getattr(context, _CACHE_KEY, None)
    if store is None:
        store = {}
        setattr(context, _CACHE_KEY, store)
    if key not in store:
        store[key] = compute()
    return store[key]
