"""Per-type validation: turn what a client sent into the typed column it is stored in, or refuse
with a ``ValidationFailed`` naming the field's key. The same functions check a field's default."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import ValidationFailed

from .models import MULTI_CHOICE_TYPES, SINGLE_CHOICE_TYPES, CustomField, CustomFieldValue, FieldType

SHORT_TEXT_MAX = 255
LONG_TEXT_MAX = 10_000
NUMBER_LIMIT = Decimal("9999999999")  # 14 digits with 4 decimal places
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE = 2000
PNG_PREFIX = "data:image/png;base64,"
TRUE_WORDS = {"true", "on", "1", "yes"}
FALSE_WORDS = {"false", "off", "0", "no"}

COLUMNS = ("text", "long_text", "number", "date", "time", "boolean", "choices")


@dataclass(frozen=True)
class Typed:
    """A clean value: the column it lives in and what goes there (``None``: no value)."""

    column: str
    value: Any

    @property
    def empty(self) -> bool:
        return self.value is None


def column_of(field_type: str) -> str:
    if field_type == FieldType.SHORT_TEXT or field_type in SINGLE_CHOICE_TYPES:
        return "text"
    if field_type in (FieldType.LONG_TEXT, FieldType.SIGNATURE):
        return "long_text"
    if field_type == FieldType.INCREMENT:
        return "number"
    if field_type == FieldType.DATE:
        return "date"
    if field_type == FieldType.TIME:
        return "time"
    if field_type == FieldType.TOGGLE:
        return "boolean"
    return "choices"


def _text(raw: Any, where: str, limit: int) -> str | None:
    if not isinstance(raw, str):
        raise ValidationFailed(where, "Expected text.", code="wrong_type")
    value = raw.strip()
    if "\x00" in value:
        raise ValidationFailed(where, "Text may not contain NUL characters.", code="invalid")
    if len(value) > limit:
        raise ValidationFailed(where, f"At most {limit:,} characters.", code="too_long")
    return value or None


def parse_number(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
        raise ValidationFailed(where, "Expected a number.", code="wrong_type")
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise ValidationFailed(where, "Expected a number.", code="wrong_type")
    if not value.is_finite() or abs(value) > NUMBER_LIMIT:
        raise ValidationFailed(where, "The number is out of range.", code="out_of_range")
    if value != value.quantize(Decimal("0.0001")):
        raise ValidationFailed(where, "At most 4 decimal places.", code="invalid")
    return value


def _number(field: CustomField, raw: Any, where: str) -> Decimal | None:
    if isinstance(raw, str) and not raw.strip():
        return None
    value = parse_number(raw, where)
    low, high, step = field.min_value, field.max_value, field.step
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValidationFailed(where, f"Between {_fmt(low)} and {_fmt(high)}.", code="out_of_range")
    if step and (value - (low if low is not None else Decimal(0))) % step != 0:
        raise ValidationFailed(where, f"In steps of {_fmt(step)}.", code="off_step")
    return value


def _fmt(value: Decimal | None) -> str:
    return "any" if value is None else format(value.normalize(), "f")


def parse_date(raw: Any, where: str) -> date | None:
    if isinstance(raw, datetime):
        raise ValidationFailed(where, "Expected a date (YYYY-MM-DD).", code="wrong_type")
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise ValidationFailed(where, "Expected a date (YYYY-MM-DD).", code="invalid_date")
    else:
        raise ValidationFailed(where, "Expected a date (YYYY-MM-DD).", code="wrong_type")
    if not 1900 <= value.year <= 2999:
        raise ValidationFailed(where, "A date between 1900 and 2999.", code="out_of_range")
    return value


def _time(raw: Any, where: str) -> time | None:
    if isinstance(raw, time):
        value = raw
    elif isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            value = time.fromisoformat(raw.strip())
        except ValueError:
            raise ValidationFailed(where, "Expected a time (HH:MM).", code="invalid_time")
    else:
        raise ValidationFailed(where, "Expected a time (HH:MM).", code="wrong_type")
    if value.tzinfo is not None:
        raise ValidationFailed(where, "A wall-clock time, without a zone.", code="invalid_time")
    return value.replace(microsecond=0)


def _boolean(raw: Any, where: str) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        if not word:
            return None
    raise ValidationFailed(where, "Expected true or false.", code="wrong_type")


def option_values(field: CustomField) -> list[str]:
    return [str(option["value"]) for option in field.options or ()]


def _one_choice(field: CustomField, raw: Any, where: str) -> str | None:
    if not isinstance(raw, str):
        raise ValidationFailed(where, "Expected one of the options.", code="wrong_type")
    if not raw:
        return None
    if raw not in option_values(field):
        raise ValidationFailed(where, f"'{raw[:40]}' is not one of the options.", code="invalid_choice")
    return raw


def _many_choices(field: CustomField, raw: Any, where: str) -> list[str] | None:
    if isinstance(raw, str) or not isinstance(raw, (list, tuple)):
        raise ValidationFailed(where, "Expected a list of options.", code="wrong_type")
    allowed = option_values(field)
    chosen: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise ValidationFailed(where, "Expected a list of options.", code="wrong_type")
        if item not in allowed:
            raise ValidationFailed(where, f"'{item[:40]}' is not one of the options.", code="invalid_choice")
        if item in chosen:
            raise ValidationFailed(where, f"'{item[:40]}' is chosen twice.", code="duplicate_choice")
        chosen.append(item)
    # stored in the options' order, so equal choices compare equal whatever order they came in
    return sorted(chosen, key=allowed.index) or None


def _signature(raw: Any, where: str) -> str | None:
    """A PNG as a data URL (what a signature pad's canvas gives), checked by decoding it."""
    if not isinstance(raw, str):
        raise ValidationFailed(where, "Expected a PNG image as a data URL.", code="wrong_type")
    if not raw.strip():
        return None
    text = raw.strip()
    if not text.startswith(PNG_PREFIX):
        raise ValidationFailed(where, "Expected a PNG image as a data URL.", code="invalid_signature")
    encoded = text[len(PNG_PREFIX):]
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationFailed(where, f"At most {SIGNATURE_MAX_BYTES // 1000} kB.", code="too_large")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(where, "The image is not valid base64.", code="invalid_signature")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(where, "The image is not a readable PNG.", code="invalid_signature")
    if not (0 < width <= SIGNATURE_MAX_SIDE and 0 < height <= SIGNATURE_MAX_SIDE):
        raise ValidationFailed(where, f"At most {SIGNATURE_MAX_SIDE} pixels a side.", code="too_large")
    return PNG_PREFIX + base64.b64encode(data).decode("ascii")


def clean(field: CustomField, raw: Any, where: str | None = None) -> Typed:
    """The typed value of ``raw`` for ``field``; ``None`` (or empty text/list) means no value."""
    where = where or field.key
    kind = field.field_type
    column = column_of(kind)
    if raw is None:
        return Typed(column, None)
    if kind == FieldType.SHORT_TEXT:
        value: Any = _text(raw, where, SHORT_TEXT_MAX)
    elif kind == FieldType.LONG_TEXT:
        value = _text(raw, where, LONG_TEXT_MAX)
    elif kind == FieldType.INCREMENT:
        value = _number(field, raw, where)
    elif kind == FieldType.DATE:
        value = parse_date(raw, where)
    elif kind == FieldType.TIME:
        value = _time(raw, where)
    elif kind == FieldType.TOGGLE:
        value = _boolean(raw, where)
    elif kind in SINGLE_CHOICE_TYPES:
        value = _one_choice(field, raw, where)
    elif kind in MULTI_CHOICE_TYPES:
        value = _many_choices(field, raw, where)
    elif kind == FieldType.SIGNATURE:
        value = _signature(raw, where)
    else:  # pragma: no cover - the type enum is closed
        raise ValidationFailed(where, "Unknown field type.")
    return Typed(column, value)


def tidy(value: Decimal | None) -> Decimal | None:
    """A stored number without the column's trailing zeros (3.0000 -> 3, 2.5000 -> 2.5)."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def read(field: CustomField, row: CustomFieldValue | None) -> Any:
    """The python value a stored row holds (``None`` when there is none)."""
    if row is None:
        return None
    value = getattr(row, column_of(field.field_type))
    return tidy(value) if isinstance(value, Decimal) else value


def as_json(field: CustomField, value: Any) -> Any:
    """A typed value as JSON (how defaults are stored)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def from_json(field: CustomField, raw: Any) -> Any:
    """A stored default back to its python value (it was validated when saved)."""
    if raw is None:
        return None
    return clean(field, raw, "default").value
