from __future__ import annotations

from datetime import datetime

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.accounts.models import ApiToken, User

from ..context import actor_from_info
from ..enums import RoleEnum
from ..nodes import PK


@strawberry_django.type(User, name="User", description="A person who signs in.")
class UserNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    full_name: str
    role: RoleEnum

    @strawberry_django.field(only=["full_name", "email"])
    def display_name(self) -> str:
        return self.display_name  # type: ignore[attr-defined]

    @strawberry_django.field(only=["email"], description="Visible to the user and to staff.")
    def email(self, info: Info) -> str | None:
        actor = actor_from_info(info)
        return self.email if actor.is_staff or actor.user_id == self.pk else None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(pk=actor.user_id) if actor.user_id else queryset.none()


@strawberry_django.type(ApiToken, name="ApiToken", description="A bearer token (its secret is never shown again).")
class ApiTokenNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_admin:
            return queryset
        return queryset.filter(user_id=actor.user_id) if actor.user_id else queryset.none()


@strawberry.type(description="The signed-in user and what they are in the business.")
class Viewer:
    user: UserNode
    kind: str
    is_admin: bool
    customer_id: strawberry.ID | None = None
    fieldworker_id: strawberry.ID | None = None
