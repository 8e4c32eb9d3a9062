from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from django.utils import timezone
from strawberry.types import Info

from core.bookings.nearby import load_bookings, nearby_bookings
from core.company.selectors import get_company
from core.crm.models import Property
from core.errors import NotFound, PermissionDenied
from core.workforce import availability
from core.workforce.models import ChangeRequest, Fieldworker, TimeOff, WorkingHours
from core.workforce.selectors import scheduling_settings

from ..context import actor_from_info
from ..ids import decode_id, decode_optional, encode_id
from .types import (
    AvailableSlot,
    ChangeRequestNode,
    ExclusionReason,
    FieldworkerAvailability,
    FieldworkerSchedule,
    NearbyBooking,
    SchedulingSettingsType,
)

FromArg = Annotated[datetime, strawberry.argument(name="from")]


@strawberry.input(description="Where the job is: a property, or a point and/or a postcode.")
class LocationInput:
    property_id: strawberry.ID | None = None
    latitude: float | None = None
    longitude: float | None = None
    postcode: str = ""


@strawberry.input(description="Give a booking or a point.")
class NearInput:
    booking_id: strawberry.ID | None = None
    latitude: float | None = None
    longitude: float | None = None


def _location(info: Info, value: LocationInput | None) -> availability.Location:
    if value is None:
        return availability.Location()
    if value.property_id is not None:
        actor = actor_from_info(info)
        pk = decode_id(value.property_id, "Property", "location.propertyId")
        qs = Property.objects.filter(pk=pk)
        if not actor.is_staff:
            qs = qs.filter(customer_id=actor.customer_id) if actor.is_customer else qs.none()
        prop = qs.first()
        if prop is None:
            raise NotFound("property", field="location.propertyId")
        return availability.Location.of_property(prop)
    return availability.Location(value.latitude, value.longitude, (value.postcode or "").strip()[:12])


@strawberry.type
class SchedulingQuery:
    @strawberry.field(description="Who can do this job (staff). Nearest and least loaded first; with "
                                  "includeUnavailable the others follow with their reasons.")
    def available_fieldworkers(self, info: Info, service_id: strawberry.ID, start: datetime, end: datetime,
                               location: LocationInput | None = None,
                               include_unavailable: bool = False) -> list[FieldworkerAvailability]:
        found = availability.available_fieldworkers(
            actor=actor_from_info(info), service_id=decode_id(service_id, "Service", "serviceId"), start=start,
            end=end, location=_location(info, location), include_unavailable=include_unavailable)
        workers = availability.fieldworkers_for_ids(c.fieldworker_id for c in found)
        return [FieldworkerAvailability(fieldworker=workers[c.fieldworker_id],  # type: ignore[arg-type]
                                        available=c.available, reasons=[ExclusionReason(r) for r in c.reasons],
                                        distance_km=None if c.distance_km is None else round(c.distance_km, 3),
                                        load=c.load) for c in found if c.fieldworker_id in workers]

    @strawberry.field(description="The next start times for a service (staff, customers; "
                                                         "a fieldworker their own).")
    def available_slots(self, info: Info, service_id: strawberry.ID, from_: FromArg, to: datetime,
                        location: LocationInput | None = None, fieldworker_id: strawberry.ID | None = None,
                        limit: int = 20,
                        time_zone: Annotated[str | None, strawberry.argument(
                            description="IANA zone the times are given in (e.g. Australia/Brisbane); "
                                        "default: the company's.")] = None) -> list[AvailableSlot]:
        actor = actor_from_info(info)
        slots = availability.available_slots(
            actor=actor, service_id=decode_id(service_id, "Service", "serviceId"), location=_location(info, location),
            start=from_, end=to, fieldworker_id=decode_optional(fieldworker_id, "Fieldworker", "fieldworkerId"),
            limit=limit, time_zone=time_zone)
        return [AvailableSlot(start=s.start, end=s.end, fieldworker_count=len(s.fieldworker_ids),
                              fieldworker_ids=[strawberry.ID(encode_id("Fieldworker", pk)) for pk in s.fieldworker_ids]
                              if actor.is_staff else None) for s in slots]

    @strawberry.field(description="Open bookings near a booking or a point, nearest first (staff).")
    def nearby_bookings(self, info: Info, near: NearInput, radius_km: float, from_: FromArg, to: datetime,
                        limit: int = 50) -> list[NearbyBooking]:
        found = nearby_bookings(
            actor=actor_from_info(info), radius_km=radius_km, start=from_, end=to,
            booking_id=decode_optional(near.booking_id, "Booking", "near.bookingId"), latitude=near.latitude,
            longitude=near.longitude, limit=limit)
        bookings = load_bookings(found, "customer", "property")
        return [NearbyBooking(booking=bookings[f.booking_id], distance_km=round(f.distance_km, 3))  # type: ignore[arg-type]
                for f in found if f.booking_id in bookings]

    @strawberry.field(description="Change requests: staff see all, a fieldworker their own. Newest first.")
    def change_requests(self, info: Info, status: str | None = "pending", first: int = 50) -> list[ChangeRequestNode]:
        actor = actor_from_info(info)
        qs = ChangeRequest.objects.select_related("fieldworker").order_by("-created_at", "-id")
        if actor.is_fieldworker:
            qs = qs.filter(fieldworker_id=actor.fieldworker_id)
        elif not actor.is_staff:
            return []
        if status:
            qs = qs.filter(status=status)
        return list(qs[: max(1, min(first, 100))])  # type: ignore[return-value]

    @strawberry.field(description="Hours, time off and areas of a fieldworker (staff, or the fieldworker themself).")
    def fieldworker_schedule(self, info: Info, fieldworker_id: strawberry.ID) -> FieldworkerSchedule:
        actor = actor_from_info(info)
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        if not (actor.is_staff or actor.fieldworker_id == pk):
            raise NotFound("fieldworker", field="fieldworkerId")
        fw = Fieldworker.objects.filter(pk=pk).first()
        if fw is None:
            raise NotFound("fieldworker", field="fieldworkerId")
        return FieldworkerSchedule(
            fieldworker=fw, time_zone=fw.time_zone or get_company().time_zone,  # type: ignore[arg-type]
            home_latitude=fw.home_latitude, home_longitude=fw.home_longitude,
            service_radius_km=fw.service_radius_km,
            working_hours=list(WorkingHours.objects.filter(fieldworker=fw)),  # type: ignore[arg-type]
            time_off=list(TimeOff.objects.filter(fieldworker=fw, ends_at__gt=timezone.now())[:100]),  # type: ignore[arg-type]
            service_areas=list(fw.service_areas.prefetch_related("postcodes")),  # type: ignore[arg-type]
        )

    @strawberry.field(description="The business's scheduling rules (staff).")
    def scheduling_settings(self, info: Info) -> SchedulingSettingsType:
        if not actor_from_info(info).is_staff:
            raise PermissionDenied("Only staff may read the scheduling settings.")
        return scheduling_settings()  # type: ignore[return-value]
