"""Quote events: published after commit by ``quote_history.record``, one per history row
(``event_id`` is the row's id). Subscribe to ``QuoteChanged`` or a subtype."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class QuoteChanged(Event):
    event_id: int
    quote_id: int
    number: str
    action: str  # created, lines_set, updated, sent, accepted, declined, expired, deleted, renumbered, claimed
    status: str
    customer_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class QuoteSent(QuoteChanged):
    send_email: bool = True
    send_sms: bool = False
