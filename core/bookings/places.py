"""Keeps each booking's copy of its property's coordinates in step when the property moves.

A booking copies ``latitude``/``longitude`` from its property when it is saved (``Booking.save``);
a property whose coordinates are corrected later moves its bookings with it, from the one service that
changes a property's place (``core.crm.services.property_update``), in the same transaction, so the
nearby locator never searches by a stale place.
"""

from __future__ import annotations

from django.db.models import Q

from .models import Booking


def bookings_follow_property(*, property_id: int, latitude: float | None, longitude: float | None) -> int:
    """Move the bookings of ``property_id`` to its new place; returns how many moved."""
    stale = ~Q(latitude=latitude) | ~Q(longitude=longitude)
    if latitude is None or longitude is None:
        stale = Q(latitude__isnull=False) | Q(longitude__isnull=False)
    return Booking.objects.filter(stale, property_id=property_id).update(latitude=latitude, longitude=longitude)
