"""Reads for the chat area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from core.actors import Actor
from core.bookings import policy
from core.bookings.models import OPEN_STATUSES, AssignmentStatus, Booking, BookingComment
from core.bookings.selectors import visible_bookings, visible_comments

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


# --- the discussion of a job, as a fieldworker reads it in the chat --------------------------------------

THREAD_WITH_CUSTOMER = 10
THREAD_INTERNAL = 5


def job_by_number(actor: Actor, number: int) -> Booking | None:
    """A job this fieldworker is on (offered or accepted), by the number people read (``#1042``)."""
    return visible_bookings(actor).filter(number=number).select_related("customer", "property").first()


def on_job(actor: Actor, booking: Booking) -> bool:
    """Accepted (not merely offered): the fieldworker may write to the customer."""
    return policy.is_assigned(booking, actor, accepted_only=True)


@dataclass(frozen=True)
class Discussion:
    with_customer: list[BookingComment]  # oldest first, the latest THREAD_WITH_CUSTOMER
    internal: list[BookingComment]  # oldest first, the latest THREAD_INTERNAL
    more_with_customer: bool
    more_internal: bool


def _latest(qs: QuerySet[BookingComment], limit: int) -> tuple[list[BookingComment], bool]:
    rows = list(qs.order_by("-created_at", "-id")[:limit + 1])
    return rows[:limit][::-1], len(rows) > limit


def discussion(actor: Actor, booking: Booking) -> Discussion:
    """The recent messages of a job's discussion that ``actor`` may read, customer-visible ones apart
    from internal notes (two queries)."""
    comments = visible_comments(actor).filter(booking_id=booking.pk).only(
        "author_kind", "author_name", "author_user_id", "body", "visible_to_customer", "created_at")
    with_customer, more_with_customer = _latest(comments.filter(visible_to_customer=True), THREAD_WITH_CUSTOMER)
    internal, more_internal = _latest(comments.filter(visible_to_customer=False), THREAD_INTERNAL)
    return Discussion(with_customer, internal, more_with_customer, more_internal)
