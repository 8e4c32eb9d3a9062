"""Writes for accounts: staff users, API tokens and sign-in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

from . import throttle
from .models import ApiToken, Role, User

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


# --- users (staff accounts; fieldworker and customer accounts come with their own services) ----------

STAFF_ROLES = (Role.ADMIN, Role.STAFF)
USER_FIELDS = {"email", "full_name", "role", "is_active", "is_staff", "is_superuser", "group_ids", "permission_ids"}


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only administrators manage users.")


def _clean_user(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "email" in out:
        out["email"] = (out["email"] or "").strip().lower()
        try:
            validate_email(out["email"])
        except ValidationError:
            raise ValidationFailed("email", "That is not an e-mail address.", code="invalid_email")
    if "full_name" in out:
        out["full_name"] = (out["full_name"] or "").strip()
        if len(out["full_name"]) > 150:
            raise ValidationFailed("fullName", "At most 150 characters.", code="too_long")
    if "role" in out and out["role"] not in STAFF_ROLES:
        raise ValidationFailed("role", "Fieldworker and customer accounts are made with the fieldworker or the "
                                       "customer, not here.", code="invalid_role")
    for key, model, what in (("group_ids", Group, "group"), ("permission_ids", Permission, "permission")):
        if out.get(key) is not None:
            out[key] = sorted(set(out[key]))
            if model.objects.filter(pk__in=out[key]).count() != len(out[key]):
                raise NotFound(what, field=key)
    return out


def _check_password(password: str, user: User | None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("password", " ".join(exc.messages), code="weak_password")


def user_create(*, actor: Actor, channel: Channel, email: str, full_name: str = "", role: str = Role.STAFF,
                password: str | None = None, is_staff: bool = False, is_superuser: bool = False) -> User:
    """A staff or admin account. ``password`` None: the person signs in only after one is set."""
    _require_admin(actor)
    values = _clean_user({"email": email, "full_name": full_name, "role": role})
    if is_superuser and not actor.user.is_superuser:
        raise PermissionDenied("Only a superuser makes superusers.")
    if password:
        _check_password(password, None)
    with transaction.atomic():
        if User.objects.filter(email__iexact=values["email"]).exists():
            raise DomainError("duplicate", "A user with that e-mail exists.", field="email")
        return User.objects.create_user(password=password or None, is_staff=is_staff, is_superuser=is_superuser,
                                        **values)


def user_update(*, actor: Actor, channel: Channel, user_id: int, **changes: Any) -> User:
    _require_admin(actor)
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    values = _clean_user(changes)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("user")
        if "role" in values and values["role"] != user.role and user.role not in STAFF_ROLES:
            raise DomainError("role_locked", "A fieldworker's or a customer's account keeps its role.", field="role")
        if values.get("is_superuser") and not user.is_superuser and not actor.user.is_superuser:
            raise PermissionDenied("Only a superuser makes superusers.")
        if user.pk == actor.user_id and (values.get("is_active") is False or values.get("is_staff") is False
                                         or values.get("is_superuser") is False
                                         or values.get("role", user.role) != user.role):
            raise DomainError("own_access", "You cannot take away your own access.")
        if "email" in values and User.objects.filter(email__iexact=values["email"]).exclude(pk=user.pk).exists():
            raise DomainError("duplicate", "A user with that e-mail exists.", field="email")
        group_ids, permission_ids = values.pop("group_ids", None), values.pop("permission_ids", None)
        changed = [key for key, value in values.items() if getattr(user, key) != value]
        for key in changed:
            setattr(user, key, values[key])
        if changed:
            user.save(update_fields=changed)
        if group_ids is not None:
            user.groups.set(group_ids)
        if permission_ids is not None:
            user.user_permissions.set(permission_ids)
    return user


def user_set_password(*, actor: Actor, channel: Channel, user_id: int, password: str | None) -> User:
    """Set a user's password (an administrator, or the user themselves); None: password sign-in is
    turned off for that user."""
    if not (actor.is_admin or (actor.user_id is not None and actor.user_id == user_id)):
        raise NotFound("user")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("user")
        if password is None:
            user.set_unusable_password()
        else:
            _check_password(password, user)
            user.set_password(password)
        user.save(update_fields=["password"])
    return user
