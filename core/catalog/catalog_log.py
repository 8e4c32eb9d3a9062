"""The catalogue history writer: one append-only ``CatalogLog`` row per change and its
``CatalogChanged`` event, published after commit from here and nowhere else (house rule 3)."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .events import CatalogChanged
from .models import CatalogLog

_encoder = DjangoJSONEncoder()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return _encoder.default(value)


def record(entity: str, entity_id: int, *, actor: Actor, channel: Channel | str, action: str,
           changes: dict[str, tuple[Any, Any]] | None = None) -> CatalogLog:
    row = CatalogLog.objects.create(
        entity=entity, entity_id=entity_id, action=action, actor_kind=actor.kind, actor_user=actor.user,
        actor_label=actor.label[:150], channel=str(channel),
        changes={key: [_plain(before), _plain(after)] for key, (before, after) in (changes or {}).items()})
    events.publish(CatalogChanged(event_id=row.pk, entity=entity, entity_id=entity_id, action=action,
                                  channel=row.channel, actor_kind=row.actor_kind, actor_user_id=row.actor_user_id,
                                  occurred_at=row.at.isoformat(), changed=tuple(sorted(changes or {}))))
    return row
