"""The nearby bookings locator: bounding box in SQL, exact distance in Python, same on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.nearby import bounding_box, nearby_bookings
from core.errors import DomainError
from core.geo import haversine_km
from tests.scheduling_support import job

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
CBD = (-33.8688, 151.2093)


@pytest.fixture
def window():
    start = timezone.now() + timedelta(days=2)
    return start, start + timedelta(days=1)


def test_sorted_by_distance_within_the_radius_and_window(window):
    start, end = window
    at = start + timedelta(hours=2)
    near = job(at, lat=-33.87, lng=151.21)            # ~0.1 km
    middle = job(at, lat=-33.90, lng=151.25)          # ~5 km
    edge = job(at, lat=-33.8688, lng=151.31)          # ~9.3 km
    job(at, lat=-33.8688, lng=151.33)                 # ~11 km: outside
    job(at, lat=-37.81, lng=144.96)                   # Melbourne
    job(end + timedelta(hours=1), lat=-33.87, lng=151.21)  # outside the window
    cancelled = job(at, lat=-33.87, lng=151.21)
    services.booking_cancel(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=cancelled.pk, reason="No longer needed")
    found = nearby_bookings(actor=SYSTEM, latitude=CBD[0], longitude=CBD[1], radius_km=10, start=start, end=end)
    assert [f.booking.pk for f in found] == [near.pk, middle.pk, edge.pk]
    assert found[2].distance_km == pytest.approx(haversine_km(*CBD, -33.8688, 151.31))
    assert 9 < found[2].distance_km < 10


def test_near_a_booking_leaves_that_booking_out(window):
    start, end = window
    ref = job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    other = job(start + timedelta(hours=3), lat=-33.88, lng=151.22)
    found = nearby_bookings(actor=SYSTEM, booking_id=ref.pk, radius_km=5, start=start, end=end)
    assert [f.booking.pk for f in found] == [other.pk]


def test_the_query_filters_by_the_box_in_sql(window):
    start, end = window
    job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    with CaptureQueriesContext(connection) as queries:
        nearby_bookings(actor=SYSTEM, latitude=CBD[0], longitude=CBD[1], radius_km=10, start=start, end=end)
    sql = queries.captured_queries[-1]["sql"]
    assert '"latitude" >=' in sql and '"longitude" <=' in sql and len(queries.captured_queries) == 1


def test_the_box_splits_at_the_antimeridian_and_opens_at_the_poles():
    _lo, _hi, ranges = bounding_box(-16.5, 179.9, 50)  # Fiji
    assert len(ranges) == 2 and ranges[0][1] == 180.0 and ranges[1][0] == -180.0
    _lo, _hi, ranges = bounding_box(89.9, 0, 50)
    assert ranges == [(-180.0, 180.0)]


def test_across_the_antimeridian(window):
    start, end = window
    east = job(start + timedelta(hours=1), lat=-16.5, lng=179.95)
    west = job(start + timedelta(hours=1), lat=-16.5, lng=-179.95)
    found = nearby_bookings(actor=SYSTEM, latitude=-16.5, longitude=179.99, radius_km=20, start=start, end=end)
    assert [f.booking.pk for f in found] == [east.pk, west.pk]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"radius_km": 0, "latitude": 0, "longitude": 0}, "out_of_range"),
    ({"radius_km": 501, "latitude": 0, "longitude": 0}, "out_of_range"),
    ({"radius_km": 5}, "required"),
    ({"radius_km": 5, "latitude": 91, "longitude": 0}, "out_of_range"),
    ({"radius_km": 5, "booking_id": 1, "latitude": 1, "longitude": 1}, "ambiguous"),
    ({"radius_km": 5, "booking_id": 999999}, "not_found"),
])
def test_bad_input(window, kwargs, code):
    start, end = window
    with pytest.raises(DomainError) as caught:
        nearby_bookings(actor=SYSTEM, start=start, end=end, **kwargs)
    assert caught.value.code == code


def test_only_staff(window, customer_actor, fieldworker_actor):
    start, end = window
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous()):
        with pytest.raises(DomainError) as caught:
            nearby_bookings(actor=actor, latitude=0, longitude=0, radius_km=5, start=start, end=end)
        assert caught.value.code == "forbidden"
