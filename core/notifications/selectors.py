"""Reads for the SMS log, prompts and opt-out state."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.actors import Actor
from core.bookings.models import OPEN_STATUSES

from .models import PromptKind, SmsMessage, SmsOptOut, SmsPrompt


def visible_sms(actor: Actor) -> QuerySet[SmsMessage]:
    """The SMS history is for staff: it holds other people's numbers and internal replies."""
    if actor.is_staff:
        return SmsMessage.objects.all()
    return SmsMessage.objects.none()


def sms_history(actor: Actor, *, customer_id: int | None = None, booking_id: int | None = None
                ) -> QuerySet[SmsMessage]:
    qs = visible_sms(actor)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if booking_id is not None:
        qs = qs.filter(booking_id=booking_id)
    return qs.order_by("created_at", "id")


def is_opted_out(number: str) -> bool:
    return SmsOptOut.objects.filter(number=number, opted_out=True).exists()


def _open_on_pair(customer_number: str, our_number: str) -> QuerySet[SmsPrompt]:
    now = timezone.now()
    return (SmsPrompt.objects.filter(customer_number=customer_number, closed_at__isnull=True)
            .filter(Q(our_number=our_number) | Q(our_number=""))
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)))


def open_prompts(customer_number: str, our_number: str) -> list[SmsPrompt]:
    """Every open prompt on the pair, newest first, with its booking and customer: one query for
    everything an inbound reply needs to know about what we asked."""
    return list(_open_on_pair(customer_number, our_number).select_related("booking__customer")
                .only("kind", "data", "booking_id", "created_at", *PROMPT_BOOKING_FIELDS)
                .order_by("-created_at", "-id"))


# What a reply needs of a prompted booking: enough to word the answer and to call the service.
PROMPT_BOOKING_FIELDS = (
    "booking__number", "booking__status", "booking__scheduled_start", "booking__time_zone",
    "booking__customer_id", "booking__customer__name", "booking__customer__mobile", "booking__customer__user_id",
)


def open_dialog(customer_number: str, our_number: str) -> SmsPrompt | None:
    """The latest open question we asked on this pair (which booking? accept the fee?)."""
    return _open_on_pair(customer_number, our_number).exclude(kind=PromptKind.BOOKING).first()


def prompted_open_booking_ids(customer_number: str, our_number: str) -> list[int]:
    """Bookings an actionable SMS on this pair was about and that are still open, newest first."""
    rows = (_open_on_pair(customer_number, our_number).filter(kind=PromptKind.BOOKING,
                                                              booking__status__in=OPEN_STATUSES)
            .values_list("booking_id", flat=True))
    seen: list[int] = []
    for booking_id in rows:
        if booking_id not in seen:
            seen.append(booking_id)
    return seen
