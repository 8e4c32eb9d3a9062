"""No double booking: a fieldworker never holds two overlapping active assignments.

Each active assignment (offered or accepted, on an open booking) carries ``busy_from`` /
``busy_until``: the booking's window with the travel buffer added after its end. Two ranges
``[s1, e1 + b)`` and ``[s2, e2 + b)`` overlap exactly when the jobs are less than ``b`` apart.

* PostgreSQL: an exclusion constraint (``assignment_no_overlap``, migration bookings 0002) makes an
  overlap impossible; the check below only produces a friendly error naming the other job, and
  a race that slips past it hits the constraint, whose ``IntegrityError`` is mapped to the same
  ``fieldworker_conflict`` code.
* SQLite: the check below is the guard; it runs inside the caller's transaction, which holds the
  database write lock from BEGIN (IMMEDIATE transactions), so check-then-write is serialised.

The booking services call :func:`claim` when an assignment becomes active, :func:`resync` when
a booking is rescheduled and :func:`release` when it is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from core.errors import DomainError
from core.workforce.selectors import travel_buffer

from .models import ACTIVE_ASSIGNMENT, Booking, BookingAssignment

CONSTRAINT = "assignment_no_overlap"
CODE = "fieldworker_conflict"
MAX_JOB = timedelta(days=14)  # bookings last at most this long: bounds the index range scan


@dataclass(frozen=True)
class Clash:
    fieldworker_id: int
    booking_id: int
    number: int
    start: datetime
    end: datetime


def busy_range(start: datetime, end: datetime, buffer: timedelta | None = None) -> tuple[datetime, datetime]:
    return start, end + (travel_buffer() if buffer is None else buffer)


def overlapping(fieldworker_ids, start: datetime, end: datetime, *, buffer: timedelta | None = None,
                exclude_booking_id: int | None = None):
    """Active assignments of these fieldworkers that a job ``[start, end)`` would collide with."""
    buffer = travel_buffer() if buffer is None else buffer
    lo, hi = busy_range(start, end, buffer)
    qs = BookingAssignment.objects.filter(
        fieldworker_id__in=list(fieldworker_ids), status__in=ACTIVE_ASSIGNMENT,
        busy_from__lt=hi, busy_from__gte=lo - MAX_JOB - buffer, busy_until__gt=lo,
    )
    if exclude_booking_id is not None:
        qs = qs.exclude(booking_id=exclude_booking_id)
    return qs


def clashes(fieldworker_id: int, start: datetime, end: datetime, *, exclude_booking_id: int | None = None,
            buffer: timedelta | None = None) -> list[Clash]:
    rows = (overlapping([fieldworker_id], start, end, buffer=buffer, exclude_booking_id=exclude_booking_id)
            .select_related("booking").order_by("busy_from"))
    return [Clash(fieldworker_id, row.booking_id, row.booking.number, row.booking.scheduled_start,
                  row.booking.scheduled_end) for row in rows]


def conflict_error(fieldworker_id: int, found: list[Clash], name: str = "") -> DomainError:
    who = name or "This fieldworker"
    if found:
        first = found[0]
        message = f"{who} is already booked on #{first.number} at that time."
    else:
        message = f"{who} is already booked at that time."
    return DomainError(CODE, message, field="fieldworkerId", data={
        "fieldworker_id": fieldworker_id,
        "booking_ids": [clash.booking_id for clash in found],
        "numbers": [clash.number for clash in found],
    })


def is_overlap_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == CONSTRAINT
    return CONSTRAINT in str(exc)


@contextmanager
def guarded(fieldworker_id: int, name: str = "") -> Iterator[None]:
    """Run a write in a savepoint; the exclusion constraint's violation becomes ``fieldworker_conflict``."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if not is_overlap_violation(exc):
            raise
        raise conflict_error(fieldworker_id, [], name) from None


def ensure_free(fieldworker_id: int, booking: Booking, *, name: str = "") -> None:
    found = clashes(fieldworker_id, booking.scheduled_start, booking.scheduled_end, exclude_booking_id=booking.pk)
    if found:
        raise conflict_error(fieldworker_id, found, name)


def claim(assignment: BookingAssignment, booking: Booking) -> BookingAssignment:
    """Save ``assignment`` (new or re-offered) as holding the fieldworker for the booking's window."""
    name = assignment.fieldworker.name if assignment.fieldworker_id else ""
    ensure_free(assignment.fieldworker_id, booking, name=name)
    assignment.busy_from, assignment.busy_until = busy_range(booking.scheduled_start, booking.scheduled_end)
    with guarded(assignment.fieldworker_id, name):
        assignment.save()
    return assignment


def resync(booking: Booking) -> None:
    """After a reschedule: move every active assignment's range, refusing if one would now overlap."""
    lo, hi = busy_range(booking.scheduled_start, booking.scheduled_end)
    for assignment in booking.assignments.filter(status__in=ACTIVE_ASSIGNMENT).select_related("fieldworker"):
        ensure_free(assignment.fieldworker_id, booking, name=assignment.fieldworker.name)
        with guarded(assignment.fieldworker_id, assignment.fieldworker.name):
            BookingAssignment.objects.filter(pk=assignment.pk).update(busy_from=lo, busy_until=hi)


def holders(booking_id: int) -> list[tuple[int, str, bool]]:
    """(fieldworker, assignment status, holds their time) of each assignment of the booking, oldest
    offer first: every cancel and every comment asks it, in one query."""
    return [(fieldworker_id, status, busy_from is not None) for fieldworker_id, status, busy_from in
            BookingAssignment.objects.filter(booking_id=booking_id).order_by("offered_at", "id")
            .values_list("fieldworker_id", "status", "busy_from")]


def release(booking: Booking) -> None:
    """The booking no longer holds anyone's time (cancelled)."""
    BookingAssignment.objects.filter(booking=booking).update(busy_from=None, busy_until=None)


def release_assignment(assignment: BookingAssignment) -> None:
    """A declined offer frees the time."""
    assignment.busy_from = assignment.busy_until = None
