from __future__ import annotations

from django.db.models import Q, QuerySet

from core.actors import Actor

from .models import Fieldworker


def visible_fieldworkers(actor: Actor) -> QuerySet[Fieldworker]:
    qs = Fieldworker.objects.all()
    if actor.is_staff:
        return qs
    if actor.is_fieldworker:  # themself and their team: the lead and the subworkers (decision 0181)
        own = Fieldworker.objects.filter(pk=actor.fieldworker_id).values("lead_id")
        return qs.filter(Q(pk=actor.fieldworker_id) | Q(lead_id=actor.fieldworker_id) | Q(pk__in=own))
    if actor.is_customer:
        # the people coming to their own jobs
        return qs.filter(
            assignments__booking__customer_id=actor.customer_id, assignments__status="accepted"
        ).distinct()
    return qs.none()


def scheduling_settings():
    """The one scheduling-settings row, created with defaults on first read."""
    from .models import SchedulingSettings

    row = SchedulingSettings.objects.filter(pk=1).first()
    if row is None:
        row, _ = SchedulingSettings.objects.get_or_create(pk=1)
    return row


def travel_buffer():
    from datetime import timedelta

    return timedelta(minutes=scheduling_settings().travel_buffer_minutes)


def may_answer_for(actor: Actor, fieldworker_id: int) -> bool:
    """Whether a fieldworker actor may accept or decline an offer made to ``fieldworker_id``: their
    own, or one of a subworker in the team they lead (decision 0181)."""
    if not actor.is_fieldworker:
        return False
    if actor.fieldworker_id == fieldworker_id:
        return True
    return Fieldworker.objects.filter(pk=fieldworker_id, lead_id=actor.fieldworker_id).exists()


def bookings_to_reassign(fieldworker_id: int):
    """The open bookings from now on that the fieldworker still holds (offered or accepted), soonest
    first: what staff reassign after blocking or deactivating them."""
    from django.utils import timezone

    from core.bookings.models import ACTIVE_ASSIGNMENT, OPEN_STATUSES, Booking

    return (Booking.objects.filter(status__in=OPEN_STATUSES, scheduled_start__gte=timezone.now(),
                                   assignments__fieldworker_id=fieldworker_id,
                                   assignments__status__in=ACTIVE_ASSIGNMENT)
            .distinct().order_by("scheduled_start", "id"))
