"""Writes for accounts: API tokens and sign-in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied

from . import throttle
from .models import ApiToken, User

TOKEN_PREFIX = "fo_"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once, never stored


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue(user: User, *, name: str, ttl: timedelta | None) -> IssuedToken:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        expires_at=timezone.now() + ttl if ttl else None,
    )
    return IssuedToken(token=token, raw=raw)


def token_create(*, actor: Actor, channel: Channel, name: str = "", ttl_days: int | None = None,
                 user_id: int | None = None) -> IssuedToken:
    """Issue a token for the actor (or, for an admin, for another user)."""
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied()
    user = actor.user
    if user_id is not None and user_id != user.pk:
        if not actor.is_admin:
            raise NotFound("user")
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotFound("user")
    days = settings.API_TOKEN_TTL_DAYS if ttl_days is None else ttl_days
    if days < 1 or days > 366:
        raise DomainError("invalid", "A token lives between 1 and 366 days.", field="ttlDays")
    return _issue(user, name=name, ttl=timedelta(days=days))


def token_revoke(*, actor: Actor, channel: Channel, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or (token.user_id != actor.user_id and not actor.is_admin):
            raise NotFound("token")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def password_check(*, email: str, password: str, client: str = "") -> User:
    """The active user with this e-mail and password; ``invalid_credentials`` otherwise (a wrong
    e-mail and a wrong password look alike). Guessing slows down per account and client, and stops
    per client (core.accounts.throttle); the right password from a client that has not been guessing
    is never refused. Every password sign-in goes through here: the login mutation, the admin's and
    the dashboard's sign-in forms."""
    address = (email or "").strip().lower()[:254]
    throttle.attempt(address, client)
    user = authenticate(username=address, password=password or "")
    if user is None or not user.is_active:
        raise DomainError("invalid_credentials", "E-mail or password is wrong.", field="password")
    throttle.succeeded(address, client)
    return user


def login(*, email: str, password: str, channel: Channel, token_name: str = "login", client: str = "") -> IssuedToken:
    """Password sign-in that returns a new token (decision 0003); see :func:`password_check`."""
    user = password_check(email=email, password=password, client=client)
    return _issue(user, name=f"{token_name} via {channel}", ttl=timedelta(days=settings.API_TOKEN_TTL_DAYS))


def token_from_bearer(value: str) -> str | None:
    """The raw token of a ``Bearer <token>`` credential (HTTP header or WebSocket payload);
    None when the value is not in that form."""
    scheme, _, raw = (value or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def user_for_token(raw: str) -> User | None:
    """The active user behind a bearer token, or None (unknown, revoked, expired)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    digest = token_digest(raw)
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    now = timezone.now()
    if not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
