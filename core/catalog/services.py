"""Writes for the service catalogue."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.money import round_money

from .models import Service, ServiceCategory

SERVICE_FIELDS = {"name", "description", "duration_minutes", "price", "tax_rate", "active", "category_id"}


def _decimal(value: Any, field: str, *, lo: Decimal, hi: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field, "Not a number.")
    if not number.is_finite() or number < lo or number > hi:
        raise ValidationFailed(field, f"Must be between {lo} and {hi}.", code="out_of_range")
    return round_money(number)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"] or len(out["name"]) > 120:
            raise ValidationFailed("name", "A name of 1 to 120 characters is required.")
    if "description" in out and len(out["description"] or "") > 5000:
        raise ValidationFailed("description", "At most 5,000 characters.", code="too_long")
    if "duration_minutes" in out and not 5 <= int(out["duration_minutes"]) <= 24 * 60:
        raise ValidationFailed("durationMinutes", "Between 5 minutes and 24 hours.", code="out_of_range")
    if "price" in out:
        out["price"] = _decimal(out["price"], "price", lo=Decimal("0"), hi=Decimal("99999999"))
    if "tax_rate" in out:
        out["tax_rate"] = _decimal(out["tax_rate"], "taxRate", lo=Decimal("0"), hi=Decimal("100"))
    if out.get("category_id") is not None and not ServiceCategory.objects.filter(pk=out["category_id"]).exists():
        raise NotFound("category", field="categoryId")
    return out


def service_create(*, actor: Actor, channel: Channel, name: str, price: Decimal, duration_minutes: int = 60,
                   tax_rate: Decimal = Decimal("10"), description: str = "", category_id: int | None = None,
                   active: bool = True) -> Service:
    if not actor.is_staff:
        raise PermissionDenied()
    values = _clean({"name": name, "price": price, "duration_minutes": duration_minutes, "tax_rate": tax_rate,
                     "description": description, "category_id": category_id, "active": active})
    return Service.objects.create(**values)


def service_update(*, actor: Actor, channel: Channel, service_id: int, **changes: Any) -> Service:
    if not actor.is_staff:
        raise PermissionDenied()
    unknown = set(changes) - SERVICE_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    with transaction.atomic():
        service = Service.objects.select_for_update().filter(pk=service_id).first()
        if service is None:
            raise NotFound("service")
        for key, value in _clean(changes).items():
            setattr(service, key, value)
        service.save()
    return service


def category_create(*, actor: Actor, channel: Channel, name: str, position: int = 0) -> ServiceCategory:
    if not actor.is_staff:
        raise PermissionDenied()
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed("name", "A name of 1 to 80 characters is required.")
    if ServiceCategory.objects.filter(name__iexact=name).exists():
        raise DomainError("duplicate", "A category with that name exists.", field="name")
    return ServiceCategory.objects.create(name=name, position=position)


def category_update(*, actor: Actor, channel: Channel, category_id: int, name: str | None = None,
                    position: int | None = None) -> ServiceCategory:
    if not actor.is_staff:
        raise PermissionDenied()
    if name is not None:
        name = name.strip()
        if not name or len(name) > 80:
            raise ValidationFailed("name", "A name of 1 to 80 characters is required.")
    if position is not None and not 0 <= int(position) <= 2_147_483_647:
        raise ValidationFailed("position", "A position of 0 or more.", code="out_of_range")
    with transaction.atomic():
        category = ServiceCategory.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound("category")
        if name is not None and ServiceCategory.objects.filter(name__iexact=name).exclude(pk=category.pk).exists():
            raise DomainError("duplicate", "A category with that name exists.", field="name")
        changed = [key for key, value in (("name", name), ("position", position))
                   if value is not None and getattr(category, key) != value]
        for key in changed:
            setattr(category, key, name if key == "name" else int(position))  # type: ignore[arg-type]
        if changed:
            category.save(update_fields=changed)
    return category
