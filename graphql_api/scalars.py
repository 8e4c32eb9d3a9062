"""Date and DateTime as Strawberry defines them, refusing what no field can mean.

Strawberry parses any ISO date, year 0001 included; an aware ``0001-01-01T00:00+05:00`` then overflows
when converted to UTC for the database, deep inside a resolver. Every date and time this API takes is a
working date (bookings are kept between 2000 and 2999, decision 0122), so inputs outside 1900-2999 are a
coercion error of the request, like any other malformed value."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

FIRST_YEAR, LAST_YEAR = 1900, 2999


def _in_range(definition: ScalarDefinition) -> ScalarDefinition:
    parse = definition.parse_value
    assert parse is not None

    def parse_value(value: object) -> Any:
        parsed = parse(value)
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise StrawberryInputCoercionError(
                f"Value cannot represent a {definition.name}: the year must be between {FIRST_YEAR} and {LAST_YEAR}.")
        return parsed

    return replace(definition, parse_value=parse_value,
                   description=f"{definition.description}; years {FIRST_YEAR} to {LAST_YEAR}")


SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    dt.datetime: _in_range(DateTimeDefinition),
    dt.date: _in_range(DateDefinition),
}
