"""SMS log events for other apps: a status report moved a text along. Published inside the report's
transaction, so a durable subscriber's writes commit with it (``core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class SmsStatusReported(Event):
    """A delivery report moved an outbound text (``kind``) to ``status``. Published for the kinds whose
    sender follows its texts: messages to fieldworkers (``core.workforce.messaging``)."""

    sms_message_id: int
    kind: str
    status: str
    error: str = ""
    channel: str
    actor_kind: str
