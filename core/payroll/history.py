"""The payroll history writer: one append-only ``PayrollEvent`` row per change, and its event,
published from here only (as bookings and invoices do, decision 0018)."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .events import PayrollChanged
from .models import PayrollEvent

_encoder = DjangoJSONEncoder()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return _encoder.default(value)


def record(*, actor: Actor, channel: Channel | str, subject: str, action: str, agreement_id: int | None = None,
           booking_id: int | None = None, run_id: int | None = None, fieldworker_id: int | None = None,
           data: dict[str, Any] | None = None) -> PayrollEvent:
    row = PayrollEvent.objects.create(
        subject=subject, action=action, agreement_id=agreement_id, booking_id=booking_id, run_id=run_id,
        fieldworker_id=fieldworker_id, actor_kind=actor.kind, actor_user=actor.user, actor_label=actor.label[:150],
        channel=str(channel), data={key: _plain(value) for key, value in (data or {}).items()})
    events.publish(PayrollChanged(  # type: ignore[arg-type]
        event_id=row.pk, subject=subject, action=action, agreement_id=agreement_id, booking_id=booking_id,
        run_id=run_id, fieldworker_id=fieldworker_id, channel=row.channel, actor_kind=row.actor_kind,
        actor_user_id=row.actor_user_id, occurred_at=row.at.isoformat()))
    return row
