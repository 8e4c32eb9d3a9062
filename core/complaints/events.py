"""Complaint events: published after commit by ``complaint_history.record``, one per history row
(``event_id`` is the row's id). Not booking ``DomainEvent`` s (a complaint may name a quote only):
subscribe to ``ComplaintChanged`` or a type."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class ComplaintChanged(Event):
    event_id: int
    complaint_id: int
    booking_id: int | None
    customer_id: int
    action: str  # raised, updated, assigned, resolved, reopened
    is_resolved: bool
    visible_to_customer: bool
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""
    changed: tuple[str, ...] = ()
    quote_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ComplaintRaised(ComplaintChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class ComplaintResolved(ComplaintChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class ComplaintReopened(ComplaintChanged):
    pass
