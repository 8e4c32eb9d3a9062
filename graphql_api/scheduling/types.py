"""GraphQL types of the scheduling engine: availability, slots, nearby jobs, schedule changes, series."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.bookings.models import BookingSeries
from core.workforce.models import ChangeRequest, SchedulingSettings, ServiceArea, TimeOff, WorkingHours

from ..bookings.types import BookingNode
from ..context import actor_from_info
from ..errors import UserError
from ..ids import encode_id
from ..workforce.types import FieldworkerNode


def _own_or_staff(queryset, info: Info, field: str = "fieldworker_id"):
    actor = actor_from_info(info)
    if actor.is_staff:
        return queryset
    if actor.is_fieldworker:
        return queryset.filter(**{field: actor.fieldworker_id})
    return queryset.none()


@strawberry.enum(description="Which occurrences of a series an edit or cancel applies to.")
class SeriesScope(Enum):
    THIS = "this"
    FOLLOWING = "following"
    ALL = "all"


@strawberry.enum(description="Why a fieldworker is not offered for a job.")
class ExclusionReason(Enum):
    BLOCKED = "blocked"
    INACTIVE = "inactive"
    OUTSIDE_AREA = "outside_area"
    NOT_WORKING = "not_working"
    TIME_OFF = "time_off"
    BOOKED = "booked"


@strawberry_django.type(WorkingHours, name="WorkingHoursRange")
class WorkingHoursNode:
    weekday: int = strawberry_django.field(description="0 = Monday ... 6 = Sunday.")
    start_time: time
    end_time: time


@strawberry_django.type(TimeOff, name="TimeOff", description="Leave or unavailability of a fieldworker.")
class TimeOffNode(relay.Node):
    starts_at: datetime
    ends_at: datetime
    kind: str
    reason: str
    fieldworker: FieldworkerNode

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _own_or_staff(queryset, info)


@strawberry_django.type(ServiceArea, name="ServiceArea", description="A named area made of postcodes.")
class ServiceAreaNode(relay.Node):
    name: str

    @strawberry_django.field(prefetch_related=["postcodes"])
    def postcodes(self) -> list[str]:
        return [row.postcode for row in self.postcodes.all()]  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if (actor.is_staff or actor.is_fieldworker) else queryset.none()


@strawberry_django.type(ChangeRequest, name="ChangeRequest",
                        description="A change a fieldworker asked for that waits for staff.")
class ChangeRequestNode(relay.Node):
    kind: str
    summary: str
    status: str
    channel: str
    payload: JSON
    result: JSON
    decision_note: str
    created_at: datetime
    decided_at: datetime | None
    fieldworker: FieldworkerNode

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _own_or_staff(queryset, info)


@strawberry_django.type(BookingSeries, name="BookingSeries", description="A recurring booking (RFC 5545 rule).")
class BookingSeriesNode(relay.Node):
    rule: str
    start_date: date
    start_time: time
    duration_minutes: int
    time_zone: str
    status: str = strawberry_django.field(description="active until the day of its last date is over (however "
                                                      "many dates are booked already), then ended; or cancelled.")
    ends_on: date | None
    materialised_until: date | None
    notes: str

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.none()


@strawberry.type(description="A fieldworker for a job; `reasons` is empty when they are available.")
class FieldworkerAvailability:
    fieldworker: FieldworkerNode
    available: bool
    reasons: list[ExclusionReason]
    distance_km: float | None
    load: int = strawberry.field(description="Their active jobs on that day.")


@strawberry.type(description="A start time at which the service can be done.")
class AvailableSlot:
    start: datetime
    end: datetime
    fieldworker_count: int
    fieldworker_ids: list[strawberry.ID] | None = strawberry.field(
        description="Who could do it (staff only; null for others).")


@strawberry.type
class NearbyBooking:
    booking: BookingNode
    distance_km: float


@strawberry.type(description="An upcoming job that a schedule change now clashes with.")
class ScheduleConflict:
    booking_id: strawberry.ID
    number: int
    start: datetime
    end: datetime
    reason: ExclusionReason


@strawberry.type(description="A series occurrence where a fieldworker could not be kept (the booking still exists).")
class OccurrenceConflict:
    date: date
    booking_id: strawberry.ID | None
    fieldworker_id: strawberry.ID
    code: str
    message: str
    clash_booking_ids: list[strawberry.ID]


@strawberry.type
class ScheduleChangePayload:
    applied: bool = False
    change_request: ChangeRequestNode | None = None
    time_off: TimeOffNode | None = None
    conflicts: list[ScheduleConflict] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChangeRequestPayload:
    change_request: ChangeRequestNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ServiceAreaPayload:
    service_area: ServiceAreaNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BookingSeriesPayload:
    series: BookingSeriesNode | None = None
    created: list[BookingNode] = strawberry.field(default_factory=list)
    updated: list[BookingNode] = strawberry.field(default_factory=list)
    cancelled: list[BookingNode] = strawberry.field(default_factory=list)
    conflicts: list[OccurrenceConflict] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


def schedule_conflicts_out(conflicts) -> list[ScheduleConflict]:
    return [ScheduleConflict(booking_id=strawberry.ID(encode_id("Booking", c.booking_id)), number=c.number,
                             start=c.start, end=c.end, reason=ExclusionReason(c.reason)) for c in conflicts]


def occurrence_conflicts_out(conflicts) -> list[OccurrenceConflict]:
    return [OccurrenceConflict(
        date=c.date, booking_id=strawberry.ID(encode_id("Booking", c.booking_id)) if c.booking_id else None,
        fieldworker_id=strawberry.ID(encode_id("Fieldworker", c.fieldworker_id)), code=c.code, message=c.message,
        clash_booking_ids=[strawberry.ID(encode_id("Booking", pk)) for pk in c.clash_booking_ids],
    ) for c in conflicts]


@strawberry_django.type(SchedulingSettings, name="SchedulingSettings")
class SchedulingSettingsType:
    travel_buffer_minutes: int
    fieldworkers_may_edit_hours: bool
    slot_step_minutes: int
    series_horizon_days: int


@strawberry.type
class SchedulingSettingsPayload:
    settings: SchedulingSettingsType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A fieldworker's working time and where they work.")
class FieldworkerSchedule:
    fieldworker: FieldworkerNode
    time_zone: str
    home_latitude: float | None
    home_longitude: float | None
    service_radius_km: float | None
    working_hours: list[WorkingHoursNode]
    time_off: list[TimeOffNode] = strawberry.field(description="Current and upcoming.")
    service_areas: list[ServiceAreaNode]
