"""Job data events: what happens to custom field definitions, groups, profile settings and the
values of objects other than bookings (a booking's values leave as its own ``TimelineNoted``).
``event_id`` is the id of the ``JobDataLog`` row the change wrote."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class JobDataEvent(Event):
    event_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""


@dataclass(frozen=True, kw_only=True)
class CustomFieldChanged(JobDataEvent):
    """A definition was added, changed, archived or moved."""

    field_id: int
    target: str
    change: str  # created, updated, archived, reordered


@dataclass(frozen=True, kw_only=True)
class CustomFieldGroupChanged(JobDataEvent):
    group_id: int
    target: str
    change: str


@dataclass(frozen=True, kw_only=True)
class CustomFieldValuesSet(JobDataEvent):
    target: str
    object_id: int
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProfileFieldsChanged(JobDataEvent):
    profile: str


@dataclass(frozen=True, kw_only=True)
class FormTemplateChanged(JobDataEvent):
    """A form template was created, edited (``version`` is its newest) or archived."""

    object_id: int
    change: str  # created, updated, archived
    version: int = 0


@dataclass(frozen=True, kw_only=True)
class FormAnswersSaved(JobDataEvent):
    """Answers of a form being filled were saved (a draft; submitting is on the booking's timeline)."""

    object_id: int  # the submission
    booking_id: int
    template_id: int
    keys: tuple[str, ...] = ()
