"""The customer-facing booking fields on the portal's forms (core.jobdata): built as Django form
fields for rendering only; every value is checked by ``core.jobdata.services``, whose errors come
back on the field they name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from core.actors import Actor
from core.jobdata.models import CHOICE_TYPES, CustomField, FieldType
from core.jobdata.selectors import FORM_ORDER, readable_fields
from core.jobdata.services import REQUEST_TYPES
from core.jobdata.values import as_json, from_json

PREFIX = "cf_"


@dataclass
class Asked:
    field: CustomField
    name: str  # the form field's name

    @property
    def group(self) -> str:
        return self.field.group.name if self.field.group_id else ""


def _form_field(field: CustomField) -> forms.Field:
    kind = field.field_type
    options = [(option["value"], option["label"]) for option in field.options or ()]
    common: dict[str, Any] = {"required": False, "label": field.label + (" *" if field.required else ""),
                              "help_text": field.help_text}
    if field.service_id:
        common["help_text"] = " ".join(filter(None, [field.help_text, f"(for {field.service.name})"]))
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=False, **common)
    if kind == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.TIME:
        return forms.CharField(widget=forms.TimeInput(attrs={"type": "time"}), **common)
    if kind == FieldType.INCREMENT:
        attrs = {name: as_json(field, getattr(field, attr)) for name, attr in
                 (("min", "min_value"), ("max", "max_value"), ("step", "step")) if getattr(field, attr) is not None}
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any", **attrs}), **common)
    if kind == FieldType.TOGGLE:
        return forms.BooleanField(**common)
    if kind in (FieldType.BUTTON_GROUP, FieldType.RADIO):
        return forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
    if kind == FieldType.DROPDOWN:
        return forms.ChoiceField(choices=[("", "---------"), *options], **common)
    if kind == FieldType.SINGLE_LIST:
        return forms.ChoiceField(choices=options, widget=forms.Select(attrs={"size": min(len(options), 6)}),
                                 **common)
    if kind in CHOICE_TYPES:  # the multi-choice types
        return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(**common)  # short text


def attach(form: forms.Form, actor: Actor) -> list[Asked]:
    """Add the booking fields meant for ``actor`` (every service's: each says which it is for)."""
    fields = (readable_fields(actor, "booking").filter(field_type__in=REQUEST_TYPES)
              .select_related("group", "service").order_by(*FORM_ORDER))
    asked = []
    for field in fields:
        name = PREFIX + field.key
        form.fields[name] = _form_field(field)
        if field.default is not None and not form.is_bound:
            form.initial[name] = from_json(field, field.default)
        asked.append(Asked(field, name))
    return asked


def answers(form: forms.Form, asked: list[Asked], service_id: int | None) -> dict[str, Any]:
    """What the customer answered, as the service takes it, for the fields of the chosen service."""
    out: dict[str, Any] = {}
    for item in asked:
        if item.field.service_id is not None and item.field.service_id != service_id:
            continue
        value = form.cleaned_data.get(item.name)
        out[item.field.key] = value if value not in ("", []) else None
    return out


def field_for(error_field: str | None, form: forms.Form) -> str | None:
    """The form field a service error names (``values.parking`` -> ``cf_parking``)."""
    if error_field and error_field.startswith("values."):
        name = PREFIX + error_field.split(".", 1)[1]
        return name if name in form.fields else None
    return error_field if error_field in form.fields else None
