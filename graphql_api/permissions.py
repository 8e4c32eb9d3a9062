"""Role checks for read fields. Row scoping lives in the types' ``get_queryset``."""

from __future__ import annotations

from strawberry.types import Info

from core.actors import Actor
from core.errors import DomainError, PermissionDenied

from .context import actor_from_info


def require_authenticated(info: Info) -> Actor:
    actor = actor_from_info(info)
    if not actor.is_authenticated:
        raise DomainError("unauthenticated", "Sign in first.")
    return actor


def require_staff(info: Info) -> Actor:
    actor = require_authenticated(info)
    if not actor.is_staff:
        raise PermissionDenied("Only staff may see this.")
    return actor
