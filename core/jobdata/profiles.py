"""Profile customisation: which built-in and custom fields the customer and fieldworker profiles
show and require, for the company. Read by the profile services (``customer_update``,
``fieldworker_update`` and their creates) and by ``values_set`` for custom fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

from . import log
from .events import ProfileFieldsChanged
from .models import CustomField, Profile, ProfileField

# the built-in fields a company may show, hide or require; the name is always shown and required
BUILTINS: dict[str, dict[str, str]] = {
    Profile.CUSTOMER: {"email": "E-mail", "mobile": "Mobile"},
    Profile.FIELDWORKER: {"mobile": "Mobile", "industry_label": "Industry label"},
}
TARGET_OF_PROFILE = {Profile.CUSTOMER: "customer", Profile.FIELDWORKER: "fieldworker"}


@dataclass(frozen=True)
class Entry:
    """One line of a profile: a built-in (``builtin``) or a custom field (``field``)."""

    builtin: str
    label: str
    shown: bool
    required: bool
    field: CustomField | None = None


def _company_id() -> int:
    from core.company.selectors import get_company

    return get_company().pk


def _profile(value: str) -> str:
    if value not in Profile.values:
        raise ValidationFailed("profile", "Unknown profile.", code="invalid_profile")
    return value


def layout(profile: str) -> list[Entry]:
    """The profile's built-ins, then its custom fields in form order, with the company's settings."""
    profile = _profile(profile)
    rows = list(ProfileField.objects.filter(company_id=_company_id(), profile=profile))
    builtin_rows = {row.builtin: row for row in rows if row.field_id is None}
    field_rows = {row.field_id: row for row in rows if row.field_id is not None}
    out = []
    for name, label in BUILTINS[profile].items():
        row = builtin_rows.get(name)
        out.append(Entry(builtin=name, label=label, shown=row.shown if row else True,
                         required=row.required if row else False))
    from .selectors import FORM_ORDER

    fields = CustomField.objects.filter(target=TARGET_OF_PROFILE[profile], archived_at__isnull=True
                                        ).select_related("group").order_by(*FORM_ORDER)
    for field in fields:
        row = field_rows.get(field.pk)
        out.append(Entry(builtin="", label=field.label, field=field, shown=row.shown if row else True,
                         required=row.required if row else field.required))
    return out


def builtin_rules(profile: str) -> dict[str, Entry]:
    return {entry.builtin: entry for entry in layout(profile) if entry.builtin}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_builtins(profile: str, *, actor: Actor, changes: Mapping[str, Any],
                   current: Mapping[str, Any] | None = None) -> None:
    """Refuse a profile change the company's settings forbid: a hidden built-in changed by someone
    other than staff (``not_shown``), or a required one left empty (``required``). ``current``:
    the stored values (None when creating: every required built-in must then be given)."""
    rules = builtin_rules(profile)
    for name, entry in rules.items():
        if name in changes and not entry.shown and not actor.is_staff:
            raise DomainError("not_shown", "This field is not on the profile.", field=_camel(name))
        if not entry.required:
            continue
        if name in changes:
            value = changes[name]
        elif current is None:
            value = None
        else:
            continue  # not touched: a value missing since before the rule does not block other changes
        if value in (None, ""):
            raise ValidationFailed(_camel(name), f"{entry.label} is required.", code="required")


def custom_overrides(target: str) -> dict[int, ProfileField]:
    """The company's settings of custom fields on the profile of ``target`` (none for other targets)."""
    profile = {value: key for key, value in TARGET_OF_PROFILE.items()}.get(target)
    if profile is None:
        return {}
    return {row.field_id: row for row in ProfileField.objects.filter(company_id=_company_id(), profile=profile,
                                                                   field__isnull=False)}


def profile_fields_set(*, actor: Actor, channel: Channel, profile: str,
                       entries: Iterable[Mapping[str, Any]]) -> list[Entry]:
    """Set how built-in and custom fields appear on a profile (staff). ``entries``: dicts with
    ``builtin`` or ``field_id``, ``shown`` and ``required``; the ones not named keep their setting."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff may change the profiles.")
    profile = _profile(profile)
    entries = list(entries)
    company_id = _company_id()
    with transaction.atomic():
        changes: dict[str, tuple[Any, Any]] = {}
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            where = f"fields.{index}"
            builtin, field_id = entry.get("builtin") or "", entry.get("field_id")
            if bool(builtin) == (field_id is not None):
                raise ValidationFailed(where, "Name a built-in field or a custom field.", code="invalid")
            shown, required = bool(entry.get("shown", True)), bool(entry.get("required", False))
            if required and not shown:
                raise ValidationFailed(f"{where}.required", "A hidden field cannot be required.",
                                       code="required_hidden")
            if builtin:
                if builtin not in BUILTINS[profile]:
                    raise ValidationFailed(f"{where}.builtin", "No such built-in field.", code="unknown_field")
                name, lookup = builtin, {"builtin": builtin, "field": None}
            else:
                field = CustomField.objects.filter(pk=field_id, archived_at__isnull=True).first()
                if field is None or field.target != TARGET_OF_PROFILE[profile]:
                    raise NotFound("custom field", field=f"{where}.fieldId")
                name, lookup = field.key, {"builtin": "", "field": field}
            if name in seen:
                raise ValidationFailed(where, "A field is named twice.", code="duplicate")
            seen.add(name)
            row = ProfileField.objects.select_for_update().filter(company_id=company_id, profile=profile,
                                                                   **lookup).first()
            before = (row.shown, row.required) if row else None
            if before != (shown, required):
                if row is None:
                    row = ProfileField(company_id=company_id, profile=profile, **lookup)
                row.shown, row.required = shown, required
                row.save()
                changes[name] = (list(before) if before else None, [shown, required])
        if changes:
            log.record(actor=actor, channel=channel, action="profile_fields_set", event=ProfileFieldsChanged,
                       target=TARGET_OF_PROFILE[profile], changes=changes, profile=profile)
    return layout(profile)
