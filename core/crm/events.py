"""Inbox events: what happens to an inquiry (and, at the end, the customer history events). They
leave after commit through ``core.events.publish`` like booking events; an inquiry need not concern
any booking, so they are not ``DomainEvent`` subclasses (subscribe to ``InquiryEvent`` or to one type).

``event_id`` is the id of the ``InquiryEntry`` the change wrote (stable; the GraphQL
``InquiryHistoryEntry`` id).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class InquiryEvent(Event):
    event_id: int
    inquiry_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""


@dataclass(frozen=True, kw_only=True)
class InquiryOpened(InquiryEvent):
    kind: str
    customer_id: int | None = None
    booking_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class InquiryAssigned(InquiryEvent):
    assignee_id: int | None
    previous_assignee_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class InquiryReplied(InquiryEvent):
    via: str  # "sms" or "email"


@dataclass(frozen=True, kw_only=True)
class InquiryResolved(InquiryEvent):
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class InquiryReopened(InquiryEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class InquiryLinked(InquiryEvent):
    customer_id: int | None = None
    booking_ids: tuple[int, ...] = ()  # the bookings this change linked


# --- customer history (core.crm.customer_log) ---------------------------------------------------
# A customer need not have any booking either. ``event_id`` is the id of the ``CustomerLog`` row.


@dataclass(frozen=True, kw_only=True)
class CustomerEvent(Event):
    event_id: int
    customer_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""


@dataclass(frozen=True, kw_only=True)
class CustomerCreated(CustomerEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class CustomerUpdated(CustomerEvent):
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PropertyAdded(CustomerEvent):
    property_id: int


@dataclass(frozen=True, kw_only=True)
class PropertyUpdated(CustomerEvent):
    property_id: int
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DependentAdded(CustomerEvent):
    dependent_id: int


@dataclass(frozen=True, kw_only=True)
class DependentUpdated(CustomerEvent):
    dependent_id: int
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DependentArchived(CustomerEvent):
    dependent_id: int


# --- leads (decision 0160) -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InquiryUpdated(InquiryEvent):
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class InquiryMoved(InquiryEvent):
    lead_status: str
    previous_lead_status: str
    lost_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class InquiryConverted(InquiryEvent):
    customer_id: int
    booking_id: int
    customer_created: bool = False


@dataclass(frozen=True, kw_only=True)
class InquiryDeleted(InquiryEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class InquiryRestored(InquiryEvent):
    pass
