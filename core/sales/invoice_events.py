"""Invoice events: published after commit by ``invoice_history.record``, one per history row
(``event_id`` is the row's id). Not booking ``DomainEvent`` s: subscribe to ``InvoiceChanged`` or a type."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class InvoiceChanged(Event):
    event_id: int
    invoice_id: int
    number: str
    action: str  # created, lines_set, updated, issued, to_draft, voided, deleted, renumbered, claimed, ...
    status: str
    customer_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class InvoiceIssued(InvoiceChanged):
    send_email: bool = True


@dataclass(frozen=True, kw_only=True)
class PaymentRecorded(InvoiceChanged):
    payment_id: int
    amount: str


@dataclass(frozen=True, kw_only=True)
class PaymentRemoved(InvoiceChanged):
    payment_id: int
    amount: str
