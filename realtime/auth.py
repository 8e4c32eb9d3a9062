"""Who is on the socket.

``connection_init`` carries ``{"authorization": "Bearer <token>"}`` (API clients); without it
the Django session cookie of the handshake counts (the dashboard page). A token that is sent
but unusable is refused even when a session exists: a client that sends credentials means
those credentials. The result is an ``Actor``; anonymous means "refuse the connection".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user

from core.accounts.models import ApiToken
from core.accounts.services import token_digest, token_from_bearer, user_for_token
from core.actors import Actor


def authorization_value(params: Mapping[str, Any] | None) -> str | None:
    if not isinstance(params, Mapping):
        return None
    value = params.get("authorization", params.get("Authorization"))
    if value is None:
        return None
    return value if isinstance(value, str) else ""  # a non-string is sent-but-unusable


def actor_for_token_value(value: str) -> Actor:
    """Actor for ``Bearer <token>``; anonymous when the value or the token is no good."""
    raw = token_from_bearer(value)
    if raw is None:
        return Actor.anonymous()
    return Actor.from_user(user_for_token(raw))


def actor_for_session_user(user: Any) -> Actor:
    # Channels' AuthMiddleware puts a lazy user in the scope; resolving it reads the session.
    if user is None:
        return Actor.anonymous()
    return Actor.from_user(user if getattr(user, "is_authenticated", False) else None)


Credential = tuple[str, str]  # ("token", "Bearer ...") or ("session", session key)


def _authenticate(params: Mapping[str, Any] | None, scope: Mapping[str, Any]) -> tuple[Actor, Credential]:
    value = authorization_value(params)
    if value is not None:
        return actor_for_token_value(value), ("token", value)
    session = scope.get("session")
    key = getattr(session, "session_key", None) or ""
    return actor_for_session_user(scope.get("user")), ("session", key)


authenticate = database_sync_to_async(_authenticate)


def _current_actor(credential: Credential) -> Actor:
    kind, value = credential
    if kind == "token":
        return actor_for_token_value(value)
    if not value:
        return Actor.anonymous()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=value)
    return Actor.from_user(get_user(SimpleNamespace(session=store)))


def _still_valid(actor: Actor, credential: Credential) -> bool:
    """Re-check, when a subscription starts, that the connection's credential still holds
    (token not revoked or expired, session not logged out, same user and role)."""
    if not actor.is_authenticated:
        return False
    current = _current_actor(credential)
    return current.is_authenticated and current.kind == actor.kind and current.user_id == actor.user_id


still_valid = database_sync_to_async(_still_valid)


def _credential_expiry(credential: Credential) -> datetime | None:
    """When the credential ends by itself: the token's expiry, or the session's."""
    kind, value = credential
    if kind == "token":
        raw = token_from_bearer(value)
        if not raw:
            return None
        token = ApiToken.objects.filter(digest=token_digest(raw)).only("expires_at").first()
        return token.expires_at if token is not None else None
    if not value:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=value)
    return store.get_expiry_date() if store.exists(value) else None


credential_expiry = database_sync_to_async(_credential_expiry)
