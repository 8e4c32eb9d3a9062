"""Workforce events: schedule changes and change requests. They leave after commit through
``core.events.publish`` like booking events; they carry no booking id, so they are not
``DomainEvent`` subclasses (subscribe to ``WorkforceEvent`` or to one type)."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class WorkforceEvent(Event):
    fieldworker_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class FieldworkerCreated(WorkforceEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class FieldworkerUpdated(WorkforceEvent):
    """Profile fields changed (name, mobile, services, ...); a status change leaves as ``ScheduleChanged``."""

    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ScheduleChanged(WorkforceEvent):
    """Hours, time off, areas or status changed. ``conflict_booking_ids``: jobs it now clashes with."""

    what: str
    conflict_booking_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ChangeRequestFiled(WorkforceEvent):
    change_request_id: int
    kind: str
    summary: str
    booking_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeRequestDecided(WorkforceEvent):
    change_request_id: int
    kind: str
    approved: bool
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class FieldworkerMessageEvent(WorkforceEvent):
    """Something happened in a fieldworker's thread with the office (decision 0197). ``event_id`` is
    the id of the ``FieldworkerLog`` row the change wrote; the rest is the message as it stands, so a
    live view needs no read."""

    event_id: int
    message_id: int
    medium: str
    status: str
    kind: str = "message"
    inbound: bool = False
    action: str = ""
    error: str = ""
    attempts: int = 0
    next_attempt_at: str = ""
    occurred_at: str = ""


@dataclass(frozen=True, kw_only=True)
class FieldworkerMessaged(FieldworkerMessageEvent):
    """A message was written: staff sent one (queued; how it went follows), or the fieldworker texted us."""


@dataclass(frozen=True, kw_only=True)
class FieldworkerMessageStatusChanged(FieldworkerMessageEvent):
    """A message's delivery moved: sent, delivered, queued again for a retry, failed, skipped, retried."""
