"""Scoped reads of complaints (decision 0103).

Who sees a complaint: staff every one; a customer their own customer-visible ones; a fieldworker the
customer-visible complaints on bookings they accepted (decision 0932). The history is the office's.
"""

from __future__ import annotations

from django.db.models import QuerySet

from core.actors import Actor
from core.bookings.models import AssignmentStatus, BookingAssignment

from .defaults import ensure_lists
from .models import Complaint, ComplaintEvent, ComplaintStatus, ComplaintType


def visible_complaints(actor: Actor) -> QuerySet[Complaint]:
    qs = Complaint.objects.all()
    if actor.is_staff or actor.is_system:
        return qs
    if actor.is_customer and actor.customer_id is not None:
        return qs.filter(customer_id=actor.customer_id, visible_to_customer=True)
    if actor.is_fieldworker and actor.fieldworker_id is not None:
        accepted = BookingAssignment.objects.filter(fieldworker_id=actor.fieldworker_id,
                                                    status=AssignmentStatus.ACCEPTED)
        return qs.filter(booking_id__in=accepted.values("booking_id"), visible_to_customer=True)
    return qs.none()


def visible_history(actor: Actor) -> QuerySet[ComplaintEvent]:
    """The office's record: staff only."""
    return ComplaintEvent.objects.all() if (actor.is_staff or actor.is_system) else ComplaintEvent.objects.none()


def open_complaints(actor: Actor, *, limit: int = 100) -> list[Complaint]:
    """The open complaints the actor may see, oldest first (the dashboard's panel), in one query."""
    return list(visible_complaints(actor).filter(is_resolved=False)
                .select_related("booking", "customer", "type", "status", "owner")
                .order_by("created_at", "id")[:limit])


def complaint_types(actor: Actor, *, active_only: bool = False) -> QuerySet[ComplaintType]:
    ensure_lists()
    qs = ComplaintType.objects.all() if actor.is_authenticated or actor.is_system else ComplaintType.objects.none()
    return qs.filter(active=True) if active_only else qs


def complaint_statuses(actor: Actor, *, active_only: bool = False) -> QuerySet[ComplaintStatus]:
    ensure_lists()
    qs = ComplaintStatus.objects.all() if actor.is_authenticated or actor.is_system else ComplaintStatus.objects.none()
    return qs.filter(active=True) if active_only else qs
