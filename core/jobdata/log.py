"""The job data history writer: one append-only ``JobDataLog`` row per change and the event that
mirrors it, published after commit from here and nowhere else."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.actors import Actor, Channel

from .events import JobDataEvent
from .models import JobDataLog

_encoder = DjangoJSONEncoder()


def plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return _encoder.default(value)


def record(*, actor: Actor, channel: Channel | str, action: str, event: type[JobDataEvent],
           changes: dict[str, tuple[Any, Any]] | None = None, target: str = "", object_id: int | None = None,
           field_id: int | None = None, group_id: int | None = None, **event_fields: Any) -> JobDataLog:
    row = JobDataLog.objects.create(
        action=action, actor_kind=actor.kind, actor_user=actor.user, actor_label=actor.label[:150],
        channel=str(channel), target=target, object_id=object_id, field_id=field_id, group_id=group_id,
        changes={key: [plain(before), plain(after)] for key, (before, after) in (changes or {}).items()},
    )
    # the row's own references go into the event when it has fields of those names
    own = {name for name in (item.name for item in dataclasses.fields(event))}
    shared = {name: value for name, value in (("target", target), ("object_id", object_id), ("field_id", field_id),
                                              ("group_id", group_id)) if name in own}
    events.publish(event(event_id=row.pk, channel=row.channel, actor_kind=row.actor_kind,  # type: ignore[arg-type]
                         actor_user_id=row.actor_user_id, occurred_at=row.at.isoformat(), **shared, **event_fields))
    return row
