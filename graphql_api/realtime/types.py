"""What subscribers receive. Built from broadcast messages only (no database reads).

A message reaches every subscriber of a group in this process; the object built from it is
memoised per event (:func:`built`), so N subscribers cost one build plus N GraphQL executions.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON

from ..enums import (
    ActorKindEnum,
    AssignmentStatusEnum,
    BookingStatusEnum,
    ChannelEnum,
    DeliveryChannelEnum,
    DeliveryStatusEnum,
    InquiryKindEnum,
    InquiryStatusEnum,
    LeadStatusEnum,
)

T = TypeVar("T")
_MEMO_SIZE = 512
_memo: OrderedDict[tuple, Any] = OrderedDict()


def built(kind: type[T], message: dict[str, Any], build: Callable[[dict[str, Any]], T]) -> T:
    """``build(message)``, shared by all subscribers receiving the same event in this process."""
    key = (kind.__name__, message.get("kind"), message.get("event_id"))
    if key[2] is None:
        return build(message)
    found = _memo.get(key)
    if found is None:
        found = _memo[key] = build(message)
        if len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return found


def encode_id(type_name: str, pk: Any) -> str:
    """The Relay global id (base64 of ``Type:pk``), as graphql_api.ids.encode_id, without the
    GlobalID object: this runs once per delivered event."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _enum(enum: Any, value: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        return None


def event_gid(event_id: int) -> strawberry.ID:
    return strawberry.ID(encode_id("BookingHistoryEntry", event_id))


@strawberry.type(name="LiveComment", description="A new message in a booking's discussion.")
class LiveComment:
    __shared_execution__ = True  # plain fields only: see execution.py
    event_id: strawberry.ID = strawberry.field(
        description="Stable: the id of the BookingHistoryEntry this comment wrote.")
    booking_id: strawberry.ID
    comment_id: strawberry.ID = strawberry.field(description="The BookingComment id.")
    author_name: str
    author_kind: ActorKindEnum | None
    channel: ChannelEnum | None = strawberry.field(description="Through what the comment was written.")
    body: str
    visible_to_customer: bool
    created_at: datetime
    reply_to_id: strawberry.ID | None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveComment:
        details = message["details"]
        reply_to = (details.get("extra") or {}).get("reply_to_id")
        return cls(
            event_id=event_gid(message["event_id"]),
            booking_id=strawberry.ID(encode_id("Booking", message["booking_id"])),
            comment_id=strawberry.ID(encode_id("BookingComment", details["comment_id"])),
            author_name=details.get("author_name", ""),
            author_kind=_enum(ActorKindEnum, message.get("actor_kind")),
            channel=_enum(ChannelEnum, message.get("channel")),
            body=details.get("body", ""),
            visible_to_customer=bool(details.get("visible_to_customer")),
            created_at=_when(details.get("created_at")) or _when(message.get("occurred_at")),  # type: ignore[arg-type]
            reply_to_id=strawberry.ID(encode_id("BookingComment", reply_to)) if reply_to else None,
        )


@strawberry.type(name="LiveCommentDelivery",
                 description="A discussion message's delivery to the customer changed status (staff only).")
class LiveCommentDelivery:
    __shared_execution__ = True  # plain fields only: see execution.py
    event_id: strawberry.ID = strawberry.field(
        description="Stable: the id of the BookingHistoryEntry this change wrote.")
    booking_id: strawberry.ID
    comment_id: strawberry.ID = strawberry.field(description="The BookingComment id.")
    channel: DeliveryChannelEnum | None = strawberry.field(description="How it went to the customer.")
    status: DeliveryStatusEnum | None
    error: str
    updated_at: datetime

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveCommentDelivery:
        details = message["details"]
        return cls(
            event_id=event_gid(message["event_id"]),
            booking_id=strawberry.ID(encode_id("Booking", message["booking_id"])),
            comment_id=strawberry.ID(encode_id("BookingComment", details["comment_id"])),
            channel=_enum(DeliveryChannelEnum, details.get("via")),
            status=_enum(DeliveryStatusEnum, details.get("status")),
            error=details.get("error", ""),
            updated_at=_when(details.get("updated_at")) or _when(message.get("occurred_at")),  # type: ignore[arg-type]
        )


@strawberry.type(name="LiveFieldworker", description="A fieldworker offered or on a booking.")
class LiveFieldworker:
    id: strawberry.ID
    name: str
    status: AssignmentStatusEnum | None


@strawberry.type(name="LiveBooking", description="A booking as it stands right after the change.")
class LiveBooking:
    id: strawberry.ID
    number: int
    status: BookingStatusEnum | None
    scheduled_start: datetime
    scheduled_end: datetime
    time_zone: str
    customer_id: strawberry.ID
    customer_name: str
    address: str
    fieldworkers: list[LiveFieldworker]

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> LiveBooking:
        return cls(
            id=strawberry.ID(encode_id("Booking", snap["id"])),
            number=snap["number"],
            status=_enum(BookingStatusEnum, snap.get("status")),
            scheduled_start=_when(snap["scheduled_start"]),  # type: ignore[arg-type]
            scheduled_end=_when(snap["scheduled_end"]),  # type: ignore[arg-type]
            time_zone=snap.get("time_zone", ""),
            customer_id=strawberry.ID(encode_id("Customer", snap["customer_id"])),
            customer_name=snap.get("customer_name", ""),
            address=snap.get("address", ""),
            fieldworkers=[
                LiveFieldworker(id=strawberry.ID(encode_id("Fieldworker", fw["id"])), name=fw["name"],
                                status=_enum(AssignmentStatusEnum, fw.get("status")))
                for fw in snap.get("fieldworkers", ())
            ],
        )


@strawberry.type(
    name="LiveBookingEvent",
    description="Something happened to a booking: created, updated, status_changed, assigned, unassigned, "
                "accepted, declined, cancelled, owner_changed, or any other timeline action (for instance "
                "cancellation_requested, on_my_way, attachment_added, file_added, file_removed, signed, "
                "assignment_conflict) with its data.",
)
class LiveBookingEvent:
    __shared_execution__ = True  # plain fields only: see execution.py

    event_id: strawberry.ID = strawberry.field(
        description="Stable: the id of the BookingHistoryEntry this change wrote.")
    booking_id: strawberry.ID
    action: str
    type: str = strawberry.field(description="The domain event's name, e.g. BookingCancelled.")
    channel: ChannelEnum | None
    actor_kind: ActorKindEnum | None
    occurred_at: datetime | None
    booking: LiveBooking | None = strawberry.field(description="Null if the booking no longer exists.")
    old_status: BookingStatusEnum | None = None
    new_status: BookingStatusEnum | None = None
    fieldworker_id: strawberry.ID | None = strawberry.field(
        default=None, description="The fieldworker an assignment event is about.")
    reason: str | None = None
    fee: str | None = None
    changed: list[str] = strawberry.field(default_factory=list, description="Updated fields.")
    data: JSON | None = strawberry.field(
        default=None, description="The timeline row's data, for actions without fields of their own.")

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveBookingEvent:
        details = message.get("details") or {}
        fieldworker = details.get("fieldworker_id")
        snap = message.get("booking")
        return cls(
            event_id=event_gid(message["event_id"]),
            booking_id=strawberry.ID(encode_id("Booking", message["booking_id"])),
            action=message["action"],
            type=message.get("event_type", ""),
            channel=_enum(ChannelEnum, message.get("channel")),
            actor_kind=_enum(ActorKindEnum, message.get("actor_kind")),
            occurred_at=_when(message.get("occurred_at")),
            booking=LiveBooking.from_snapshot(snap) if snap else None,
            old_status=_enum(BookingStatusEnum, details.get("old_status")),
            new_status=_enum(BookingStatusEnum, details.get("new_status")),
            fieldworker_id=strawberry.ID(encode_id("Fieldworker", fieldworker)) if isinstance(fieldworker, int)
            else None,
            reason=details.get("reason") or None,
            fee=details.get("fee"),
            changed=[str(name) for name in details.get("changed") or ()],
            data=details.get("data"),
        )


# --- the staff inbox ----------------------------------------------------------------------------


@strawberry.type(name="LiveInquiryBooking", description="A booking an inquiry concerns.")
class LiveInquiryBooking:
    id: strawberry.ID
    number: int


@strawberry.type(name="LiveInquiry", description="An inquiry as it stands right after the change.")
class LiveInquiry:
    id: strawberry.ID
    kind: InquiryKindEnum | None
    status: InquiryStatusEnum | None
    channel: ChannelEnum | None
    contact: str
    body: str = strawberry.field(description="The first 1,000 characters.")
    created_at: datetime
    resolved_at: datetime | None
    customer_id: strawberry.ID | None
    customer_name: str
    assignee_id: strawberry.ID | None = strawberry.field(description="A User id.")
    assignee_name: str
    bookings: list[LiveInquiryBooking]
    time_zone: str = strawberry.field(description="Show its times here: its booking's zone, else the company's.")
    lead_status: LeadStatusEnum | None = None
    lead_source: str = strawberry.field(default="", description="The lead source's name.")
    prospect_name: str = ""
    deleted: bool = strawberry.field(default=False, description="Deleted: out of the inbox.")

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> LiveInquiry:
        return cls(
            id=strawberry.ID(encode_id("Inquiry", snap["id"])),
            kind=_enum(InquiryKindEnum, snap.get("kind")),
            status=_enum(InquiryStatusEnum, snap.get("status")),
            channel=_enum(ChannelEnum, snap.get("channel")),
            contact=snap.get("contact", ""),
            body=snap.get("body", ""),
            created_at=_when(snap["created_at"]),  # type: ignore[arg-type]
            resolved_at=_when(snap.get("resolved_at")),
            customer_id=strawberry.ID(encode_id("Customer", snap["customer_id"])) if snap.get("customer_id")
            else None,
            customer_name=snap.get("customer_name", ""),
            assignee_id=strawberry.ID(encode_id("User", snap["assignee_id"])) if snap.get("assignee_id") else None,
            assignee_name=snap.get("assignee_name", ""),
            bookings=[LiveInquiryBooking(id=strawberry.ID(encode_id("Booking", b["id"])), number=b["number"])
                      for b in snap.get("bookings", ())],
            time_zone=snap.get("time_zone", ""),
            lead_status=_enum(LeadStatusEnum, snap.get("lead_status")),
            lead_source=snap.get("lead_source", ""),
            prospect_name=snap.get("prospect_name", ""),
            deleted=bool(snap.get("deleted")),
        )


@strawberry.type(
    name="LiveInquiryEvent",
    description="Something happened in the inbox: opened, assigned, replied, resolved, reopened, linked, "
                "updated, moved, converted, deleted, restored.",
)
class LiveInquiryEvent:
    __shared_execution__ = True  # plain fields only: see execution.py

    event_id: strawberry.ID = strawberry.field(
        description="Stable: the id of the InquiryHistoryEntry this change wrote.")
    inquiry_id: strawberry.ID
    action: str
    type: str = strawberry.field(description="The event's name, e.g. InquiryOpened.")
    channel: ChannelEnum | None
    actor_kind: ActorKindEnum | None
    occurred_at: datetime | None
    inquiry: LiveInquiry | None = strawberry.field(description="Null if the inquiry no longer exists.")

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveInquiryEvent:
        snap = message.get("inquiry")
        return cls(
            event_id=strawberry.ID(encode_id("InquiryHistoryEntry", message["event_id"])),
            inquiry_id=strawberry.ID(encode_id("Inquiry", message["inquiry_id"])),
            action=message["action"],
            type=message.get("event_type", ""),
            channel=_enum(ChannelEnum, message.get("channel")),
            actor_kind=_enum(ActorKindEnum, message.get("actor_kind")),
            occurred_at=_when(message.get("occurred_at")),
            inquiry=LiveInquiry.from_snapshot(snap) if snap else None,
        )


@strawberry.type(description="A complaint as the open complaints panel shows it.")
class LiveComplaint:
    id: strawberry.ID
    description: str = strawberry.field(description="The first 1,000 characters.")
    visible_to_customer: bool
    is_resolved: bool
    created_at: datetime
    resolved_at: datetime | None
    channel: ChannelEnum | None
    booking_id: strawberry.ID | None
    booking_number: int | None
    quote_id: strawberry.ID | None = strawberry.field(description="The quote it is about, when not a booking.")
    quote_number: str | None
    time_zone: str = strawberry.field(description="Its booking's zone (empty: the company's).")
    customer_id: strawberry.ID
    customer_name: str
    type: str = strawberry.field(description="The type's name (empty: none).")
    status: str = strawberry.field(description="The status's name.")
    owner_id: strawberry.ID | None = strawberry.field(description="A User id.")
    owner_name: str

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> LiveComplaint:
        return cls(
            id=strawberry.ID(encode_id("Complaint", snap["id"])),
            description=snap.get("description", ""),
            visible_to_customer=bool(snap.get("visible_to_customer")),
            is_resolved=bool(snap.get("is_resolved")),
            created_at=_when(snap["created_at"]),  # type: ignore[arg-type]
            resolved_at=_when(snap.get("resolved_at")),
            channel=_enum(ChannelEnum, snap.get("channel")),
            booking_id=strawberry.ID(encode_id("Booking", snap["booking_id"])) if snap.get("booking_id") else None,
            booking_number=snap.get("booking_number"),
            quote_id=strawberry.ID(encode_id("Quote", snap["quote_id"])) if snap.get("quote_id") else None,
            quote_number=snap.get("quote_number"),
            time_zone=snap.get("time_zone", ""),
            customer_id=strawberry.ID(encode_id("Customer", snap["customer_id"])),
            customer_name=snap.get("customer_name", ""),
            type=snap.get("type", ""),
            status=snap.get("status", ""),
            owner_id=strawberry.ID(encode_id("User", snap["owner_id"])) if snap.get("owner_id") else None,
            owner_name=snap.get("owner_name", ""),
        )


@strawberry.type(description="A change to a complaint: raised, updated, assigned, resolved or reopened.")
class LiveComplaintEvent:
    __shared_execution__ = True  # plain fields only: see execution.py

    event_id: strawberry.ID = strawberry.field(
        description="Stable: the id of the ComplaintHistoryEntry this change wrote.")
    complaint_id: strawberry.ID
    action: str
    type: str = strawberry.field(description="The event's name, e.g. ComplaintRaised.")
    channel: ChannelEnum | None
    actor_kind: ActorKindEnum | None
    occurred_at: datetime | None
    complaint: LiveComplaint | None = strawberry.field(description="Null if the complaint no longer exists.")

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveComplaintEvent:
        snap = message.get("complaint")
        return cls(
            event_id=strawberry.ID(encode_id("ComplaintHistoryEntry", message["event_id"])),
            complaint_id=strawberry.ID(encode_id("Complaint", message["complaint_id"])),
            action=message["action"],
            type=message.get("event_type", ""),
            channel=_enum(ChannelEnum, message.get("channel")),
            actor_kind=_enum(ActorKindEnum, message.get("actor_kind")),
            occurred_at=_when(message.get("occurred_at")),
            complaint=LiveComplaint.from_snapshot(snap) if snap else None,
        )


# --- quotes -------------------------------------------------------------------------------------


@strawberry.type(name="LiveQuoteEvent",
                 description="A quote changed: created, lines_set, updated, sent, accepted, declined, expired, "
                             "deleted, renumbered, claimed, invoiced, follow_up_reminded.")
class LiveQuoteEvent:
    __shared_execution__ = True  # plain fields only: see execution.py

    event_id: strawberry.ID = strawberry.field(description="Stable: the id of the QuoteHistoryEntry this change "
                                                           "wrote.")
    quote_id: strawberry.ID
    number: str
    status: str = strawberry.field(description="draft, sent, accepted, declined or expired, after the change.")
    customer_id: strawberry.ID
    action: str
    type: str = strawberry.field(description="The event's name, e.g. QuoteSent.")
    channel: ChannelEnum | None
    actor_kind: ActorKindEnum | None
    occurred_at: datetime | None
    changed: list[str]

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveQuoteEvent:
        return cls(
            event_id=strawberry.ID(encode_id("QuoteHistoryEntry", message["event_id"])),
            quote_id=strawberry.ID(encode_id("Quote", message["quote_id"])),
            number=message.get("number", ""),
            status=message.get("status", ""),
            customer_id=strawberry.ID(encode_id("Customer", message["customer_id"])),
            action=message["action"],
            type=message.get("event_type", ""),
            channel=_enum(ChannelEnum, message.get("channel")),
            actor_kind=_enum(ActorKindEnum, message.get("actor_kind")),
            occurred_at=_when(message.get("occurred_at")),
            changed=[str(name) for name in message.get("changed") or ()],
        )


# --- messages to fieldworkers ---------------------------------------------------------------------


@strawberry.type(name="LiveFieldworkerMessage",
                 description="A change in one fieldworker's thread with the office: a message sent (action "
                             "message_sent, verification_sent), a text received (sms_received), a delivery status "
                             "moving (message_status) or a retry (message_retried).")
class LiveFieldworkerMessage:
    __shared_execution__ = True  # plain fields only: see execution.py

    event_id: strawberry.ID = strawberry.field(description="Stable: the id of the FieldworkerLogEntry this change "
                                                           "wrote.")
    fieldworker_id: strawberry.ID
    message_id: strawberry.ID = strawberry.field(description="The FieldworkerMessage (read it for its text).")
    action: str
    type: str = strawberry.field(description="The event's name: FieldworkerMessaged or "
                                             "FieldworkerMessageStatusChanged.")
    medium: str = strawberry.field(description="email, sms or chat.")
    kind: str = strawberry.field(description="verification, message (from staff) or received.")
    status: str = strawberry.field(description="The message's status after the change (queued, sending, sent, "
                                               "delivered, failed, skipped, received).")
    inbound: bool
    error: str
    attempts: int
    next_attempt_at: datetime | None
    channel: ChannelEnum | None
    actor_kind: ActorKindEnum | None
    occurred_at: datetime | None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LiveFieldworkerMessage:
        return cls(
            event_id=strawberry.ID(encode_id("FieldworkerLogEntry", message["event_id"])),
            fieldworker_id=strawberry.ID(encode_id("Fieldworker", message["fieldworker_id"])),
            message_id=strawberry.ID(encode_id("FieldworkerMessage", message["message_id"])),
            action=message.get("action", ""),
            type=message.get("event_type", ""),
            medium=message.get("medium", ""),
            kind=message.get("message_kind", ""),
            status=message.get("status", ""),
            inbound=bool(message.get("inbound")),
            error=message.get("error", ""),
            attempts=int(message.get("attempts") or 0),
            next_attempt_at=_when(message.get("next_attempt_at")),
            channel=_enum(ChannelEnum, message.get("channel")),
            actor_kind=_enum(ActorKindEnum, message.get("actor_kind")),
            occurred_at=_when(message.get("occurred_at")),
        )
