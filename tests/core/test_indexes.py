"""Every index earns its writes: no plain index whose columns another (non-partial) index starts with.

A B-tree on (a) is redundant beside one on (a, b): lookups and ordering by ``a`` use the wider one,
and every insert or change of ``a`` writes one more page (decision 0017 measured five such indexes
on the SMS webhook's tables at about 5% of its CPU). Django indexes every foreign key on its own, so
a composite index that leads with a foreign key needs ``db_index=False`` on that key."""

from __future__ import annotations

from django.apps import apps
from django.db import models

OUR_APPS = ("core.",)


def _indexes(model: type[models.Model]) -> list[tuple[str, list[str], bool, bool]]:
    """(name, columns, unique, covers others) for each index the model asks the database for."""
    meta = model._meta
    found = []
    for field in meta.local_concrete_fields:
        if not field.primary_key and (field.unique or field.db_index):
            found.append((field.name, [field.column], field.unique, True))
    for index in meta.indexes:
        columns = [meta.get_field(name.lstrip("-")).column for name in index.fields]
        found.append((index.name, columns, False, index.condition is None))
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            columns = [meta.get_field(name).column for name in constraint.fields]
            found.append((constraint.name, columns, True, constraint.condition is None))
    return found


def redundant_indexes() -> list[str]:
    out = []
    for model in apps.get_models():
        if not model.__module__.startswith(OUR_APPS):
            continue
        indexes = _indexes(model)
        for name, columns, unique, _covers in indexes:
            if unique:
                continue  # a unique key is a rule, not only a lookup path
            for other, wider, _unique, covers in indexes:
                if other != name and covers and len(wider) > len(columns) and wider[:len(columns)] == columns:
                    out.append(f"{model._meta.label}: {name} {columns} is the start of {other} {wider}")
    return out


def test_no_index_is_the_leading_part_of_another():
    assert redundant_indexes() == []


def test_the_check_sees_a_foreign_key_index_that_a_composite_leads_with():
    from core.bookings.models import BookingAssignment

    booking = BookingAssignment._meta.get_field("booking")
    booking.db_index = True  # as Django's default would have it
    try:
        assert any("BookingAssignment: booking ['booking_id'] is the start of" in row for row in redundant_indexes())
    finally:
        booking.db_index = False
