"""Writes for fieldworkers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.accounts.models import Role, User
from core.actors import Actor, Channel
from core.catalog.models import Service
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.phones import normalise_phone

from .models import Fieldworker, FieldworkerStatus

FIELDS = {"name", "mobile", "status", "industry_label", "service_ids"}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"] or len(out["name"]) > 150:
            raise ValidationFailed("name", "A name of 1 to 150 characters is required.")
    if "mobile" in out:
        out["mobile"] = normalise_phone(out["mobile"])
    if "status" in out and out["status"] not in FieldworkerStatus.values:
        raise ValidationFailed("status", "Unknown status.")
    if "industry_label" in out and len(out["industry_label"] or "") > 60:
        raise ValidationFailed("industryLabel", "At most 60 characters.", code="too_long")
    if out.get("service_ids") is not None:
        ids = set(out["service_ids"])
        if Service.objects.filter(pk__in=ids).count() != len(ids):
            raise NotFound("service", field="serviceIds")
    return out


def fieldworker_create(*, actor: Actor, channel: Channel, name: str, email: str, mobile: str = "",
                       service_ids: list[int] | None = None, industry_label: str = "") -> Fieldworker:
    if not actor.is_staff:
        raise PermissionDenied()
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("email", "That is not an e-mail address.", code="invalid_email")
    values = _clean({"name": name, "mobile": mobile, "service_ids": service_ids or [],
                     "industry_label": industry_label})
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError("duplicate", "A user with that e-mail exists.", field="email")
        user = User.objects.create_user(email=email, full_name=values["name"], role=Role.FIELDWORKER)
        ids = values.pop("service_ids")
        fieldworker = Fieldworker.objects.create(user=user, **values)
        fieldworker.services.set(ids)
    return fieldworker


def fieldworker_update(*, actor: Actor, channel: Channel, fieldworker_id: int, **changes: Any) -> Fieldworker:
    unknown = set(changes) - FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or is_self):
        raise NotFound("fieldworker")
    if is_self and set(changes) - {"mobile"}:
        raise PermissionDenied("Only staff may change that.")
    values = _clean(changes)
    with transaction.atomic():
        fieldworker = Fieldworker.objects.select_for_update().filter(pk=fieldworker_id).first()
        if fieldworker is None:
            raise NotFound("fieldworker")
        ids = values.pop("service_ids", None)
        for key, value in values.items():
            setattr(fieldworker, key, value)
        fieldworker.save()
        if ids is not None:
            fieldworker.services.set(ids)
    return fieldworker
