"""Inbox events: what happens to an inquiry. They leave after commit through
``core.events.publish`` like booking events; an inquiry need not concern any booking, so they are
not ``DomainEvent`` subclasses (subscribe to ``InquiryEvent`` or to one type).

``event_id`` is the id of the ``InquiryEntry`` the change wrote (stable; the GraphQL
``InquiryHistoryEntry`` id).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class InquiryEvent:
    event_id: int
    inquiry_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""

    @property
    def name(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.name, **asdict(self)}


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
