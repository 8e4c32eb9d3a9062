"""Text that can be stored: no NUL (U+0000).

PostgreSQL refuses a NUL in a text value, deep in the driver and as an unexpected error; SQLite
stores it. No person types one, so the services refuse it as bad input (``invalid_characters``)
wherever a person's text comes in, and keep text that arrives from elsewhere (an SMS body) without
it (decision 0151)."""

from __future__ import annotations

from core.errors import ValidationFailed

NUL = "\x00"
MESSAGE = "Text cannot contain NUL characters."


def refuse_nul(value: str, field: str) -> str:
    if NUL in value:
        raise ValidationFailed(field, MESSAGE, code="invalid_characters")
    return value


def without_nul(value: str) -> str:
    return value.replace(NUL, "")
