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

from django.db import connection

from core import events
from core.bookings.models import ACTIVE_ASSIGNMENT, Booking, BookingAssignment, BookingEvent

from .groups import KIND_ACCESS_REVOKED, KIND_EVENT, MESSAGE_TYPE

BASE_FIELDS = frozenset(f.name for f in fields(events.DomainEvent))

# Most specific class first: BookingCancelled is also a BookingStatusChanged.
_ACTIONS: tuple[tuple[type[events.DomainEvent], str], ...] = (
    (events.CommentAdded, "comment_added"),
    (events.CommentDeliveryChanged, "comment_delivery"),
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
    if isinstance(event, events.TimelineNoted):
        return event.action  # the timeline row's own action
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


_SNAPSHOT = """
SELECT b.number, b.status, b.scheduled_start, b.scheduled_end, b.time_zone, b.customer_id, c.name,
       p.address, p.city, b.owner_id, a.fieldworker_id, f.name, a.status
FROM {booking} b
JOIN {customer} c ON c.id = b.customer_id
LEFT JOIN {property} p ON p.id = b.property_id
LEFT JOIN {assignment} a ON a.booking_id = b.id AND a.status IN ({statuses})
LEFT JOIN {fieldworker} f ON f.id = a.fieldworker_id
WHERE b.id = %s
ORDER BY a.offered_at, a.id"""


def _snapshot_sql() -> str:
    """One statement for a board's view of a booking: the booking, its customer and property, and
    one row per active assignment (a LEFT JOIN, so a booking nobody is on still gives one row).
    The ORM would spend more building the statement than the database spends answering it, on
    every event (docs/decisions/0409)."""
    from core.crm.models import Customer, Property
    from core.workforce.models import Fieldworker

    return _SNAPSHOT.format(
        booking=Booking._meta.db_table, customer=Customer._meta.db_table, property=Property._meta.db_table,
        assignment=BookingAssignment._meta.db_table, fieldworker=Fieldworker._meta.db_table,
        statuses=", ".join(["%s"] * len(ACTIVE_ASSIGNMENT)))


_SNAPSHOT_SQL: dict[str, str] = {}  # by database vendor: quoting is the same, kept apart all the same
_START = Booking._meta.get_field("scheduled_start")


def _aware(value: Any, connection: Any) -> Any:
    """A datetime column read by a raw cursor, as the ORM would give it (aware, in UTC)."""
    for convert in connection.ops.get_db_converters(_START.get_col("b")):
        value = convert(value, _START.get_col("b"), connection)
    return value


def booking_snapshot(booking_id: int) -> dict[str, Any] | None:
    """What a board shows of one booking, read once per event (one query)."""
    sql = _SNAPSHOT_SQL.get(connection.vendor)
    if sql is None:
        sql = _SNAPSHOT_SQL[connection.vendor] = _snapshot_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ACTIVE_ASSIGNMENT, booking_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    number, status, start, end, zone, customer_id, customer_name, address, city, owner_id = rows[0][:10]
    return {
        "id": booking_id,
        "number": number,
        "status": status,
        "scheduled_start": _aware(start, connection).isoformat(),
        "scheduled_end": _aware(end, connection).isoformat(),
        "time_zone": zone,
        "customer_id": customer_id,
        "customer_name": customer_name,
        "address": ", ".join(part for part in (address, city) if part),
        "owner_id": owner_id,
        "fieldworkers": [{"id": fw_id, "name": name, "status": fw_status}
                         for *_, fw_id, name, fw_status in rows if fw_id is not None],
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


# --- the staff inbox ----------------------------------------------------------------------------


def inquiry_snapshot(inquiry_id: int) -> dict[str, Any] | None:
    """What an inbox shows of one inquiry, read once per event (two queries: the inquiry with its
    customer and assignee, and its bookings)."""
    from core.crm.models import Inquiry
    from core.crm.selectors import inquiry_time_zone

    inquiry = (Inquiry.objects.select_related("customer", "assignee", "lead_source")
               .only("kind", "status", "channel", "contact", "body", "created_at", "resolved_at", "customer__name",
                     "assignee__full_name", "assignee__email", "lead_status", "prospect_name", "deleted_at",
                     "lead_source__name")
               .filter(pk=inquiry_id).first())
    if inquiry is None:
        return None
    bookings = list(inquiry.bookings.order_by("scheduled_start", "id").values_list("id", "number", "time_zone"))
    return {
        "id": inquiry.pk,
        "kind": inquiry.kind,
        "status": inquiry.status,
        "channel": inquiry.channel,
        "contact": inquiry.contact,
        "body": inquiry.body[:1000],
        "created_at": inquiry.created_at.isoformat(),
        "resolved_at": inquiry.resolved_at.isoformat() if inquiry.resolved_at else None,
        "customer_id": inquiry.customer_id,
        "customer_name": inquiry.customer.name if inquiry.customer is not None else "",
        "assignee_id": inquiry.assignee_id,
        "assignee_name": inquiry.assignee.display_name if inquiry.assignee is not None else "",
        "bookings": [{"id": pk, "number": number} for pk, number, _ in bookings],
        "time_zone": inquiry_time_zone(zone for *_, zone in bookings),
        "lead_status": inquiry.lead_status,
        "lead_source": inquiry.lead_source.name if inquiry.lead_source is not None else "",
        "prospect_name": inquiry.prospect_name,
        "deleted": inquiry.deleted_at is not None,
    }


def inquiry_action_of(event: Any) -> str:
    """``InquiryOpened`` -> ``opened``: the same word as the history entry's action."""
    return re.sub(r"^inquiry_", "", re.sub(r"(?<!^)(?=[A-Z])", "_", event.name).lower())


def inquiry_message(event: Any, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    from core.crm.events import InquiryEvent

    base = {f.name for f in fields(InquiryEvent)}
    return {
        "type": MESSAGE_TYPE,
        "kind": KIND_EVENT,
        "event_id": event.event_id,
        "event_type": event.name,
        "action": inquiry_action_of(event),
        "inquiry_id": event.inquiry_id,
        "channel": event.channel,
        "actor_kind": event.actor_kind,
        "actor_user_id": event.actor_user_id,
        "occurred_at": event.occurred_at,
        "details": {key: _plain(value) for key, value in asdict(event).items() if key not in base},
        "inquiry": snapshot,
    }


# --- open complaints (the dashboard's panel) -----------------------------------------------------


def complaint_snapshot(complaint_id: int) -> dict[str, Any] | None:
    """What the complaints panel shows of one complaint, read once per event (one query)."""
    from core.complaints.models import Complaint

    complaint = (Complaint.objects.select_related("booking", "quote", "customer", "type", "status", "owner")
                 .only("description", "visible_to_customer", "is_resolved", "created_at", "resolved_at", "channel",
                       "booking__number", "booking__time_zone", "quote__number", "customer__name", "type__name",
                       "status__name",
                       "owner__full_name", "owner__email")
                 .filter(pk=complaint_id).first())
    if complaint is None:
        return None
    booking = complaint.booking
    return {
        "id": complaint.pk,
        "description": complaint.description[:1000],
        "visible_to_customer": complaint.visible_to_customer,
        "is_resolved": complaint.is_resolved,
        "created_at": complaint.created_at.isoformat(),
        "resolved_at": complaint.resolved_at.isoformat() if complaint.resolved_at else None,
        "channel": complaint.channel,
        "booking_id": complaint.booking_id,
        "booking_number": booking.number if booking is not None else None,
        "quote_id": complaint.quote_id,
        "quote_number": complaint.quote.number if complaint.quote is not None else None,
        "time_zone": booking.time_zone if booking is not None else "",
        "customer_id": complaint.customer_id,
        "customer_name": complaint.customer.name,
        "type": complaint.type.name if complaint.type is not None else "",
        "status": complaint.status.name,
        "owner_id": complaint.owner_id,
        "owner_name": complaint.owner.display_name if complaint.owner is not None else "",
    }


def complaint_message(event: Any, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "type": MESSAGE_TYPE,
        "kind": KIND_EVENT,
        "event_id": event.event_id,
        "event_type": event.name,
        "action": event.action,
        "complaint_id": event.complaint_id,
        "channel": event.channel,
        "actor_kind": event.actor_kind,
        "occurred_at": event.occurred_at,
        "complaint": snapshot,
    }


# --- quotes -------------------------------------------------------------------------------------


def quote_message(event: Any) -> dict[str, Any]:
    """A quote event as it travels: its own plain fields (the event carries what a list shows)."""
    return {
        "type": MESSAGE_TYPE,
        "kind": KIND_EVENT,
        "event_id": event.event_id,
        "event_type": event.name,
        "action": event.action,
        "quote_id": event.quote_id,
        "number": event.number,
        "status": event.status,
        "customer_id": event.customer_id,
        "channel": event.channel,
        "actor_kind": event.actor_kind,
        "actor_user_id": event.actor_user_id,
        "occurred_at": event.occurred_at,
        "changed": list(event.changed),
    }


# --- messages to fieldworkers ---------------------------------------------------------------------


def fieldworker_message_message(event: Any) -> dict[str, Any]:
    """A fieldworker message event as it travels: the message as it stands (no read; the body is not
    sent, a live view re-reads the thread when it needs the text)."""
    return {
        "type": MESSAGE_TYPE,
        "kind": KIND_EVENT,
        "event_id": event.event_id,
        "event_type": event.name,
        "action": event.action,
        "fieldworker_id": event.fieldworker_id,
        "message_id": event.message_id,
        "medium": event.medium,
        "message_kind": event.kind,
        "status": event.status,
        "inbound": event.inbound,
        "error": event.error,
        "attempts": event.attempts,
        "next_attempt_at": event.next_attempt_at,
        "channel": event.channel,
        "actor_kind": event.actor_kind,
        "occurred_at": event.occurred_at,
    }
