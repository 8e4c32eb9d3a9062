"""Moving a booking to another time: who may, until when, and to which times (decision 0142).

Reads only; the write is ``services.booking_reschedule``. Customers move a booking themselves when
the company allows it (``customers_may_reschedule``), until ``reschedule_notice_hours`` before the
start (its own cut-off, apart from the cancellation window), and only to a time the availability
finder offers: a time every fieldworker on the job is free (working, not on time off, not booked),
or, with nobody on the job yet, a time enough fieldworkers who offer the service are free. Staff
move a booking to any time; whoever on the job is not free then is replaced (``services``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.actors import Actor, Channel
from core.company.models import Company
from core.errors import DomainError, NotFound
from core.workforce import availability

from . import zones
from .models import ACTIVE_ASSIGNMENT, Booking, BookingAssignment, BookingLine, BookingStatus
from .policy import CUSTOMER_CANCEL_CHANNELS, is_assigned

CUSTOMER_CHANNELS = CUSTOMER_CANCEL_CHANNELS  # portal, e-mail link, SMS, GraphQL
SLOT_DAYS = 14  # how far past the cut-off free times are looked for
MAX_SLOTS = 20


@dataclass(frozen=True)
class RescheduleOptions:
    """Whether the actor may move the booking now, and (customers) the times they may pick."""

    allowed: bool
    slots: list[availability.Slot] = field(default_factory=list)
    code: str = ""
    message: str = ""


def _contact(company: Company) -> str:
    return f"Please contact {company.name}" + (f" on {company.phone}" if company.phone else "") + "."


def ensure_can_reschedule(booking: Booking, *, actor: Actor, channel: Channel | str, company: Company,
                          now: datetime) -> None:
    if not booking.is_open:
        raise DomainError("not_open", f"A {booking.get_status_display().lower()} booking cannot be moved.")
    if booking.status == BookingStatus.IN_PROGRESS:
        raise DomainError("too_late", "This booking has already started and can no longer be moved.")
    if actor.is_staff or actor.is_system:
        return
    if actor.is_customer:
        if not company.customers_may_reschedule:
            raise DomainError("reschedule_disabled", f"Bookings cannot be moved online. {_contact(company)}")
        if channel not in CUSTOMER_CHANNELS:
            raise DomainError("forbidden", "Customers cannot move bookings through this channel.")
        if booking.scheduled_start - now < timedelta(hours=company.reschedule_notice_hours):
            raise DomainError("too_late", f"Bookings can be moved online until {company.reschedule_notice_hours} "
                                          f"hours before they start. {_contact(company)}")
        return
    if actor.is_fieldworker and is_assigned(booking, actor):
        raise DomainError("forbidden", "Only the office or the customer can move a booking.")
    raise NotFound("booking")


def on_the_job(booking: Booking) -> list[int]:
    """The fieldworkers offered or holding the job, oldest offer first."""
    return list(BookingAssignment.objects.filter(booking=booking, status__in=ACTIVE_ASSIGNMENT)
                .order_by("offered_at", "id").values_list("fieldworker_id", flat=True))


def main_service_id(booking: Booking) -> int | None:
    """The service of the booking's first line that has one: what the finder looks for."""
    return (BookingLine.objects.filter(booking=booking, service__isnull=False).order_by("position", "id")
            .values_list("service_id", flat=True).first())


def offered_slots(booking: Booking, *, company: Company, now: datetime, limit: int = MAX_SLOTS
                  ) -> list[availability.Slot]:
    """The times a customer may move the booking to, earliest first: from the cut-off for
    ``SLOT_DAYS`` days, as long as the booking, at the booking's place."""
    assigned = on_the_job(booking)
    service_id = main_service_id(booking)
    if not assigned and service_id is None:
        return []  # nothing to ask the finder about: the office moves it
    start = now + timedelta(hours=company.reschedule_notice_hours)
    found = availability.available_slots(
        actor=Actor.system(), service_id=service_id, location=availability.Location.of_property(booking.property),
        start=start, end=start + timedelta(days=SLOT_DAYS), limit=availability.MAX_SLOTS,
        fieldworker_ids=assigned or None, duration=booking.scheduled_end - booking.scheduled_start,
        exclude_booking_id=booking.pk, time_zone=zones.zone_of(booking).key)
    if assigned:
        wanted = set(assigned)
        found = [slot for slot in found if wanted.issubset(slot.fieldworker_ids)]
    else:
        found = [slot for slot in found if len(slot.fieldworker_ids) >= booking.workers_required]
    return [slot for slot in found if slot.start != booking.scheduled_start][:limit]


def options(booking: Booking, *, actor: Actor, channel: Channel | str, company: Company, now: datetime,
            limit: int = MAX_SLOTS, with_slots: bool = True) -> RescheduleOptions:
    try:
        ensure_can_reschedule(booking, actor=actor, channel=channel, company=company, now=now)
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        return RescheduleOptions(False, [], exc.code, exc.message)
    if not with_slots:
        return RescheduleOptions(True)
    return RescheduleOptions(True, offered_slots(booking, company=company, now=now, limit=limit))
