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
