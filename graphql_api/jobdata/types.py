"""Custom fields in GraphQL: definitions, groups, the form schema, and typed values on the types
that carry them (Booking, Customer, Property, Fieldworker, Quote)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry.types import Info

from core.jobdata import selectors
from core.jobdata import values as typed
from core.jobdata.models import CustomField, CustomFieldGroup, CustomFieldValue, FieldType, Target
from core.jobdata.selectors import FORM_ORDER_OF_VALUES

from ..context import actor_from_info
from ..nodes import PK


@strawberry.enum(name="CustomFieldTarget", description="What a custom field is attached to.")
class CustomFieldTargetEnum(Enum):
    BOOKING = "booking"
    CUSTOMER = "customer"
    PROPERTY = "property"
    FIELDWORKER = "fieldworker"
    QUOTE = "quote"


CustomFieldTypeEnum = strawberry.enum(Enum("CustomFieldType", {kind.name: kind.value for kind in FieldType}),
                                      name="CustomFieldType",
                                      description="How a field is asked and what its value is.")

TARGET_OF_TYPE = {"Booking": Target.BOOKING, "Customer": Target.CUSTOMER, "Property": Target.PROPERTY,
                  "Fieldworker": Target.FIELDWORKER, "Quote": Target.QUOTE}


@strawberry.type(name="CustomFieldOption")
class CustomFieldOption:
    value: str
    label: str


@strawberry.type(name="CustomFieldData", description="A typed value: the member of its type is set, the others "
                                                      "are null (text: short and long text and single choices).")
class CustomFieldData:
    text: str | None = None
    number: Decimal | None = None
    date: date | None = None
    time: time | None = None
    boolean: bool | None = None
    choices: list[str] | None = None
    signature: str | None = strawberry.field(default=None, description="A PNG as a data URL.")

    @classmethod
    def of(cls, field: CustomField, value: Any) -> CustomFieldData | None:
        if value is None:
            return None
        kind = field.field_type
        if kind == FieldType.SIGNATURE:
            return cls(signature=value)
        slot = {"text": "text", "long_text": "text", "number": "number", "date": "date", "time": "time",
                "boolean": "boolean", "choices": "choices"}[typed.column_of(kind)]
        return cls(**{slot: value})


def _service_gid(service_id: int | None) -> strawberry.ID | None:
    return None if service_id is None else strawberry.ID(relay.to_base64("Service", service_id))


@strawberry_django.type(CustomFieldGroup, name="CustomFieldGroup", description="A named section of a form.")
class CustomFieldGroupNode(relay.Node):
    _id_attr = PK
    name: str
    position: int

    @strawberry_django.field(only=["target"])
    def target(self) -> CustomFieldTargetEnum:
        return CustomFieldTargetEnum(self.target)  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_authenticated else queryset.none()


@strawberry_django.type(CustomField, name="CustomField", description="One field a form asks.")
class CustomFieldNode(relay.Node):
    _id_attr = PK
    key: str
    label: str
    help_text: str
    required: bool
    position: int
    visible_to_customer: bool
    visible_to_fieldworker: bool
    group: CustomFieldGroupNode | None

    @strawberry_django.field(only=["min_value"], description="Increment/decrement only.")
    def min_value(self) -> Decimal | None:
        return typed.tidy(self.min_value)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["max_value"], description="Increment/decrement only.")
    def max_value(self) -> Decimal | None:
        return typed.tidy(self.max_value)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["step"], description="Increment/decrement only.")
    def step(self) -> Decimal | None:
        return typed.tidy(self.step)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["target"])
    def target(self) -> CustomFieldTargetEnum:
        return CustomFieldTargetEnum(self.target)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["field_type"])
    def field_type(self) -> CustomFieldTypeEnum:  # type: ignore[valid-type]
        return CustomFieldTypeEnum(self.field_type)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["options"], description="Choice types: what may be chosen, in order.")
    def options(self) -> list[CustomFieldOption]:
        return [CustomFieldOption(value=o["value"], label=o["label"]) for o in self.options]  # type: ignore[attr-defined]

    @strawberry_django.field(only=["default", "field_type", "options", "min_value", "max_value", "step", "key"],
                             description="What the form starts with.")
    def default(self) -> CustomFieldData | None:
        field: CustomField = self  # type: ignore[assignment]
        return CustomFieldData.of(field, typed.from_json(field, field.default))

    @strawberry_django.field(only=["service_id"], description="Bookings only: asked only for this service.")
    def service_id(self) -> strawberry.ID | None:
        return _service_gid(self.service_id)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["archived_at"])
    def archived(self) -> bool:
        return self.archived_at is not None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(pk__in=selectors.readable_fields(actor).values("pk"))


@strawberry.type(name="CustomFieldValue", description="One custom field's value on an object.")
class CustomFieldValueType:
    field: CustomFieldNode
    key: str
    value: CustomFieldData


def values_prefetch(target: str):
    """The optimiser's prefetch for ``customFields``: one query for a whole page, only readable fields."""

    def make(info: Info, through: str = "") -> Prefetch:
        """``through``: the values of a related object already joined (``customer``)."""
        actor = actor_from_info(info)
        rows = (CustomFieldValue.objects.filter(target=target, field__in=selectors.readable_fields(actor, target))
                .select_related("field", "field__group")
                .order_by(*FORM_ORDER_OF_VALUES))
        lookup = f"{through}__custom_values" if through else "custom_values"
        return Prefetch(lookup, queryset=rows, to_attr="jobdata_values")

    return make


def resolve_values(obj: Any, info: Info, target: str) -> list[CustomFieldValueType]:
    rows = getattr(obj, "jobdata_values", None)
    if rows is None:  # not reached through the optimiser (a mutation's payload): ask once for this object
        shown = selectors.values_for(actor_from_info(info), target, [obj.pk]).get(obj.pk, [])
        pairs = [(item.field, item.value) for item in shown]
    else:
        pairs = [(row.field, typed.read(row.field, row)) for row in rows]
    return [CustomFieldValueType(field=field, key=field.key, value=CustomFieldData.of(field, value))  # type: ignore[arg-type]
            for field, value in pairs if value is not None]


def custom_fields_field(target: str):
    """``customFields`` for a node type of ``target``."""

    @strawberry_django.field(prefetch_related=[values_prefetch(target)],
                             description="Custom field values you may read, in form order.")
    def custom_fields(self, info: Info) -> list[CustomFieldValueType]:
        return resolve_values(self, info, target)

    return custom_fields


@strawberry.type(name="FormSchemaSection", description="A group of a form (the unnamed one first).")
class FormSchemaSection:
    group: CustomFieldGroupNode | None
    name: str
    fields: list[CustomFieldNode]


@strawberry.type(name="FormSchema", description="What a form for a target asks you, ready to render.")
class FormSchema:
    target: CustomFieldTargetEnum
    service_id: strawberry.ID | None
    sections: list[FormSchemaSection]


@strawberry.input(name="CustomFieldFilter",
                  description="Match a custom field's value: `equals` (any type but long text and signatures), "
                              "`min`/`max` (numbers and dates), `contains` (multi-choice fields).")
class CustomFieldFilter:
    key: str
    equals: str | None = None
    min: str | None = None
    max: str | None = None
    contains: str | None = None


def conditions(filters: list[CustomFieldFilter] | None) -> list[selectors.Condition]:
    return [selectors.Condition(key=item.key, equals=item.equals, min=item.min, max=item.max,
                                contains=item.contains) for item in filters or ()]


@strawberry.enum(name="ProfileKind")
class ProfileKindEnum(Enum):
    CUSTOMER = "customer"
    FIELDWORKER = "fieldworker"


@strawberry.type(name="ProfileFieldSetting", description="How one field appears on a profile, for the company: "
                                                          "a built-in (`builtin`) or a custom field (`field`).")
class ProfileFieldSetting:
    builtin: str | None
    field: CustomFieldNode | None
    label: str
    shown: bool
    required: bool

    @classmethod
    def of(cls, entry: Any) -> ProfileFieldSetting:
        return cls(builtin=entry.builtin or None, field=entry.field, label=entry.label, shown=entry.shown,
                   required=entry.required)
