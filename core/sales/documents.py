"""What quotes and invoices share as numbered, owned documents: a new number of their trading name's
sequence (the old one retired, ``core.company.numbers``) and an owner claim. The caller locks the row
and says how its history records the change (``record(action=..., changes=...)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.actors import Actor
from core.company import numbers


def renumber(document: Any, number: int, *, record: Callable[..., Any]) -> None:
    """Give the locked document ``number`` (unused, never reused); nothing when it has it already."""
    old = document.number
    issued = numbers.change_number(document.issued_number_id, number, field="number")
    if issued.pk == document.issued_number_id:
        return
    document.issued_number, document.number = issued, issued.text
    document.save(update_fields=["issued_number", "number", "updated_at"])
    record(action="renumbered", changes={"number": (old, issued.text)})


def claim(document: Any, actor: Actor, *, record: Callable[..., Any]) -> None:
    """The staff member ``actor`` becomes the locked document's owner; nothing when they are already."""
    if document.owner_id == actor.user_id:
        return
    old = document.owner_id
    document.owner = actor.user
    document.save(update_fields=["owner", "updated_at"])
    record(action="claimed", changes={"owner": (old, actor.user_id)})
