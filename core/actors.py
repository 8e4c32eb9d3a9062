"""Who does something (``Actor``) and through what (``Channel``).

Every service takes both; the history log stores both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from core.accounts.models import User


class Channel(models.TextChoices):
    GRAPHQL = "graphql", "GraphQL"
    SMS = "sms", "SMS"
    TELEGRAM = "telegram", "Telegram"
    PORTAL = "portal", "Customer portal"
    EMAIL_LINK = "email_link", "E-mail link"
    EMAIL = "email", "E-mail reply"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "System"


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff"
    FIELDWORKER = "fieldworker", "Fieldworker"
    CUSTOMER = "customer", "Customer"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


@dataclass(frozen=True)
class Actor:
    kind: str
    user: Any = None  # accounts.User or None for system/anonymous/customers without login
    customer_id: int | None = None
    fieldworker_id: int | None = None
    is_admin: bool = False

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.STAFF

    @property
    def is_fieldworker(self) -> bool:
        return self.kind == ActorKind.FIELDWORKER

    @property
    def is_customer(self) -> bool:
        return self.kind == ActorKind.CUSTOMER

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM

    @property
    def is_authenticated(self) -> bool:
        return self.kind != ActorKind.ANONYMOUS

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.display_name
        if self.kind == ActorKind.CUSTOMER and self.customer_id:
            return f"customer #{self.customer_id}"
        return self.kind

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def system(cls) -> Actor:
        return cls(kind=ActorKind.SYSTEM)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(kind=ActorKind.ANONYMOUS)

    @classmethod
    def for_customer(cls, customer: Any) -> Actor:
        """A customer acting without a login (SMS sender, signed e-mail link)."""
        return cls(kind=ActorKind.CUSTOMER, user=customer.user, customer_id=customer.pk)

    @classmethod
    def for_fieldworker(cls, fieldworker: Any) -> Actor:
        return cls(kind=ActorKind.FIELDWORKER, user=fieldworker.user, fieldworker_id=fieldworker.pk)

    @classmethod
    def from_user(cls, user: User | None) -> Actor:
        """Resolve a logged-in user (token or session) to an actor by role."""
        if user is None or not user.is_authenticated or not user.is_active:
            return cls.anonymous()
        from core.accounts.models import Role

        if user.role in (Role.ADMIN, Role.STAFF) or user.is_superuser:
            return cls(kind=ActorKind.STAFF, user=user, is_admin=user.role == Role.ADMIN or user.is_superuser)
        if user.role == Role.FIELDWORKER:
            fieldworker = getattr(user, "fieldworker", None)
            if fieldworker is not None:
                return cls(kind=ActorKind.FIELDWORKER, user=user, fieldworker_id=fieldworker.pk)
        if user.role == Role.CUSTOMER:
            customer = getattr(user, "customer", None)
            if customer is not None:
                return cls(kind=ActorKind.CUSTOMER, user=user, customer_id=customer.pk)
        return cls.anonymous()


def ensure_office(actor: Actor, what: str) -> None:
    """Writes that are the office's (the system's too: automatic invoices, reminders, payroll runs):
    anyone else is refused, "Sign in first." when not signed in at all."""
    from core.errors import DomainError, PermissionDenied

    if not actor.is_authenticated and not actor.is_system:
        raise DomainError("unauthenticated", "Sign in first.")
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied(f"Only staff may change {what}.")
