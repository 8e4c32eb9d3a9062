"""Per-subscription filters on broadcast messages: pure functions, no database.

They mirror the read rules of ``core.bookings.selectors`` for what travels live: a customer
sees only customer-visible comments; a fieldworker stops seeing a booking once unassigned or
after declining it. Whether the subscriber may watch at all is checked with the selectors
when the subscription starts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.actors import Actor

from .groups import KIND_ACCESS_REVOKED, KIND_EVENT

COMMENT_ACTION = "comment_added"
DELIVERY_ACTION = "comment_delivery"


def is_comment(message: dict[str, Any]) -> bool:
    return message.get("kind") == KIND_EVENT and message.get("action") == COMMENT_ACTION


def comment_visible_to(message: dict[str, Any], actor: Actor) -> bool:
    if not is_comment(message):
        return False
    if actor.is_customer:
        return bool(message["details"].get("visible_to_customer"))
    return actor.is_staff or actor.is_fieldworker


def is_delivery_change(message: dict[str, Any]) -> bool:
    """A discussion message's delivery to the customer changed status (staff only: it names the
    channel and the error, e.g. that the customer opted out)."""
    return message.get("kind") == KIND_EVENT and message.get("action") == DELIVERY_ACTION


def revokes(message: dict[str, Any], actor: Actor) -> bool:
    """True when this message ends the actor's access to the booking it names."""
    return (
        message.get("kind") == KIND_ACCESS_REVOKED
        and actor.is_fieldworker
        and message.get("fieldworker_id") == actor.fieldworker_id
    )


def fieldworker_ids(message: dict[str, Any]) -> set[int]:
    """Fieldworkers an event concerns: those on the booking now, and the one it is about."""
    ids = {fw["id"] for fw in (message.get("booking") or {}).get("fieldworkers", ())}
    details = message.get("details") or {}
    if isinstance(details.get("fieldworker_id"), int):
        ids.add(details["fieldworker_id"])
    ids.update(details.get("fieldworker_ids") or ())
    return ids


def concerns_fieldworker(message: dict[str, Any], fieldworker_id: int) -> bool:
    return (message.get("kind") == KIND_EVENT and not is_comment(message) and not is_delivery_change(message)
            and fieldworker_id in fieldworker_ids(message))


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BoardFilter:
    """A staff board's filter, with the ``bookings`` query's meaning: ``scheduled_from`` keeps
    bookings still running after it, ``scheduled_to`` those starting before it.

    A change passes when the booking matched before or after it, so a board also hears about
    bookings leaving it (cancelled, moved to another day, fieldworker removed)."""

    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None
    statuses: Collection[str] = field(default_factory=frozenset)
    customer_id: int | None = None
    fieldworker_id: int | None = None

    def matches(self, message: dict[str, Any]) -> bool:
        if message.get("kind") != KIND_EVENT or is_comment(message) or is_delivery_change(message):
            return False
        booking = message.get("booking") or {}
        details = message.get("details") or {}
        if self.statuses:
            seen = {booking.get("status"), details.get("old_status"), details.get("new_status")}
            if not seen & set(self.statuses):
                return False
        if self.customer_id is not None and booking.get("customer_id") != self.customer_id:
            return False
        if self.fieldworker_id is not None and self.fieldworker_id not in fieldworker_ids(message):
            return False
        if self.scheduled_from is not None or self.scheduled_to is not None:
            return any(self._overlaps(start, end) for start, end in _windows(message))
        return True

    def _overlaps(self, start: datetime | None, end: datetime | None) -> bool:
        if start is None or end is None:
            return False
        return (self.scheduled_from is None or end > self.scheduled_from) and (
            self.scheduled_to is None or start < self.scheduled_to
        )


def _windows(message: dict[str, Any]) -> list[tuple[datetime | None, datetime | None]]:
    """The booking's time now and, for a reschedule, before the change."""
    booking = message.get("booking") or {}
    start, end = _when(booking.get("scheduled_start")), _when(booking.get("scheduled_end"))
    windows = [(start, end)]
    changes = message.get("changes") or {}
    if "scheduled_start" in changes or "scheduled_end" in changes:
        before_start = changes.get("scheduled_start", [booking.get("scheduled_start")])[0]
        before_end = changes.get("scheduled_end", [booking.get("scheduled_end")])[0]
        windows.append((_when(before_start), _when(before_end)))
    return windows
