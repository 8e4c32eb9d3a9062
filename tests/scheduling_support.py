"""Builders shared by the scheduling tests (availability, conflicts, series, nearby, GraphQL)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.workforce import services as workforce_services
from core.workforce.models import Fieldworker
from core.workforce.services import HoursRange

from . import factories

SYSTEM = Actor.system()


def next_weekday(weekday: int, *, hour: int = 9, minute: int = 0, weeks: int = 1, tz=None) -> datetime:
    """An aware datetime on the given weekday at least a week ahead, at ``hour:minute`` in ``tz``."""
    tz = tz or timezone.get_current_timezone()
    today = timezone.now().astimezone(tz).date()
    day = today + timedelta(days=7 * weeks + (weekday - today.weekday()) % 7)
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def set_hours(fw: Fieldworker, ranges: list[tuple[int, str, str]]) -> None:
    workforce_services.working_hours_set(
        actor=SYSTEM, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
        ranges=[HoursRange(day, time.fromisoformat(lo), time.fromisoformat(hi)) for day, lo, hi in ranges])


def weekdays_9_to_5(fw: Fieldworker) -> Fieldworker:
    set_hours(fw, [(day, "09:00", "17:00") for day in range(5)])
    return fw


def worker(*, services=(), lat=None, lng=None, radius=None, **extra) -> Fieldworker:
    fw = factories.fieldworker(**extra)
    if services:
        fw.services.set(services)
    if lat is not None:
        workforce_services.fieldworker_set_home_base(actor=SYSTEM, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
                                                     latitude=lat, longitude=lng, radius_km=radius)
        fw.refresh_from_db()
    return fw


def job(start: datetime, *, hours: float = 2, lat: float = -33.8688, lng: float = 151.2093, postcode: str = "2000",
        svc=None, cust=None) -> Booking:
    cust = cust or factories.customer()
    prop = factories.property_for(cust, latitude=lat, longitude=lng)
    if postcode != prop.postcode:
        prop.postcode = postcode
        prop.save(update_fields=["postcode"])
    return factories.booking(cust=cust, prop=prop, start=start, hours=hours, svc=svc)


def assign(booking: Booking, fw: Fieldworker):
    return booking_services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=booking.pk,
                                           fieldworker_id=fw.pk)
