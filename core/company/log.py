"""The company history writer: one append-only ``CompanyLog`` row per change of a trading name, a
terms version or a label, and the event that mirrors it, published after commit from here only."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .events import CompanyEvent
from .models import CompanyLog

_encoder = DjangoJSONEncoder()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return _encoder.default(value)


def record(subject: str, subject_id: int, *, actor: Actor, channel: Channel | str, action: str,
           event: type[CompanyEvent], changes: dict[str, tuple[Any, Any]] | None = None,
           data: dict[str, Any] | None = None, **event_fields: Any) -> CompanyLog:
    """Append the row and publish ``event`` (its own fields in ``event_fields``) after commit."""
    row = CompanyLog.objects.create(
        subject=subject, subject_id=subject_id, action=action, actor_kind=actor.kind, actor_user=actor.user,
        actor_label=actor.label[:150], channel=str(channel),
        changes={key: [_plain(before), _plain(after)] for key, (before, after) in (changes or {}).items()},
        data={key: _plain(value) for key, value in (data or {}).items()},
    )
    events.publish(event(event_id=row.pk, channel=row.channel, actor_kind=row.actor_kind,  # type: ignore[arg-type]
                         actor_user_id=row.actor_user_id, occurred_at=row.at.isoformat(), **event_fields))
    return row
