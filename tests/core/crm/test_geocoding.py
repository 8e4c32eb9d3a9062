"""Properties saved without coordinates get them from the geocoder (the real Google client against a
fake Geocoding API on 127.0.0.1): once per address (cached), retried by a deferred task when the
geocoder fails for a while, then found by the nearby search and the availability finder (decision 0193)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.tasks import run_ready
from core import events
from core.actors import Actor, Channel
from core.bookings.nearby import nearby_bookings
from core.crm import services
from core.crm.events import PropertyUpdated
from core.crm.imports import customers_import
from core.crm.models import CustomerLog, GeocodeCacheEntry, GeocodeStatus, Property
from core.errors import DomainError
from core.workforce.availability import Location, available_fieldworkers
from tests import factories
from tests.conftest import EventRecorder
from tests.core.crm import fake_geocoder
from tests.core.crm.test_imports import csv_bytes, row
from tests.scheduling_support import next_weekday, weekdays_9_to_5, worker

pytestmark = pytest.mark.django_db
SYDNEY = (-33.8688, 151.2093)
PARRAMATTA = (-33.8150, 151.0011)


@pytest.fixture
def google(settings):
    fake = fake_geocoder.start()
    settings.GEOCODER_BACKEND = "core.crm.geocoding.GoogleGeocoder"
    settings.GOOGLE_MAPS_API_BASE_URL, settings.GOOGLE_MAPS_API_KEY = fake.url, "test-key"
    settings.FIELDOPS_RETRY_BASE, settings.FIELDOPS_RETRY_CAP, settings.FIELDOPS_RETRY_ATTEMPTS = 30, 90, 3
    fake.add("1 George St, Sydney, 2000", *SYDNEY)
    fake.add("9 Church St, Parramatta, 2150", *PARRAMATTA)
    yield fake
    fake.stop()


def time_passes() -> int:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now() - timedelta(seconds=1))
    return run_ready()


def create(staff_actor, customer, address="1 George St", city="Sydney", postcode="2000", **extra) -> Property:
    return services.property_create(actor=staff_actor, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                    address=address, city=city, postcode=postcode, **extra)


def test_a_property_saved_without_coordinates_gets_them(google, staff_actor, customer,
                                                        django_capture_on_commit_callbacks):
    recorder = EventRecorder()
    events.subscribe(PropertyUpdated, recorder.seen.append)
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer)
    prop.refresh_from_db()
    assert (prop.latitude, prop.longitude, prop.geocode_status) == (*SYDNEY, GeocodeStatus.FOUND)
    assert google.received == [{"path": "/maps/api/geocode/json", "address": "1 George St, Sydney, 2000",
                                "region": "au", "key": "test-key"}]
    entry = CustomerLog.objects.get(customer=customer, action="property_geocoded")
    assert (entry.channel, entry.actor_kind) == ("system", "system")
    assert entry.changes == {"latitude": [None, SYDNEY[0]], "longitude": [None, SYDNEY[1]]}
    assert entry.data["formatted_address"] == "1 George St, Sydney, 2000, Australia"
    events.unsubscribe(PropertyUpdated, recorder.seen.append)
    assert [(e.event_id, e.property_id, e.changed) for e in recorder.all()] == [
        (entry.pk, prop.pk, ("latitude", "longitude"))]


def test_the_task_row_carries_the_property_id_only(google, staff_actor, customer):
    prop = create(staff_actor, customer)
    row = DBTaskResult.objects.get(task_path="core.crm.places.geocode_property")
    assert row.args_kwargs == {"args": [prop.pk], "kwargs": {}}
    assert Property.objects.get(pk=prop.pk).geocode_status == GeocodeStatus.PENDING


def test_typed_coordinates_are_kept_and_nothing_is_asked(google, staff_actor, customer,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer, latitude=-34.0, longitude=151.0)
    prop.refresh_from_db()
    assert (prop.latitude, prop.longitude, prop.geocode_status) == (-34.0, 151.0, "")
    assert google.received == []
    assert not DBTaskResult.objects.exists()


def test_one_question_per_address_whatever_the_number_of_properties(google, staff_actor,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = create(staff_actor, factories.customer())
    with django_capture_on_commit_callbacks(execute=True):
        second = create(staff_actor, factories.customer(), address=" 1  george st ", city="SYDNEY")
    assert len(google.received) == 1
    assert GeocodeCacheEntry.objects.count() == 1
    for prop in (first, second):
        prop.refresh_from_db()
        assert (prop.latitude, prop.longitude) == SYDNEY


def test_an_unknown_address_is_not_found_and_cached(google, staff_actor, customer,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer, address="1 Nowhere Rd", city="Atlantis")
    prop.refresh_from_db()
    assert (prop.latitude, prop.geocode_status) == (None, GeocodeStatus.NOT_FOUND)
    assert GeocodeCacheEntry.objects.get().found is False
    with django_capture_on_commit_callbacks(execute=True):
        create(staff_actor, customer, address="1 Nowhere Rd", city="Atlantis")
    assert len(google.received) == 1


@pytest.mark.parametrize("failure", [503, 429, "OVER_QUERY_LIMIT", "UNKNOWN_ERROR"])
def test_a_geocoder_outage_is_retried_by_a_deferred_task_until_it_is_back(failure, google, staff_actor, customer,
                                                                          django_capture_on_commit_callbacks):
    google.failures = [failure, failure]
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer)
    prop.refresh_from_db()
    assert (prop.latitude, prop.geocode_status, prop.geocode_attempts) == (None, GeocodeStatus.PENDING, 1)
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.run_after > timezone.now() + timedelta(seconds=20)  # deferred, not a poll
    assert run_ready() == 0
    time_passes()
    prop.refresh_from_db()
    assert (prop.geocode_status, prop.geocode_attempts) == (GeocodeStatus.PENDING, 2)
    time_passes()
    prop.refresh_from_db()
    assert (prop.latitude, prop.longitude, prop.geocode_status) == (*SYDNEY, GeocodeStatus.FOUND)
    assert len(google.received) == 3
    assert not GeocodeCacheEntry.objects.filter(found=False).exists()  # failures are not cached


def test_after_the_last_attempt_the_property_is_failed(google, staff_actor, customer,
                                                       django_capture_on_commit_callbacks):
    google.failures = [500] * 5
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer)
    time_passes()
    time_passes()
    prop.refresh_from_db()
    assert (prop.latitude, prop.geocode_status, prop.geocode_attempts) == (None, GeocodeStatus.FAILED, 3)
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert len(google.received) == 3


@pytest.mark.parametrize("failure", [403, "REQUEST_DENIED", "INVALID_REQUEST"])
def test_a_refusal_fails_at_once(failure, google, staff_actor, customer, django_capture_on_commit_callbacks):
    google.failures = [failure]
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer)
    prop.refresh_from_db()
    assert (prop.geocode_status, prop.geocode_attempts) == (GeocodeStatus.FAILED, 1)
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_an_unreachable_geocoder_is_retried(settings, staff_actor, customer, django_capture_on_commit_callbacks):
    settings.GEOCODER_BACKEND = "core.crm.geocoding.GoogleGeocoder"
    settings.GOOGLE_MAPS_API_BASE_URL, settings.GOOGLE_MAPS_API_KEY = "http://127.0.0.1:9", "k"
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer)
    prop.refresh_from_db()
    assert (prop.geocode_status, prop.geocode_attempts) == (GeocodeStatus.PENDING, 1)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_a_new_address_drops_the_old_coordinates_and_finds_the_new(google, staff_actor, customer,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        prop = create(staff_actor, customer)
    booking = factories.booking(cust=customer, prop=prop)
    with django_capture_on_commit_callbacks(execute=True):
        services.property_update(actor=staff_actor, channel=Channel.GRAPHQL, property_id=prop.pk,
                                 address="9 Church St", city="Parramatta", postcode="2150")
    prop.refresh_from_db()
    booking.refresh_from_db()
    assert (prop.latitude, prop.longitude, prop.geocode_status) == (*PARRAMATTA, GeocodeStatus.FOUND)
    assert (booking.latitude, booking.longitude) == PARRAMATTA  # the booking follows its property
    with django_capture_on_commit_callbacks(execute=True):
        services.property_update(actor=staff_actor, channel=Channel.GRAPHQL, property_id=prop.pk, label="Office",
                                 latitude=-33.9, longitude=151.1)
    prop.refresh_from_db()
    assert (prop.latitude, prop.geocode_status) == (-33.9, "")
    assert len(google.received) == 2


def test_only_the_system_geocodes(google, staff_actor, customer):
    prop = create(staff_actor, customer)
    with pytest.raises(DomainError, match="not_found"):
        services.property_geocode(actor=staff_actor, channel=Channel.GRAPHQL, property_id=prop.pk)
    assert Property.objects.get(pk=prop.pk).latitude is None
    assert google.received == []


def test_imported_properties_are_geocoded_in_batches_then_found_nearby_and_by_the_finder(
        google, staff_actor, settings, django_capture_on_commit_callbacks, monkeypatch):
    from core.crm import places

    monkeypatch.setattr(places, "BATCH", 2)
    data = csv_bytes([row(1, address="1 George St"), row(2, address="9 Church St", city="Parramatta",
                                                         postcode="2150"), row(3, address="1 George St", city="Sydney")])
    with django_capture_on_commit_callbacks(execute=True):
        customers_import(actor=staff_actor, channel=Channel.GRAPHQL, file=data)
    tasks = DBTaskResult.objects.filter(task_path="core.crm.places.geocode_pending").order_by("enqueued_at")
    assert [t.args_kwargs["args"] for t in tasks] == [[], [Property.objects.order_by("pk")[1].pk]]
    coords = list(Property.objects.order_by("pk").values_list("latitude", "longitude", "geocode_status"))
    assert coords == [(*SYDNEY, "found"), (*PARRAMATTA, "found"), (*SYDNEY, "found")]
    assert len(google.received) == 2  # two addresses
    assert sorted(CustomerLog.objects.filter(action="property_geocoded").values_list("data__property_id", flat=True)
                  ) == sorted(Property.objects.values_list("pk", flat=True))
    # the nearby search and the availability finder work without anyone typing coordinates
    start = next_weekday(0, hour=10)
    props = list(Property.objects.order_by("pk"))
    near, far = (factories.booking(cust=p.customer, prop=p, start=start) for p in props[:2])
    found = nearby_bookings(actor=Actor.system(), radius_km=5, start=start - timedelta(hours=1),
                            end=start + timedelta(hours=5), latitude=SYDNEY[0], longitude=SYDNEY[1])
    assert [b.booking_id for b in found] == [near.pk]
    assert far.latitude is not None
    svc = factories.service(name="Window clean", duration_minutes=60)
    close = weekdays_9_to_5(worker(services=[svc], name="Close", lat=-33.87, lng=151.21, radius=10))
    weekdays_9_to_5(worker(services=[svc], name="Far", lat=-37.81, lng=144.96, radius=30))
    candidates = available_fieldworkers(actor=Actor.system(), service_id=svc.pk, start=start,
                                        end=start + timedelta(hours=1), location=Location.of_property(props[2]))
    assert [c.fieldworker_id for c in candidates] == [close.pk]
