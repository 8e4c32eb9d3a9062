"""Reads for the chat area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from core.actors import Actor
from core.bookings.models import OPEN_STATUSES, AssignmentStatus, Booking
from core.bookings.selectors import visible_bookings

from . import texts
from .models import ChatBinding, DeclineReason

DEFAULT_DECLINE_REASONS = ("Not available then", "Too far away", "Not my kind of job", "Unwell")


def active_bindings() -> QuerySet[ChatBinding]:
    return ChatBinding.objects.filter(unlinked_at__isnull=True)


def binding_for_chat(*, chat_id: int, telegram_user_id: int) -> ChatBinding | None:
    """The active binding of this private chat and person, or None: an unlinked chat gets nothing."""
    return (active_bindings().select_related("fieldworker", "fieldworker__user")
            .filter(chat_id=chat_id, telegram_user_id=telegram_user_id).first())


def binding_for_fieldworker(fieldworker_id: int) -> ChatBinding | None:
    return active_bindings().filter(fieldworker_id=fieldworker_id).first()


def actor_for(binding: ChatBinding) -> Actor:
    return Actor.for_fieldworker(binding.fieldworker)


def decline_reasons() -> list[tuple[int, str]]:
    """(id, label) of the configured reasons; the defaults (ids 0..n-1 negated) when none are set."""
    rows = list(DeclineReason.objects.filter(active=True).values_list("pk", "label"))
    if rows:
        return rows
    return [(-(index + 1), label) for index, label in enumerate(DEFAULT_DECLINE_REASONS)]


def decline_reason_label(reason_id: int) -> str | None:
    return dict(decline_reasons()).get(reason_id)


@dataclass(frozen=True)
class Day:
    start: datetime
    end: datetime


def local_day(day: date | None = None) -> Day:
    tz = texts.company_zone()
    day = day or timezone.now().astimezone(tz).date()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return Day(start, end)


def my_jobs(actor: Actor) -> QuerySet[Booking]:
    """Open bookings this fieldworker accepted, soonest first."""
    return (visible_bookings(actor)
            .filter(status__in=OPEN_STATUSES, assignments__fieldworker_id=actor.fieldworker_id,
                    assignments__status=AssignmentStatus.ACCEPTED)
            .select_related("property").prefetch_related("lines").order_by("scheduled_start", "id"))


def jobs_today(actor: Actor, day: date | None = None) -> list[Booking]:
    window = local_day(day)
    return list(my_jobs(actor).filter(scheduled_start__lt=window.end, scheduled_end__gt=window.start))


def next_job(actor: Actor) -> Booking | None:
    return my_jobs(actor).filter(scheduled_end__gt=timezone.now()).first()


def upcoming_jobs(actor: Actor, limit: int = 10) -> list[Booking]:
    return list(my_jobs(actor).filter(scheduled_end__gt=timezone.now())[:limit])


def open_offers(actor: Actor) -> list[Booking]:
    return list(visible_bookings(actor).filter(
        status__in=OPEN_STATUSES, assignments__fieldworker_id=actor.fieldworker_id,
        assignments__status=AssignmentStatus.OFFERED, scheduled_end__gt=timezone.now(),
    ).select_related("property").prefetch_related("lines").order_by("scheduled_start", "id"))
