"""The customer history writer and its events: one append-only ``CustomerLog`` row per change, and
the event that mirrors it, published after commit from here and nowhere else (house rule 11).

A customer need not have any booking, so these events are not ``core.events.DomainEvent``
subclasses (which carry a booking id); subscribe to ``CustomerEvent`` or to one type.
``event_id`` is the id of the log row."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .models import CustomerLog

_encoder = DjangoJSONEncoder()


@dataclass(frozen=True, kw_only=True)
class CustomerEvent:
    event_id: int
    customer_id: int
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
