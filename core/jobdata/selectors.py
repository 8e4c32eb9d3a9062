"""Scoped reads of custom fields and their values.

Who reads what: staff every field; a customer the fields ``visible_to_customer``, a fieldworker
the fields ``visible_to_fieldworker``, each only on objects they may see at all (the area's own
selector). Who writes: staff any object; a customer their own bookings, properties and profile; a
fieldworker the bookings they accepted and their own profile; always only fields they may read.
Quotes are the office's to write: staff set their values, a customer reads the fields meant for
them on their own sent quotes (decision 0942).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet

from core.actors import Actor
from core.errors import ValidationFailed

from . import values as typed
from .models import (
    MULTI_CHOICE_TYPES,
    SINGLE_CHOICE_TYPES,
    CustomField,
    CustomFieldChoice,
    CustomFieldGroup,
    CustomFieldValue,
    FieldType,
    ProfileField,
    Target,
)

# the unnamed group first on every database (PostgreSQL sorts NULL last, SQLite first)
FORM_ORDER = (F("group__position").asc(nulls_first=True), F("group_id").asc(nulls_first=True), "position", "id")
FORM_ORDER_OF_VALUES = (F("field__group__position").asc(nulls_first=True),
                        F("field__group_id").asc(nulls_first=True), "field__position", "field_id")


def readable_fields(actor: Actor, target: str | None = None) -> QuerySet[CustomField]:
    """Active fields whose values ``actor`` may read (on objects they may see)."""
    qs = CustomField.objects.filter(archived_at__isnull=True)
    if target is not None:
        qs = qs.filter(target=target)
    if actor.is_staff:
        return qs
    # a field the company hides on a profile is not shown to the profile's owner (nor to anyone but staff)
    qs = qs.exclude(pk__in=ProfileField.objects.filter(shown=False, field__isnull=False).values("field_id"))
    if actor.is_customer:
        return qs.filter(visible_to_customer=True)
    if actor.is_fieldworker:
        return qs.filter(visible_to_fieldworker=True)
    return qs.none()


def visible_groups(actor: Actor, target: str) -> QuerySet[CustomFieldGroup]:
    return CustomFieldGroup.objects.filter(target=target, archived_at__isnull=True) if actor.is_authenticated \
        else CustomFieldGroup.objects.none()


def visible_objects(actor: Actor, target: str) -> QuerySet:
    """The objects of ``target`` the actor may see, from the area's own selector."""
    if target == Target.BOOKING:
        from core.bookings.selectors import visible_bookings

        return visible_bookings(actor)
    if target == Target.CUSTOMER:
        from core.crm.selectors import visible_customers

        return visible_customers(actor)
    if target == Target.PROPERTY:
        from core.crm.selectors import visible_properties

        return visible_properties(actor)
    if target == Target.FIELDWORKER:
        from core.workforce.selectors import visible_fieldworkers

        return visible_fieldworkers(actor)
    if target == Target.QUOTE:
        from core.sales.quote_selectors import visible_quotes

        return visible_quotes(actor)
    raise ValueError(target)


def writable_objects(actor: Actor, target: str) -> QuerySet:
    """The objects of ``target`` whose field values the actor may set."""
    qs = visible_objects(actor, target)
    if actor.is_staff:
        return qs
    if actor.is_customer:
        if target in (Target.FIELDWORKER, Target.QUOTE):
            return qs.none()
        return qs  # their own bookings, their own properties, themself
    if actor.is_fieldworker:
        if target == Target.BOOKING:
            return qs.filter(assignments__fieldworker_id=actor.fieldworker_id, assignments__status="accepted")
        if target == Target.FIELDWORKER:
            return qs.filter(pk=actor.fieldworker_id)
    return qs.none()


def booking_service_ids(booking_ids: Iterable[int]) -> dict[int, set[int]]:
    """The services of each booking's lines (which service-scoped fields apply to it)."""
    from core.bookings.models import BookingLine

    found: dict[int, set[int]] = defaultdict(set)
    rows = BookingLine.objects.filter(booking_id__in=list(booking_ids), service_id__isnull=False)
    for booking_id, service_id in rows.values_list("booking_id", "service_id"):
        found[booking_id].add(service_id)
    return found


def applies(field: CustomField, service_ids: set[int] | None) -> bool:
    """A service-scoped booking field applies to bookings of that service only."""
    return field.service_id is None or (service_ids is not None and field.service_id in service_ids)


def form_fields(actor: Actor, target: str, service_id: int | None = None) -> list[CustomField]:
    """What a form for ``target`` asks the actor, in order: fields of every service when none is
    named is not what a form wants, so service-scoped fields appear only for their service."""
    qs = readable_fields(actor, target).filter(Q(service__isnull=True) | Q(service_id=service_id))
    qs = qs.filter(Q(group__isnull=True) | Q(group__archived_at__isnull=True))
    return list(qs.select_related("group").order_by(*FORM_ORDER))


@dataclass(frozen=True)
class ShownValue:
    field: CustomField
    value: Any


def values_for(actor: Actor, target: str, object_ids: Iterable[int]) -> dict[int, list[ShownValue]]:
    """Each object's values the actor may read, in form order, in one query. The objects must
    already be ones the actor may see (a GraphQL type's scoped queryset)."""
    ids = list(object_ids)
    found: dict[int, list[ShownValue]] = defaultdict(list)
    if not ids:
        return found
    rows = (CustomFieldValue.objects.filter(target=target, object_id__in=ids,
                                            field__in=readable_fields(actor, target))
            .select_related("field", "field__group")
            .order_by("object_id", *FORM_ORDER_OF_VALUES))
    for row in rows:
        found[row.object_id].append(ShownValue(row.field, typed.read(row.field, row)))
    return found


@dataclass(frozen=True)
class Condition:
    """One filter on a custom field's value (what a connection's ``customFields`` filter says)."""

    key: str
    equals: Any = None
    min: Any = None
    max: Any = None
    contains: str | None = None


def filter_by_values(qs: QuerySet, actor: Actor, target: str, conditions: Iterable[Condition],
                     where: str = "filter.customFields") -> QuerySet:
    """Narrow ``qs`` (objects of ``target`` the actor sees) to those whose values match every
    condition. A key the actor may not read is refused exactly like a key that does not exist, so
    a filter never tells anyone about a value they could not read."""
    conditions = list(conditions)
    if not conditions:
        return qs
    fields = {field.key: field for field in readable_fields(actor, target).filter(
        key__in=[condition.key for condition in conditions])}
    for index, condition in enumerate(conditions):
        at = f"{where}.{index}"
        field = fields.get(condition.key)
        if field is None:
            raise ValidationFailed(f"{at}.key", "No such custom field.", code="unknown_field")
        qs = qs.filter(pk__in=_matching(field, condition, at))
    return qs


def _matching(field: CustomField, condition: Condition, at: str) -> QuerySet:
    kind = field.field_type
    given = [name for name in ("equals", "min", "max", "contains") if getattr(condition, name) is not None]
    if not given:
        raise ValidationFailed(at, "Say what to match: equals, min/max or contains.", code="empty_condition")
    if kind in MULTI_CHOICE_TYPES:
        if given != ["contains"]:
            raise ValidationFailed(at, "Multi-choice fields are filtered with contains.", code="invalid_condition")
        return CustomFieldChoice.objects.filter(field=field, target=field.target,
                                                choice=str(condition.contains)).values("object_id")
    if "contains" in given:
        raise ValidationFailed(at, "Only multi-choice fields take contains.", code="invalid_condition")
    rows = CustomFieldValue.objects.filter(field=field, target=field.target)  # not an appointment request's
    column = typed.column_of(kind)
    if kind in (FieldType.INCREMENT, FieldType.DATE):
        parse = typed.parse_number if kind == FieldType.INCREMENT else _date
        if condition.equals is not None:
            rows = rows.filter(**{column: parse(condition.equals, f"{at}.equals")})
        if condition.min is not None:
            rows = rows.filter(**{f"{column}__gte": parse(condition.min, f"{at}.min")})
        if condition.max is not None:
            rows = rows.filter(**{f"{column}__lte": parse(condition.max, f"{at}.max")})
        return rows.values("object_id")
    if condition.min is not None or condition.max is not None:
        raise ValidationFailed(at, "Ranges are for numbers and dates.", code="invalid_condition")
    if kind in (FieldType.LONG_TEXT, FieldType.SIGNATURE):
        raise ValidationFailed(at, "This field cannot be filtered.", code="invalid_condition")
    if kind == FieldType.SHORT_TEXT or kind in SINGLE_CHOICE_TYPES or kind in (FieldType.TIME, FieldType.TOGGLE):
        value = typed.clean(field, condition.equals if kind != FieldType.SHORT_TEXT else str(condition.equals),
                            f"{at}.equals").value
        # exact, so the (field, text) index answers it; a value equal to nothing matches nothing
        return rows.filter(**{column: value}).values("object_id")
    raise ValidationFailed(at, "This field cannot be filtered.", code="invalid_condition")  # pragma: no cover


def _date(raw: Any, where: str) -> date:
    value = typed.parse_date(raw, where)
    if value is None:
        raise ValidationFailed(where, "Expected a date (YYYY-MM-DD).", code="invalid_date")
    return value


def as_decimal(value: Any) -> Decimal | None:
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value))
