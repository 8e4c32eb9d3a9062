"""Relay global ids in and out.

Inputs take plain ``ID`` strings and decode them here, so a malformed id or an id of the wrong
type is an ordinary ``invalid_id`` error on the input field, not a crash.
"""

from __future__ import annotations

from strawberry import relay

from core.errors import ValidationFailed

MAX_ID_LENGTH = 200


def decode_id(value: object, type_name: str, field: str = "id") -> int:
    """The primary key inside a global id of ``type_name``; ValidationFailed otherwise."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise ValidationFailed(field, f"Not a valid {type_name} id.", code="invalid_id")
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:
        raise ValidationFailed(field, f"Not a valid {type_name} id.", code="invalid_id")
    if gid.type_name != type_name:
        raise ValidationFailed(field, f"Expected a {type_name} id, got a {gid.type_name[:40]} id.",
                               code="invalid_id")
    node_id = gid.node_id
    if not node_id.isascii() or not node_id.isdigit() or len(node_id) > 18:
        raise ValidationFailed(field, f"Not a valid {type_name} id.", code="invalid_id")
    return int(node_id)


def decode_optional(value: object, type_name: str, field: str) -> int | None:
    return None if value is None else decode_id(value, type_name, field)


def decode_many(values: list[str] | None, type_name: str, field: str) -> list[int] | None:
    if values is None:
        return None
    return [decode_id(value, type_name, f"{field}.{index}") for index, value in enumerate(values)]


def encode_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
