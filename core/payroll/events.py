"""Payroll events: published by ``history.record``, one per history row (``event_id`` is its id)."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class PayrollChanged(Event):
    event_id: int
    subject: str  # agreement, pay, run
    action: str  # created, updated, deleted, computed, adjusted, finalised, paid, ...
    agreement_id: int | None = None
    booking_id: int | None = None
    run_id: int | None = None
    fieldworker_id: int | None = None
    channel: str = ""
    actor_kind: str = ""
    actor_user_id: int | None = None
    occurred_at: str = ""
