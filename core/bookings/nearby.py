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

from django.db import connection
from django.utils import timezone

from core.actors import Actor
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.geo import EARTH_RADIUS_KM, haversine_km

from .models import OPEN_STATUSES, Booking

MAX_RADIUS_KM = 500.0
MAX_WINDOW = timedelta(days=62)
MAX_RESULTS = 200


@dataclass(frozen=True)
class NearbyBooking:
    """A booking found near the point: its id, start and great-circle distance. The locator reads
    only the index's columns; callers load the rows they show (``load_bookings``), with the related
    rows they need, in one query."""

    booking_id: int
    scheduled_start: datetime
    distance_km: float


def load_bookings(found: list[NearbyBooking], *related: str) -> dict[int, Booking]:
    """The bookings of ``found`` by id (one query; ``related`` are passed to ``select_related``)."""
    return Booking.objects.select_related(*related).in_bulk([item.booking_id for item in found])


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
    if booking_id is not None:
        if latitude is not None or longitude is not None:
            raise ValidationFailed("near", "Give a booking or a point, not both.", code="ambiguous")
        ref = Booking.objects.select_related("property").filter(pk=booking_id).first()
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
    sql, params = _box_query(start, end, min_lat, max_lat, lon_ranges, booking_id or 0)
    to_datetime = _start_converters()
    found = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, starts, lat, lon in cursor.fetchall():
            distance = haversine_km(latitude, longitude, lat, lon)
            if distance <= radius_km:
                for convert, expression in to_datetime:
                    starts = convert(starts, expression, connection)
                found.append(NearbyBooking(pk, starts, distance))
    found.sort(key=lambda item: (item.distance_km, item.scheduled_start, item.booking_id))
    return found[:limit]


def _box_query(start: datetime, end: datetime, min_lat: float, max_lat: float,
               lon_ranges: list[tuple[float, float]], exclude_id: int) -> tuple[str, list]:
    """The locator's one statement: open bookings starting in the window inside the box.

    Written out rather than built by the ORM (whose query building was a third of the locator's
    time): four columns, all in ``booking_open_place_idx`` but the id. Only staff and the system
    get here, and they see every booking, so no row scope applies. The open statuses are written
    into the text, not bound, so that SQLite (and PostgreSQL) can match the partial index's
    condition."""
    table = Booking._meta.db_table
    statuses = ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
    lon_sql = " OR ".join(["(longitude >= %s AND longitude <= %s)"] * len(lon_ranges))
    sql = (f"SELECT id, scheduled_start, latitude, longitude FROM {table} "  # noqa: S608 (values bound)
           f"WHERE status IN ({statuses}) AND scheduled_start >= %s AND scheduled_start < %s "
           f"AND latitude >= %s AND latitude <= %s AND ({lon_sql}) AND id <> %s")
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [adapt(start), adapt(end), min_lat, max_lat]
    for lo, hi in lon_ranges:
        params += [lo, hi]
    params.append(exclude_id)
    return sql, params


def _start_converters() -> list:
    """What the ORM would apply to a ``scheduled_start`` value read from this database."""
    field = Booking._meta.get_field("scheduled_start")
    column = field.get_col(Booking._meta.db_table)
    converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
    return [(convert, column) for convert in converters]
