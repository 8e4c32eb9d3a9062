"""The booking timeline writer: one append-only row per change, and the event that mirrors it.

Every row is published as a domain event after commit, from here and nowhere else (house rule 11:
every history row has its event), so live views never miss what the timeline shows. A row with an
event class of its own passes it as ``event=`` with that event's fields; any other row leaves as
``events.TimelineNoted`` carrying its action and data."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from core import events
from core.actors import Actor, Channel

from .models import Booking, BookingEvent

_encoder = DjangoJSONEncoder()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _encoder.default(value) if not isinstance(value, (list, tuple, dict)) else value


def record(booking: Booking, *, actor: Actor, channel: Channel | str, action: str,
           changes: dict[str, tuple[Any, Any]] | None = None, data: dict[str, Any] | None = None,
           event: type[events.DomainEvent] = events.TimelineNoted, **event_fields: Any) -> BookingEvent:
    """Append the row and publish its event (after commit). ``event_fields``: the event's own fields."""
    row = BookingEvent.objects.create(
        booking=booking,
        at=timezone.now(),
        action=action,
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_label=actor.label[:150],
        channel=str(channel),
        changes={key: [_plain(before), _plain(after)] for key, (before, after) in (changes or {}).items()},
        data={key: _plain(value) for key, value in (data or {}).items()},
    )
    if event is events.TimelineNoted:
        event_fields = {"action": action, "data": row.data, **event_fields}
    events.publish(event(**event_base(row), **event_fields))
    return row


def event_base(row: BookingEvent) -> dict[str, Any]:
    """The common fields of a domain event, taken from the history row it mirrors."""
    return {
        "event_id": row.pk,
        "booking_id": row.booking_id,
        "channel": row.channel,
        "actor_kind": row.actor_kind,
        "actor_user_id": row.actor_user_id,
        "occurred_at": row.at.isoformat(),
    }
