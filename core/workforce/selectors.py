from __future__ import annotations

from django.db.models import QuerySet

from core.actors import Actor

from .models import Fieldworker


def visible_fieldworkers(actor: Actor) -> QuerySet[Fieldworker]:
    qs = Fieldworker.objects.all()
    if actor.is_staff:
        return qs
    if actor.is_fieldworker:
        return qs.filter(pk=actor.fieldworker_id)
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
