"""Domain event -> the plain message a subscriber needs.

Messages carry everything a subscription filters on and renders, so a thousand subscribers
cost no database read at all. Building one message costs at most one read per event (the
booking snapshot for the boards); comments cost none, the event already carries them.
Values are plain JSON/msgpack types only (str, int, bool, None, lists, dicts).
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from typing import Any

from core import events
from core.bookings.models import ACTIVE_ASSIGNMENT, Booking, BookingEvent

from .groups import KIND_ACCESS_REVOKED, KIND_EVENT, MESSAGE_TYPE

BASE_FIELDS = frozenset(f.name for f in fields(events.DomainEvent))

# Most specific class first: BookingCancelled is also a BookingStatusChanged.
_ACTIONS: tuple[tuple[type[events.DomainEvent], str], ...] = (
    (events.CommentAdded, "comment_added"),
    (events.BookingCancelled, "cancelled"),
    (events.BookingStatusChanged, "status_changed"),
    (events.BookingCreated, "created"),
    (events.BookingUpdated, "updated"),
    (events.BookingAssigned, "assigned"),
    (events.BookingUnassigned, "unassigned"),
    (events.BookingOwnerChanged, "owner_changed"),
)


def action_of(event: events.DomainEvent) -> str:
    """A short, stable verb for the event (``accepted``, ``cancelled``, ``comment_added``...)."""
    if isinstance(event, events.AssignmentResponded):
        return "accepted" if event.accepted else "declined"
    for klass, action in _ACTIONS:
        if isinstance(event, klass):
            return action
    # Events added later by other areas get a name derived from their class.
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event.name).lower()


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def details_of(event: events.DomainEvent) -> dict[str, Any]:
    """The event's own fields (everything but the common base)."""
    return {key: _plain(value) for key, value in asdict(event).items() if key not in BASE_FIELDS}


def booking_snapshot(booking_id: int) -> dict[str, Any] | None:
    """What a board shows of one booking, read once per event (two queries)."""
    booking = (
        Booking.objects.select_related("customer", "property")
        .prefetch_related("assignments__fieldworker")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return None
    prop = booking.property
    return {
        "id": booking.pk,
        "number": booking.number,
        "status": booking.status,
        "scheduled_start": booking.scheduled_start.isoformat(),
        "scheduled_end": booking.scheduled_end.isoformat(),
        "time_zone": booking.time_zone,
        "customer_id": booking.customer_id,
        "customer_name": booking.customer.name,
        "address": ", ".join(part for part in (prop.address, prop.city) if part) if prop else "",
        "owner_id": booking.owner_id,
        "fieldworkers": [
            {"id": a.fieldworker_id, "name": a.fieldworker.name, "status": a.status}
            for a in booking.assignments.all()
            if a.status in ACTIVE_ASSIGNMENT
        ],
    }


def changes_of(event: events.DomainEvent) -> dict[str, Any]:
    """Before/after of an update, from the history row the event mirrors (one query)."""
    if not isinstance(event, events.BookingUpdated) or not event.changed:
        return {}
    row = BookingEvent.objects.filter(pk=event.event_id).values_list("changes", flat=True).first()
    return _plain(row or {})


def event_message(event: events.DomainEvent, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "type": MESSAGE_TYPE,
        "kind": KIND_EVENT,
        "event_id": event.event_id,
        "event_type": event.name,
        "action": action_of(event),
        "booking_id": event.booking_id,
        "channel": event.channel,
        "actor_kind": event.actor_kind,
        "actor_user_id": event.actor_user_id,
        "occurred_at": event.occurred_at,
        "details": details_of(event),
        "changes": changes_of(event),
        "booking": snapshot,
    }


def access_revoked_message(event: events.DomainEvent, fieldworker_id: int) -> dict[str, Any]:
    return {
        "type": MESSAGE_TYPE,
        "kind": KIND_ACCESS_REVOKED,
        "event_id": event.event_id,
        "booking_id": event.booking_id,
        "fieldworker_id": fieldworker_id,
    }
