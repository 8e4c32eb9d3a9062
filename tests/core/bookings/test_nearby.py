"""The nearby bookings locator: bounding box in SQL, exact distance in Python, same on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import Booking
from core.bookings.nearby import bounding_box, nearby_bookings
from core.crm import services as crm
from core.errors import DomainError
from core.geo import haversine_km
from tests import factories
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
    assert [f.booking_id for f in found] == [near.pk, middle.pk, edge.pk]
    assert found[2].distance_km == pytest.approx(haversine_km(*CBD, -33.8688, 151.31))
    assert 9 < found[2].distance_km < 10


def test_near_a_booking_leaves_that_booking_out(window):
    start, end = window
    ref = job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    other = job(start + timedelta(hours=3), lat=-33.88, lng=151.22)
    found = nearby_bookings(actor=SYSTEM, booking_id=ref.pk, radius_km=5, start=start, end=end)
    assert [f.booking_id for f in found] == [other.pk]


def test_the_query_filters_by_the_box_in_sql(window):
    start, end = window
    job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    with CaptureQueriesContext(connection) as queries:
        nearby_bookings(actor=SYSTEM, latitude=CBD[0], longitude=CBD[1], radius_km=10, start=start, end=end)
    sql = queries.captured_queries[-1]["sql"]
    assert "latitude >=" in sql and "longitude <=" in sql and len(queries.captured_queries) == 1
    # and an index answers it, not a table scan. On a table this small the planners' choice between
    # the box index and the start-time index is a coin toss (PostgreSQL would rather scan it
    # whole); bench/scheduling shows the box index at 200,000 bookings.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert ("Index Scan using" in plan or "Index Only Scan using" in plan if connection.vendor == "postgresql"
            else "USING INDEX" in plan or "USING COVERING INDEX" in plan), plan
    assert "Seq Scan" not in plan, plan


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
    assert [f.booking_id for f in found] == [east.pk, west.pk]


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


# --- the booking's copy of its property's place --------------------------------------------------


def test_a_booking_carries_its_propertys_place_and_follows_it(window):
    start, end = window
    booking = job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    booking.refresh_from_db()
    assert (booking.latitude, booking.longitude) == (-33.87, 151.21)
    # The property's coordinates are corrected: its bookings move with it, and the locator sees it.
    crm.property_update(actor=Actor.from_user(factories.staff_user()), channel=Channel.GRAPHQL,
                        property_id=booking.property_id, latitude=-37.81, longitude=144.96)
    booking.refresh_from_db()
    assert (booking.latitude, booking.longitude) == (-37.81, 144.96)
    assert nearby_bookings(actor=SYSTEM, latitude=CBD[0], longitude=CBD[1], radius_km=10, start=start, end=end) == []
    found = nearby_bookings(actor=SYSTEM, latitude=-37.81, longitude=144.96, radius_km=1, start=start, end=end)
    assert [f.booking_id for f in found] == [booking.pk]


def test_moving_a_booking_to_another_property_moves_its_place(window):
    start, _end = window
    booking = job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    other = factories.property_for(booking.customer, latitude=-27.47, longitude=153.03)
    services.booking_update(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=booking.pk, property_id=other.pk)
    booking.refresh_from_db()
    assert (booking.latitude, booking.longitude) == (-27.47, 153.03)
    services.booking_update(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=booking.pk, property_id=None)
    booking.refresh_from_db()
    assert (booking.latitude, booking.longitude) == (None, None)


def test_a_partly_loaded_booking_saves_without_reading_its_property(window):
    start, _end = window
    booking = job(start + timedelta(hours=1), lat=-33.87, lng=151.21)
    partial = Booking.objects.only("id", "notes").get(pk=booking.pk)
    partial.notes = "gate code 4411"
    with CaptureQueriesContext(connection) as queries:
        partial.save(update_fields=["notes"])
    assert len(queries.captured_queries) == 1  # the UPDATE alone: no refresh of property_id
    booking.refresh_from_db()
    assert (booking.notes, booking.latitude) == ("gate code 4411", -33.87)
