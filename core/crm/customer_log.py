"""The customer history writer: one append-only ``CustomerLog`` row per change, and the event that
mirrors it (``core.crm.events.CustomerEvent``), published after commit from here and nowhere else
(house rule 11)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .events import CustomerEvent
from .models import CustomerLog

_encoder = DjangoJSONEncoder()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _encoder.default(value)


def record(customer_id: int, *, actor: Actor, channel: Channel | str, action: str, event: type[CustomerEvent],
           changes: dict[str, tuple[Any, Any]] | None = None, data: dict[str, Any] | None = None,
           **event_fields: Any) -> CustomerLog:
    """Append the row and publish ``event`` (its own fields in ``event_fields``) after commit."""
    row = CustomerLog.objects.create(
        customer_id=customer_id, action=action, actor_kind=actor.kind, actor_user=actor.user,
        actor_label=actor.label[:150], channel=str(channel),
        changes={key: [_plain(before), _plain(after)] for key, (before, after) in (changes or {}).items()},
        data={key: _plain(value) for key, value in (data or {}).items()},
    )
    events.publish(event(event_id=row.pk, customer_id=customer_id, channel=row.channel,  # type: ignore[arg-type]
                         actor_kind=row.actor_kind, actor_user_id=row.actor_user_id,
                         occurred_at=row.at.isoformat(), **event_fields))
    return row


@dataclass
class Entry:
    """One row for :func:`record_many`: ``fields`` are the event's own fields."""

    customer_id: int
    action: str
    event: type[CustomerEvent]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def record_many(entries: Sequence[Entry], *, actor: Actor, channel: Channel | str,
                batch_size: int = 2000) -> list[CustomerLog]:
    """Append many rows in a few INSERTs (an import) and publish each row's event after commit."""
    rows = CustomerLog.objects.bulk_create([
        CustomerLog(customer_id=entry.customer_id, action=entry.action, actor_kind=actor.kind, actor_user=actor.user,
                    actor_label=actor.label[:150], channel=str(channel),
                    changes={key: [_plain(before), _plain(after)] for key, (before, after) in entry.changes.items()},
                    data={key: _plain(value) for key, value in entry.data.items()})
        for entry in entries], batch_size=batch_size)
    for entry, row in zip(entries, rows, strict=True):
        events.publish(entry.event(event_id=row.pk, customer_id=row.customer_id,  # type: ignore[arg-type]
                                   channel=row.channel, actor_kind=row.actor_kind, actor_user_id=row.actor_user_id,
                                   occurred_at=row.at.isoformat(), **entry.fields))
    return rows
