"""Keeps each booking's copy of its property's coordinates in step when the property moves.

A booking copies ``latitude``/``longitude`` from its property when it is saved (``Booking.save``);
a property whose coordinates are corrected later moves its bookings with it here, so the nearby
locator never searches by a stale place. (``QuerySet.update`` on properties sends no signal: the crm
services save properties one by one.)
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save

from core.crm.models import Property

from .models import Booking


def _property_saved(sender: Any, instance: Property, created: bool = False, **kwargs: Any) -> None:
    if created:
        return
    stale = ~Q(latitude=instance.latitude) | ~Q(longitude=instance.longitude)
    if instance.latitude is None or instance.longitude is None:
        stale = Q(latitude__isnull=False) | Q(longitude__isnull=False)
    Booking.objects.filter(stale, property_id=instance.pk).update(latitude=instance.latitude,
                                                                  longitude=instance.longitude)


def connect() -> None:
    post_save.connect(_property_saved, sender=Property, dispatch_uid="bookings-follow-property")
