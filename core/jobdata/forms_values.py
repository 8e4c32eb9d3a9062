"""Form elements and answers: a template's elements checked when staff write them, and each answer
checked against its element's kind. Field-type answers go through ``core.jobdata.values`` exactly
as custom field values do (decision 0911); checklist items are ticked or not, photos name one of
the booking's photos, layout elements take no answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils.text import slugify

from core.errors import ValidationFailed

from . import values as typed
from .forms_models import LAYOUT_KINDS, ElementKind
from .models import CustomField, FieldType
from .services import KEY_RE, _label, _limits, _options

MAX_ELEMENTS = 100
INSTRUCTION_MAX = 2000
HELP_MAX = 300
FIELD_KINDS = frozenset(FieldType.values)


@dataclass(frozen=True)
class Element:
    """One element of a version, as stored (a JSON object)."""

    key: str
    kind: str
    label: str
    help_text: str = ""
    required: bool = False
    options: tuple[dict[str, str], ...] = ()
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    step: Decimal | None = None

    @property
    def answerable(self) -> bool:
        return self.kind not in LAYOUT_KINDS

    @property
    def is_field(self) -> bool:
        return self.kind in FIELD_KINDS

    @cached_property
    def as_field(self) -> CustomField:
        """An unsaved custom field of the element's type, for ``values.clean`` (made once)."""
        return CustomField(key=self.key, label=self.label, field_type=self.kind, options=list(self.options),
                           min_value=self.min_value, max_value=self.max_value, step=self.step)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "kind": self.kind, "label": self.label}
        if self.help_text:
            out["help_text"] = self.help_text
        if self.required:
            out["required"] = True
        if self.options:
            out["options"] = list(self.options)
        for name in ("min_value", "max_value", "step"):
            value = getattr(self, name)
            if value is not None:
                out[name] = format(value.normalize(), "f")
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Element:
        """From a stored version (it was checked when written)."""
        number = lambda name: None if data.get(name) is None else Decimal(data[name])  # noqa: E731
        return cls(key=data["key"], kind=data["kind"], label=data["label"], help_text=data.get("help_text", ""),
                   required=bool(data.get("required")), options=tuple(data.get("options") or ()),
                   min_value=number("min_value"), max_value=number("max_value"), step=number("step"))


def elements_of(stored: list[dict[str, Any]]) -> list[Element]:
    return [Element.of(item) for item in stored]


def clean_elements(raw: Any) -> list[Element]:
    """Check what staff sent as a template's elements, in order; keys made from labels when blank."""
    if not isinstance(raw, (list, tuple)):
        raise ValidationFailed("elements", "Expected a list of elements.", code="wrong_type")
    if not raw:
        raise ValidationFailed("elements", "A form needs at least one element.", code="required")
    if len(raw) > MAX_ELEMENTS:
        raise ValidationFailed("elements", f"At most {MAX_ELEMENTS} elements.", code="too_many")
    out: list[Element] = []
    keys: set[str] = set()
    for index, item in enumerate(raw):
        where = f"elements.{index}"
        if not isinstance(item, Mapping):
            raise ValidationFailed(where, "An element is an object.", code="wrong_type")
        kind = item.get("kind")
        if kind not in ElementKind.values:
            raise ValidationFailed(f"{where}.kind", "Unknown element kind.", code="invalid_type")
        limit = INSTRUCTION_MAX if kind == ElementKind.INSTRUCTION else 120
        label = _label(item.get("label"), f"{where}.label", limit)
        key = (item.get("key") or "").strip() or f"{slugify(label).replace('-', '_')[:50] or 'element'}"
        if not key[:1].isalpha():
            key = f"e_{key}"[:60]
        if not item.get("key"):
            base, suffix = key, 2
            while key in keys:
                key, suffix = f"{base}_{suffix}", suffix + 1
        if not KEY_RE.match(key):
            raise ValidationFailed(f"{where}.key", "Lower-case letters, digits and _, starting with a letter.",
                                   code="invalid_key")
        if key in keys:
            raise ValidationFailed(f"{where}.key", "Two elements have the same key.", code="duplicate")
        keys.add(key)
        help_text = (item.get("help_text") or "").strip()
        if len(help_text) > HELP_MAX:
            raise ValidationFailed(f"{where}.helpText", f"At most {HELP_MAX} characters.", code="too_long")
        required = bool(item.get("required"))
        if required and kind in LAYOUT_KINDS:
            raise ValidationFailed(f"{where}.required", "A heading or an instruction asks nothing.",
                                   code="not_answerable")
        field_kind = kind if kind in FIELD_KINDS else ""
        try:
            options = _options(field_kind, item.get("options"))
            limits = {name: item.get(name) for name in ("min_value", "max_value", "step")}
            _limits(field_kind, limits)
        except ValidationFailed as exc:
            raise ValidationFailed(f"{where}.{exc.field}", exc.message, code=exc.code) from None
        out.append(Element(key=key, kind=kind, label=label, help_text=help_text, required=required,
                           options=tuple(options), **limits))
    return out


def clean_answer(element: Element, raw: Any, *, photo_ids: set[int] | None = None) -> Any:
    """The JSON to store for ``raw`` as an answer to ``element`` (``None``: no answer).

    ``photo_ids``: the ids of the booking's photos (a photo answer names one of them)."""
    where = f"answers.{element.key}"
    if not element.answerable:
        raise ValidationFailed(where, "A heading or an instruction takes no answer.", code="not_answerable")
    if raw is None:
        return None
    if element.kind == ElementKind.CHECKLIST:
        field = CustomField(key=element.key, field_type=FieldType.TOGGLE)
        return typed.clean(field, raw, where).value
    if element.kind == ElementKind.PHOTO:
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw.strip())
        if isinstance(raw, str) and not raw.strip():
            return None
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValidationFailed(where, "Expected one of the job's photos.", code="wrong_type")
        if raw not in (photo_ids or set()):
            raise ValidationFailed(where, "That is not a photo of this job.", code="invalid_photo")
        return raw
    value = typed.clean(element.as_field, raw, where).value
    return typed.as_json(element.as_field, value)


def read_answer(element: Element, stored: Any) -> Any:
    """A stored answer as its python value (a number a Decimal, a date a date)."""
    if stored is None or typed.column_of(element.kind) not in ("number", "date", "time") or not element.is_field:
        return stored  # text, choices, ticks, photo ids and signatures are stored as they are read
    return typed.clean(element.as_field, stored, element.key).value


def is_answered(element: Element, stored: Any) -> bool:
    """Whether a required element is satisfied: a ticked checklist item, any other value."""
    if element.kind == ElementKind.CHECKLIST:
        return stored is True
    return stored is not None
