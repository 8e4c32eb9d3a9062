"""The complaint history writer: one append-only ``ComplaintEvent`` row per change, with who and
through what, and the event that mirrors it, published from here only (as bookings do, 0018)."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .events import ComplaintChanged
from .models import Complaint, ComplaintEvent

_encoder = DjangoJSONEncoder()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return _encoder.default(value)


def record(complaint: Complaint, *, actor: Actor, channel: Channel | str, action: str,
           changes: dict[str, tuple[Any, Any]] | None = None, data: dict[str, Any] | None = None,
           event: type[ComplaintChanged] = ComplaintChanged) -> ComplaintEvent:
    row = ComplaintEvent.objects.create(
        complaint_id=complaint.pk, action=action, actor_kind=actor.kind, actor_user=actor.user,
        actor_label=actor.label[:150], channel=str(channel),
        changes={key: [_plain(before), _plain(after)] for key, (before, after) in (changes or {}).items()},
        data={key: _plain(value) for key, value in (data or {}).items()},
    )
    events.publish(event(  # type: ignore[arg-type]
        event_id=row.pk, complaint_id=complaint.pk, booking_id=complaint.booking_id,
        customer_id=complaint.customer_id, action=action, is_resolved=complaint.is_resolved,
        visible_to_customer=complaint.visible_to_customer, channel=row.channel, actor_kind=row.actor_kind,
        actor_user_id=row.actor_user_id, occurred_at=row.at.isoformat(), changed=tuple(changes or ()),
        quote_id=complaint.quote_id))
    return row
