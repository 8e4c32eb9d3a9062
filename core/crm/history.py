"""The inquiry history writer: one append-only row per change, and its event, in one place."""

from __future__ import annotations

from typing import Any

from core import events as core_events
from core.actors import Actor, Channel

from .events import InquiryEvent
from .models import Inquiry, InquiryEntry


def record(inquiry: Inquiry, *, actor: Actor, channel: Channel | str, action: str, event: type[InquiryEvent],
           body: str = "", data: dict[str, Any] | None = None, delivery_status: str = "",
           **fields: Any) -> InquiryEntry:
    """Write the entry and publish ``event`` (built from the entry plus ``fields``) after commit."""
    entry = InquiryEntry.objects.create(
        inquiry=inquiry, action=action, actor_kind=actor.kind, actor_user=actor.user,
        actor_label=actor.label[:150], channel=str(channel), body=body, data=data or {},
        delivery_status=delivery_status,
    )
    core_events.publish(event(  # type: ignore[arg-type]
        event_id=entry.pk, inquiry_id=inquiry.pk, channel=entry.channel, actor_kind=entry.actor_kind,
        actor_user_id=entry.actor_user_id, occurred_at=entry.at.isoformat(), **fields))
    return entry
