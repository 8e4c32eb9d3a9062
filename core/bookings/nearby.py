"""The nearby bookings locator: open bookings within a radius of a point or of another booking.

Index-backed on both databases: the booking's start time and a bounding box on the booking's copy
of its property's latitude/longitude, together in one partial index of open bookings
(``booking_open_place_idx``), narrow the rows in SQL; the exact
great-circle (haversine) distance is then computed for those few rows only, filtered by the
radius and sorted. No PostGIS or SpatiaLite needed (docs/decisions/0304).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from core.actors import Actor
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.geo import EARTH_RADIUS_KM, haversine_km

from .models import OPEN_STATUSES, Booking
from .selectors import visible_bookings

MAX_RADIUS_KM = 500.0
MAX_WINDOW = timedelta(days=62)
MAX_RESULTS = 200


@dataclass(frozen=True)
class NearbyBooking:
    booking: Booking
    distance_km: float


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, list[tuple[float, float]]]:
    """(min_lat, max_lat, longitude ranges): a box that contains the circle; split at the antimeridian."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:  # a pole inside the circle: every longitude
        return max(min_lat, -90.0), min(max_lat, 90.0), [(-180.0, 180.0)]
    dlon = math.degrees(math.asin(min(1.0, math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(lat)))))
    lo, hi = lon - dlon, lon + dlon
    if lo < -180:
        return min_lat, max_lat, [(lo + 360, 180.0), (-180.0, hi)]
    if hi > 180:
        return min_lat, max_lat, [(lo, 180.0), (-180.0, hi - 360)]
    return min_lat, max_lat, [(lo, hi)]


def nearby_bookings(*, actor: Actor, radius_km: float, start: datetime, end: datetime,
                    booking_id: int | None = None, latitude: float | None = None, longitude: float | None = None,
                    limit: int = 50) -> list[NearbyBooking]:
    """Open bookings starting in ``[start, end)`` within ``radius_km`` of a point or of a booking's
    property, nearest first (the reference booking itself is left out)."""
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff may search bookings by place.")
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise ValidationFailed("radiusKm", f"A radius above 0 and at most {MAX_RADIUS_KM:.0f} km.",
                               code="out_of_range")
    if not 1 <= limit <= MAX_RESULTS:
        raise ValidationFailed("limit", f"Between 1 and {MAX_RESULTS}.", code="out_of_range")
    for value, name in ((start, "from"), (end, "to")):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationFailed(name, "A date and time with a zone offset is required.", code="invalid_datetime")
    if end <= start:
        raise ValidationFailed("to", "The end must be after the start.", code="end_before_start")
    if end - start > MAX_WINDOW:
        raise ValidationFailed("to", "At most 62 days at a time.", code="too_long")
    base = Booking.objects.all() if actor.is_system else visible_bookings(actor)
    if booking_id is not None:
        if latitude is not None or longitude is not None:
            raise ValidationFailed("near", "Give a booking or a point, not both.", code="ambiguous")
        ref = base.select_related("property").filter(pk=booking_id).first()
        if ref is None:
            raise NotFound("booking", field="bookingId")
        if ref.property is None or ref.property.latitude is None or ref.property.longitude is None:
            raise ValidationFailed("bookingId", "That booking has no location.", code="no_location")
        latitude, longitude = ref.property.latitude, ref.property.longitude
    elif latitude is None or longitude is None:
        raise ValidationFailed("near", "Give a booking or a point.", code="required")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationFailed("near", "Latitude or longitude out of range.", code="out_of_range")

    min_lat, max_lat, lon_ranges = bounding_box(latitude, longitude, radius_km)
    lon_q = Q()
    for lo, hi in lon_ranges:
        lon_q |= Q(longitude__gte=lo, longitude__lte=hi)
    rows = (
        base
        .filter(lon_q, latitude__gte=min_lat, latitude__lte=max_lat,
                scheduled_start__gte=start, scheduled_start__lt=end, status__in=OPEN_STATUSES)
        .exclude(pk=booking_id or 0)
        .select_related("property")
        .order_by()
    )
    found = []
    for booking in rows:
        distance = haversine_km(latitude, longitude, booking.latitude, booking.longitude)
        if distance <= radius_km:
            found.append(NearbyBooking(booking, distance))
    found.sort(key=lambda item: (item.distance_km, item.booking.scheduled_start, item.booking.pk))
    return found[:limit]
