"""The durable subscriber that records webhook deliveries in the transaction of the change
(decisions 0030, 0045, 0062). Its ``when=`` test reads no database: with no active endpoint
(:mod:`switch`), the event costs no statement and no savepoint."""

from __future__ import annotations

from typing import Any

from core import events
from core.actors import Actor, Channel

from . import switch
from .envelopes import describe
from .models import WebhookEndpoint
from .services import webhook_event_record


def _concerns(event: Any) -> bool:
    return switch.active()


def on_event(event: Any) -> None:
    if not _concerns(event):
        return
    endpoints = list(WebhookEndpoint.objects.filter(active=True).order_by("pk"))
    if not endpoints:
        return
    for event_type, data in describe(event, lambda kind: any(e.wants(kind) for e in endpoints)):
        webhook_event_record(actor=Actor.system(), channel=Channel.SYSTEM, event_type=event_type, data=data,
                             occurred_at=getattr(event, "occurred_at", ""), endpoints=endpoints)


def register() -> None:
    # every published event (booking, inquiry, quote, invoice, complaint ones all derive from Event);
    # last, after the subscribers that do the change's own follow-up work
    events.subscribe(events.Event, on_event, durable=True, when=_concerns, priority=900)
