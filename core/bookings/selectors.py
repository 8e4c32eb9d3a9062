"""Reads for bookings, scoped once per actor. Every front reads through these."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.actors import Actor

from .models import ACTIVE_ASSIGNMENT, Booking, BookingAssignment, BookingComment, BookingEvent, LocationType


def visible_bookings(actor: Actor) -> QuerySet[Booking]:
    qs = Booking.objects.all()
    if actor.is_staff:
        return qs
    if actor.is_customer:
        return qs.filter(customer_id=actor.customer_id)
    if actor.is_fieldworker:
        return qs.filter(
            pk__in=BookingAssignment.objects.filter(
                fieldworker_id=actor.fieldworker_id, status__in=ACTIVE_ASSIGNMENT
            ).values("booking_id")
        )
    return qs.none()


def visible_assignments(actor: Actor) -> QuerySet[BookingAssignment]:
    qs = BookingAssignment.objects.all()
    if actor.is_staff:
        return qs
    if actor.is_fieldworker:
        return qs.filter(fieldworker_id=actor.fieldworker_id)
    if actor.is_customer:
        return qs.filter(booking__customer_id=actor.customer_id, status="accepted")
    return qs.none()


def visible_comments(actor: Actor) -> QuerySet[BookingComment]:
    qs = BookingComment.objects.filter(booking__in=visible_bookings(actor))
    if actor.is_customer:
        qs = qs.filter(visible_to_customer=True)
    return qs


CUSTOMER_HIDDEN_ACTIONS = ("owner_changed", "comment_added", "comment_delivery", "assigned", "declined",
                           "unassigned")


def visible_history(actor: Actor) -> QuerySet[BookingEvent]:
    if not (actor.is_staff or actor.is_fieldworker or actor.is_customer):
        return BookingEvent.objects.none()
    qs = BookingEvent.objects.filter(booking__in=visible_bookings(actor))
    if actor.is_customer:
        # customers see what happened to their booking, not staff-internal bookkeeping nor offers
        # to fieldworkers (who was asked, who declined and why); see decision 0120
        qs = qs.filter(~Q(action__in=CUSTOMER_HIDDEN_ACTIONS))
        # nor the forms filled for the office's own use (decision 0916)
        qs = qs.exclude(action="form_submitted", data__customer_visible=False)
    return qs


def booking_for(actor: Actor, booking_id: int) -> Booking | None:
    return visible_bookings(actor).filter(pk=booking_id).first()


def location_types(actor: Actor, *, active_only: bool = False) -> QuerySet[LocationType]:
    """The booking location type list, for anyone signed in."""
    qs = LocationType.objects.all() if actor.is_authenticated else LocationType.objects.none()
    return qs.filter(active=True) if active_only else qs
