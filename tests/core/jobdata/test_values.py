"""Per-type validation: what each of the thirteen types takes, stores, and refuses."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from core.jobdata import values
from core.jobdata.models import CustomField, FieldType

from .conftest import png_data_url

OPTIONS = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]


def field(kind: str, **extra) -> CustomField:
    if kind in {"button_group", "radio", "dropdown", "single_list", "checkbox_multi", "checkbox_buttons"}:
        extra.setdefault("options", OPTIONS)
    return CustomField(key="f", label="F", field_type=kind, **extra)


ACCEPTED = [
    ("short_text", "  hello ", "text", "hello"),
    ("short_text", "", "text", None),
    ("long_text", "line 1\nline 2", "long_text", "line 1\nline 2"),
    ("date", "2026-12-24", "date", date(2026, 12, 24)),
    ("date", date(2027, 1, 2), "date", date(2027, 1, 2)),
    ("time", "09:30", "time", time(9, 30)),
    ("time", time(17, 5, 9, 123), "time", time(17, 5, 9)),
    ("increment", 3, "number", Decimal("3")),
    ("increment", "2.5", "number", Decimal("2.5")),
    ("increment", Decimal("0"), "number", Decimal("0")),
    ("toggle", True, "boolean", True),
    ("toggle", False, "boolean", False),
    ("toggle", "on", "boolean", True),
    ("button_group", "a", "text", "a"),
    ("radio", "b", "text", "b"),
    ("dropdown", "c", "text", "c"),
    ("single_list", "a", "text", "a"),
    ("single_list", "", "text", None),
    ("checkbox_multi", ["c", "a"], "choices", ["a", "c"]),  # kept in the options' order
    ("checkbox_buttons", ["b"], "choices", ["b"]),
    ("checkbox_multi", [], "choices", None),
    ("signature", "", "long_text", None),
]


@pytest.mark.parametrize(("kind", "raw", "column", "stored"), ACCEPTED)
def test_accepted_values_are_stored_typed(kind, raw, column, stored):
    clean = values.clean(field(kind, min_value=Decimal(0), max_value=Decimal(10), step=Decimal("0.5"))
                         if kind == "increment" else field(kind), raw)
    assert (clean.column, clean.value) == (column, stored)
    assert type(clean.value) is type(stored)


def test_a_signature_is_a_png_checked_by_decoding_it():
    url = png_data_url()
    clean = values.clean(field("signature"), url)
    assert (clean.column, clean.value) == ("long_text", url)


REFUSED = [
    ("short_text", 12, "wrong_type"),
    ("short_text", "x" * 256, "too_long"),
    ("short_text", "a\x00b", "invalid"),
    ("long_text", "x" * 10_001, "too_long"),
    ("long_text", ["x"], "wrong_type"),
    ("date", "24/12/2026", "invalid_date"),
    ("date", "2026-02-30", "invalid_date"),
    ("date", "1066-10-14", "out_of_range"),
    ("date", 20261224, "wrong_type"),
    ("time", "25:00", "invalid_time"),
    ("time", "09:30+02:00", "invalid_time"),
    ("time", 930, "wrong_type"),
    ("increment", True, "wrong_type"),
    ("increment", "three", "wrong_type"),
    ("increment", "NaN", "out_of_range"),
    ("increment", "Infinity", "out_of_range"),
    ("increment", 11, "out_of_range"),
    ("increment", -1, "out_of_range"),
    ("increment", "2.25", "off_step"),
    ("increment", "1.00001", "invalid"),
    ("toggle", "maybe", "wrong_type"),
    ("toggle", 1, "wrong_type"),
    ("button_group", "z", "invalid_choice"),
    ("radio", ["a"], "wrong_type"),
    ("dropdown", "A", "invalid_choice"),  # the label is not the value
    ("single_list", 1, "wrong_type"),
    ("checkbox_multi", "a", "wrong_type"),
    ("checkbox_multi", ["a", "z"], "invalid_choice"),
    ("checkbox_buttons", ["a", "a"], "duplicate_choice"),
    ("checkbox_buttons", [1], "wrong_type"),
    ("signature", "data:image/jpeg;base64,AAAA", "invalid_signature"),
    ("signature", "data:image/png;base64,not base64!", "invalid_signature"),
    ("signature", "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB", "invalid_signature"),
    ("signature", 42, "wrong_type"),
]


@pytest.mark.parametrize(("kind", "raw", "code"), REFUSED)
def test_refused_values_name_the_field_and_say_why(kind, raw, code):
    f = field(kind, min_value=Decimal(0), max_value=Decimal(10), step=Decimal("0.5")) if kind == "increment" \
        else field(kind)
    with pytest.raises(ValidationFailed) as caught:
        values.clean(f, raw, "values.f")
    assert (caught.value.code, caught.value.field) == (code, "values.f")


def test_an_oversized_signature_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        values.clean(field("signature"), png_data_url(2001, 10))
    assert caught.value.code == "too_large"


def test_every_type_is_in_the_tables():
    kinds = {row[0] for row in ACCEPTED} | {row[0] for row in REFUSED}
    assert kinds == set(FieldType.values)
    assert len(FieldType.values) == 13


def test_none_is_no_value_for_every_type():
    for kind in FieldType.values:
        assert values.clean(field(kind), None).empty
