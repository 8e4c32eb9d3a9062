"""The writer shared by the managed lists (property types in core.crm, booking location types in
core.bookings): a ``name`` unique whatever its case, ``active`` and ``position``. A list entry is
configuration, not a customer's story: no history rows (like lead sources, decision 0171). Entries
in use are deactivated, not deleted."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.actors import Actor
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.text import refuse_nul


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied()


def _apply(row: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    diff: dict[str, tuple[Any, Any]] = {}
    for key, value in values.items():
        before = getattr(row, key)
        if before != value:
            diff[key] = (before, value)
            setattr(row, key, value)
    return diff


def clean_list_entry(values: dict[str, Any], *, limit: int = 60) -> dict[str, Any]:
    """Shared by the managed lists: ``name`` 1..limit characters, ``position`` 0..32767."""
    out = dict(values)
    if "name" in out:
        out["name"] = refuse_nul((out["name"] or "").strip(), "name")
        if not out["name"]:
            raise ValidationFailed("name", "A name is required.")
        if len(out["name"]) > limit:
            raise ValidationFailed("name", f"At most {limit} characters.")
    if out.get("position") is not None and not 0 <= out["position"] <= 32767:
        raise ValidationFailed("position", "Between 0 and 32767.", code="out_of_range")
    if "active" in out and out["active"] is None:
        out.pop("active")
    if "position" in out and out["position"] is None:
        out.pop("position")
    return out


def list_entry_write(model: Any, *, actor: Actor, entry_id: int | None, label: str, **values: Any) -> Any:
    """Create (``entry_id`` None) or change an entry of a managed list ``model``; staff only."""
    _require_staff(actor)
    unknown = set(values) - {"name", "active", "position"}
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    cleaned = clean_list_entry(values)
    with transaction.atomic():
        if entry_id is None:
            row = model()
            if "name" not in cleaned:
                raise ValidationFailed("name", "A name is required.")
        else:
            row = model.objects.select_for_update().filter(pk=entry_id).first()
            if row is None:
                raise NotFound(label)
        if "name" in cleaned and model.objects.filter(name__iexact=cleaned["name"]).exclude(pk=row.pk).exists():
            raise DomainError("duplicate", f"A {label} with that name exists.", field="name")
        diff = _apply(row, cleaned)
        if row.pk is None:
            row.save()
        elif diff:
            row.save(update_fields=sorted(diff))
    return row


def list_entry_delete(model: Any, *, actor: Actor, entry_id: int, label: str, used_by: str) -> None:
    """Remove an unused entry; one in use is deactivated instead (``in_use``)."""
    _require_staff(actor)
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=entry_id).first()
        if row is None:
            raise NotFound(label)
        if getattr(row, used_by).exists():
            raise DomainError("in_use", f"This {label} is in use; deactivate it instead.")
        row.delete()


