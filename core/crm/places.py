"""Coordinates for properties saved without them (decision 0193).

A property written with an address and no coordinates is marked ``pending`` and its geocoding is a
task (ids only) enqueued in the same transaction (``queue_geocoding``); an import enqueues one
``geocode_pending`` for the lot. ``property_geocode`` asks the cache, else the geocoder (outside any
transaction), then writes the coordinates like a staff edit would (history row, event, bookings at
the property follow). A transient failure is retried by a deferred task with the delivery back-off
(``core.delivery``); after the last attempt the property is ``failed``, an unknown address
``not_found``; staff then fix the address or type the coordinates.

The tasks live here, beside what enqueues them, as decision 0039 says; services import this module.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from core.actors import Actor, Channel
from core.delivery import next_attempt
from core.errors import NotFound

from . import customer_log
from .events import PropertyUpdated
from .geocoding import GeocodeError, Place, address_key, full_address, get_geocoder
from .models import GeocodeCacheEntry, GeocodeStatus, Property

logger = logging.getLogger(__name__)
BATCH = 200  # properties per run of ``geocode_pending``; it enqueues itself again while more wait


def wants_geocoding(prop: Property) -> bool:
    return bool(prop.address.strip()) and prop.latitude is None and prop.longitude is None


def queue_geocoding(prop: Property) -> None:
    """Mark ``prop`` pending and enqueue its task, in the caller's transaction (call after saving it)."""
    Property.objects.filter(pk=prop.pk).update(geocode_status=GeocodeStatus.PENDING, geocode_attempts=0)
    prop.geocode_status, prop.geocode_attempts = GeocodeStatus.PENDING, 0
    geocode_property.enqueue(prop.pk)


def _key(prop: Property) -> str:
    return address_key(full_address(prop.address, prop.postcode, prop.city))


def _ask(prop: Property) -> tuple[bool, Place | None]:
    """(found, place) from the cache or the geocoder; raises ``GeocodeError``. Runs outside transactions."""
    key = _key(prop)
    cached = GeocodeCacheEntry.objects.filter(key=key).first()
    if cached is not None:
        return cached.found, Place(cached.latitude, cached.longitude, cached.formatted_address) if cached.found \
            else None
    place = get_geocoder().geocode(full_address(prop.address, prop.postcode, prop.city),
                                   region=settings.GEOCODER_REGION)
    GeocodeCacheEntry.objects.update_or_create(key=key, defaults={
        "found": place is not None, "latitude": place and place.latitude, "longitude": place and place.longitude,
        "formatted_address": place.formatted_address if place else "", "fetched_at": timezone.now()})
    return place is not None, place


def property_geocode(*, actor: Actor, channel: Channel, property_id: int) -> Property:
    """Find the coordinates of a pending property (system only; the geocoding task). A property that got
    coordinates meanwhile, or whose address changed (its own task follows), is left alone."""
    if not actor.is_system:
        raise NotFound("property")
    prop = Property.objects.filter(pk=property_id).first()
    if prop is None:
        raise NotFound("property")
    if prop.geocode_status != GeocodeStatus.PENDING:
        return prop
    if not wants_geocoding(prop):  # coordinates came meanwhile: nothing to find
        Property.objects.filter(pk=prop.pk, geocode_status=GeocodeStatus.PENDING).update(geocode_status="")
        return prop
    asked_key = _key(prop)
    try:
        found, place = _ask(prop)
        error = None
    except GeocodeError as exc:
        found, place, error = False, None, exc
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property_id)
        if prop.geocode_status != GeocodeStatus.PENDING or not wants_geocoding(prop) or _key(prop) != asked_key:
            return prop
        if error is not None:
            attempts = prop.geocode_attempts + 1
            retry_at = next_attempt(attempts) if error.transient else None
            prop.geocode_attempts = attempts
            prop.geocode_status = GeocodeStatus.PENDING if retry_at else GeocodeStatus.FAILED
            prop.save(update_fields=["geocode_attempts", "geocode_status"])
            if retry_at is not None:
                geocode_property.using(run_after=retry_at).enqueue(prop.pk)
                logger.warning("geocoding property %s failed (attempt %s), again at %s: %s", prop.pk, attempts,
                               retry_at, error.message)
            else:
                logger.warning("geocoding property %s failed for good: %s", prop.pk, error.message)
            return prop
        if not found or place is None:
            prop.geocode_status = GeocodeStatus.NOT_FOUND
            prop.save(update_fields=["geocode_status"])
            return prop
        diff = {"latitude": (None, place.latitude), "longitude": (None, place.longitude)}
        prop.latitude, prop.longitude, prop.geocode_status = place.latitude, place.longitude, GeocodeStatus.FOUND
        prop.save(update_fields=["latitude", "longitude", "geocode_status"])
        from core.bookings.places import bookings_follow_property  # bookings depend on crm, not back

        bookings_follow_property(property_id=prop.pk, latitude=prop.latitude, longitude=prop.longitude)
        customer_log.record(prop.customer_id, actor=actor, channel=channel, action="property_geocoded",
                            event=PropertyUpdated, property_id=prop.pk, changed=("latitude", "longitude"),
                            changes=diff, data={"property_id": prop.pk, "formatted_address": place.formatted_address})
    return prop


@task()
def geocode_property(property_id: int) -> str:
    """Find one property's coordinates; returns its geocode status."""
    return property_geocode(actor=Actor.system(), channel=Channel.SYSTEM, property_id=property_id).geocode_status


@task()
def geocode_pending(after_id: int = 0) -> int:
    """Geocode up to ``BATCH`` pending properties past ``after_id`` that wait for no retry (an import's);
    enqueue itself for the next ones while more wait. Returns how many it took."""
    ids = list(Property.objects.filter(geocode_status=GeocodeStatus.PENDING, geocode_attempts=0, pk__gt=after_id)
               .order_by("pk").values_list("pk", flat=True)[:BATCH])
    for pk in ids:
        property_geocode(actor=Actor.system(), channel=Channel.SYSTEM, property_id=pk)
    if len(ids) == BATCH:
        geocode_pending.enqueue(ids[-1])
    return len(ids)
