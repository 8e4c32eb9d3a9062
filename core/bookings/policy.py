"""Who may do what to a booking, and what cancelling costs. Guard clauses raise DomainError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core.actors import Actor, ActorKind, Channel
from core.company.models import Company, FeeType
from core.errors import DomainError, NotFound
from core.money import ZERO, percent_of, round_money

from .models import AssignmentStatus, Booking, BookingAssignment, BookingStatus

CUSTOMER_CANCEL_CHANNELS = frozenset({Channel.PORTAL, Channel.EMAIL_LINK, Channel.SMS, Channel.GRAPHQL})


def _assigned(booking_id: int, actor: Actor, *, accepted_only: bool = False) -> bool:
    statuses = [AssignmentStatus.ACCEPTED]
    if not accepted_only:
        statuses.append(AssignmentStatus.OFFERED)
    return BookingAssignment.objects.filter(booking_id=booking_id, fieldworker_id=actor.fieldworker_id,
                                            status__in=statuses).exists()


def is_assigned(booking: Booking, actor: Actor, *, accepted_only: bool = False) -> bool:
    if not actor.is_fieldworker:
        return False
    return _assigned(booking.pk, actor, accepted_only=accepted_only)


def ensure_visible(booking: Booking | None, actor: Actor, *, booking_id: int | None = None) -> Booking:
    """Denied rows look exactly like missing ones, in the answer and in the work done to reach it:
    a fieldworker's assignment is looked up by the id asked for (``booking_id``) whether or not a
    booking has it, so a row that exists costs the same queries as one that does not (decision 0150)."""
    if actor.is_staff or actor.is_system:
        if booking is None:
            raise NotFound("booking")
        return booking
    if actor.is_customer and booking is not None and booking.customer_id == actor.customer_id:
        return booking
    if actor.is_fieldworker:
        asked = booking.pk if booking is not None else booking_id
        if asked is not None and _assigned(asked, actor) and booking is not None:
            return booking
    raise NotFound("booking")


def ensure_staff(actor: Actor) -> None:
    if not (actor.is_staff or actor.is_system):
        raise DomainError("forbidden", "Only staff may do that.")


def ensure_transition(booking: Booking, new_status: str) -> None:
    if booking.status == new_status == BookingStatus.CANCELLED:
        raise DomainError("already_cancelled", "This booking is already cancelled.")
    if not booking.can_move_to(new_status):
        raise DomainError(
            "illegal_transition",
            f"A {booking.get_status_display().lower()} booking cannot become "
            f"{BookingStatus(new_status).label.lower()}.",
            field="status",
        )


def ensure_can_cancel(booking: Booking, *, actor: Actor, channel: Channel | str, company: Company,
                      now: datetime) -> None:
    ensure_transition(booking, BookingStatus.CANCELLED)
    if actor.is_staff or actor.is_system:
        return
    if actor.is_customer:
        if not company.customers_may_cancel:
            raise DomainError(
                "cancellation_disabled",
                f"Bookings cannot be cancelled online. Please contact {company.name}"
                + (f" on {company.phone}" if company.phone else "") + ".",
            )
        if channel not in CUSTOMER_CANCEL_CHANNELS:
            raise DomainError("forbidden", "Customers cannot cancel through this channel.")
        if booking.status == BookingStatus.IN_PROGRESS or booking.scheduled_start <= now:
            raise DomainError("too_late", "This booking has already started and can no longer be cancelled.")
        return
    if actor.is_fieldworker:
        if not company.fieldworkers_may_cancel:
            raise DomainError("forbidden", "Fieldworkers may not cancel bookings. Ask the office.")
        if not is_assigned(booking, actor, accepted_only=True):
            raise NotFound("booking")
        return
    raise NotFound("booking")


@dataclass(frozen=True)
class CustomerOptions:
    """What the customer may do to a booking themself, as the texts about it offer it: an SMS
    reply word or an e-mail button is printed only while the service behind it would accept it.
    (A customer "move" joins here, beside ``cancel``, when rescheduling by customers exists.)"""

    confirm: bool
    cancel: bool


def customer_options(booking: Booking, *, channel: Channel | str, company: Company, now: datetime) -> CustomerOptions:
    """The one answer to "what may the customer do?" for the SMS and e-mail texts (decision 0622).
    It asks the same guards the services ask, so a text never offers what would be refused."""
    customer = Actor(kind=ActorKind.CUSTOMER, customer_id=booking.customer_id)
    try:
        ensure_can_cancel(booking, actor=customer, channel=channel, company=company, now=now)
    except DomainError:
        cancel = False
    else:
        cancel = True
    confirm = booking.can_move_to(BookingStatus.CONFIRMED)  # booking_confirm: only a pending booking
    return CustomerOptions(confirm=confirm, cancel=cancel)


def is_past(booking: Booking, *, now: datetime) -> bool:
    """A booking that is over: recorded after the fact, it gets no confirmation (decision 0623)."""
    return booking.scheduled_end <= now


def inside_notice_window(booking: Booking, *, company: Company, now: datetime) -> bool:
    return booking.scheduled_start - now < timedelta(hours=company.cancellation_notice_hours)


def cancellation_fee(booking: Booking, *, company: Company, now: datetime, actor: Actor | None = None) -> Decimal:
    """The fee the company rule charges for cancelling now (zero outside the notice window).

    The customer pays for cancelling late, themself or through the office; never because a
    fieldworker called the job off (decision 0125)."""
    if actor is not None and actor.is_fieldworker:
        return ZERO
    if company.cancellation_fee_type == FeeType.NONE or not inside_notice_window(booking, company=company, now=now):
        return ZERO
    if company.cancellation_fee_type == FeeType.FIXED:
        return round_money(company.cancellation_fee_amount)
    return percent_of(booking.total, company.cancellation_fee_amount)
