from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.bookings import series as series_services
from core.bookings.services import LineInput
from core.errors import DomainError
from core.workforce import services

from ..bookings.mutations import BookingLineInput
from ..enums import FieldworkerStatusEnum
from ..errors import user_errors
from ..ids import decode_id, decode_many, decode_optional
from ..payloads import who
from .types import (
    BookingSeriesPayload,
    ChangeRequestPayload,
    ScheduleChangePayload,
    SchedulingSettingsPayload,
    SeriesScope,
    ServiceAreaPayload,
    occurrence_conflicts_out,
    schedule_conflicts_out,
)


@strawberry.input(description="One range of one weekday, wall-clock time (the fieldworker's or company zone).")
class WorkingHoursRangeInput:
    weekday: int = strawberry.field(description="0 = Monday ... 6 = Sunday.")
    start: time
    end: time


@strawberry.input(description="Replaces the whole week. Fieldworkers: applied, or filed for approval.")
class SetWorkingHoursInput:
    fieldworker_id: strawberry.ID
    ranges: list[WorkingHoursRangeInput]


@strawberry.input(description="Naive date-times are wall-clock time in the fieldworker's zone.")
class AddTimeOffInput:
    fieldworker_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    kind: str = "leave"
    reason: str = ""


@strawberry.input
class RemoveTimeOffInput:
    time_off_id: strawberry.ID


@strawberry.input(description="A home base and the radius they travel; send nulls to clear.")
class SetHomeBaseInput:
    fieldworker_id: strawberry.ID
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None


@strawberry.input(description="Create (no id) or replace a named area of postcodes.")
class SaveServiceAreaInput:
    name: str
    postcodes: list[str]
    id: strawberry.ID | None = None


@strawberry.input
class SetFieldworkerAreasInput:
    fieldworker_id: strawberry.ID
    area_ids: list[strawberry.ID]


@strawberry.input
class SetFieldworkerStatusInput:
    fieldworker_id: strawberry.ID
    status: FieldworkerStatusEnum  # type: ignore[valid-type]


@strawberry.input(description="Change only the fields you send.")
class UpdateSchedulingSettingsInput:
    travel_buffer_minutes: int | None = None
    fieldworkers_may_edit_hours: bool | None = None
    slot_step_minutes: int | None = None
    series_horizon_days: int | None = None


@strawberry.input
class DecideChangeRequestInput:
    id: strawberry.ID
    note: str = ""


@strawberry.input(description="rule: an RFC 5545 RRULE such as FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=10.")
class CreateBookingSeriesInput:
    customer_id: strawberry.ID
    rule: str
    start_date: date
    start_time: time = strawberry.field(description="Wall-clock time in the series' zone; kept across DST.")
    property_id: strawberry.ID | None = None
    duration_minutes: int | None = strawberry.field(default=None, description="Default: from the services.")
    lines: list[BookingLineInput] = strawberry.field(default_factory=list)
    fieldworker_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    until: date | None = None
    time_zone: str | None = None
    notes: str = ""
    workers_required: int = 1


@strawberry.input(description="Edit an occurrence (scope THIS), it and the following ones, or the whole series.")
class UpdateBookingSeriesInput:
    booking_id: strawberry.ID
    scope: SeriesScope
    start_time: time | None = None
    duration_minutes: int | None = None
    notes: str | None = None
    fieldworker_ids: list[strawberry.ID] | None = None


@strawberry.input
class CancelBookingSeriesInput:
    booking_id: strawberry.ID
    scope: SeriesScope
    reason: str


def _schedule(work: Callable[[], services.ScheduleChange]) -> ScheduleChangePayload:
    try:
        change = work()
    except DomainError as exc:
        return ScheduleChangePayload(errors=user_errors(exc))
    return ScheduleChangePayload(applied=change.applied, change_request=change.change_request,  # type: ignore[arg-type]
                                 time_off=change.time_off,  # type: ignore[arg-type]
                                 conflicts=schedule_conflicts_out(change.conflicts))


def _series(work: Callable[[], series_services.SeriesResult]) -> BookingSeriesPayload:
    try:
        result = work()
    except DomainError as exc:
        return BookingSeriesPayload(errors=user_errors(exc))
    return BookingSeriesPayload(series=result.series, created=result.created,  # type: ignore[arg-type]
                                updated=result.updated, cancelled=result.cancelled,  # type: ignore[arg-type]
                                conflicts=occurrence_conflicts_out(result.conflicts))


def _lines(lines: list[BookingLineInput]) -> list[LineInput]:
    return [LineInput(service_id=decode_optional(line.service_id, "Service", f"lines.{i}.serviceId"),
                      quantity=Decimal(line.quantity), unit_price=line.unit_price, description=line.description,
                      tax_rate=line.tax_rate,
                      product_id=decode_optional(line.product_id, "Product", f"lines.{i}.productId"),
                      package_id=decode_optional(line.package_id, "ServicePackage", f"lines.{i}.packageId"))
            for i, line in enumerate(lines)]


@strawberry.type
class SchedulingMutation:
    @strawberry.mutation(description="Set a fieldworker's weekly hours; reports the jobs now outside them.")
    def set_working_hours(self, info: Info, input: SetWorkingHoursInput) -> ScheduleChangePayload:
        return _schedule(lambda: services.working_hours_set(
            **who(info), fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            ranges=[services.HoursRange(r.weekday, r.start, r.end) for r in input.ranges[:100]]))

    @strawberry.mutation(description="Add leave or unavailability; reports the jobs it clashes with.")
    def add_time_off(self, info: Info, input: AddTimeOffInput) -> ScheduleChangePayload:
        return _schedule(lambda: services.time_off_add(
            **who(info), fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            starts_at=input.starts_at, ends_at=input.ends_at, kind=input.kind, reason=input.reason))

    @strawberry.mutation
    def remove_time_off(self, info: Info, input: RemoveTimeOffInput) -> ScheduleChangePayload:
        return _schedule(lambda: services.time_off_remove(
            **who(info), time_off_id=decode_id(input.time_off_id, "TimeOff", "timeOffId")))

    @strawberry.mutation(description="Staff: a fieldworker's home base and travel radius.")
    def set_home_base(self, info: Info, input: SetHomeBaseInput) -> ScheduleChangePayload:
        return _schedule(lambda: services.fieldworker_set_home_base(
            **who(info), fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            latitude=input.latitude, longitude=input.longitude, radius_km=input.radius_km))

    @strawberry.mutation(description="Staff: the named areas a fieldworker covers.")
    def set_fieldworker_areas(self, info: Info, input: SetFieldworkerAreasInput) -> ScheduleChangePayload:
        return _schedule(lambda: services.fieldworker_set_areas(
            **who(info), fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            area_ids=decode_many(input.area_ids, "ServiceArea", "areaIds") or []))

    @strawberry.mutation(description="Staff: activate, deactivate or block; reports the jobs they still hold.")
    def set_fieldworker_status(self, info: Info, input: SetFieldworkerStatusInput) -> ScheduleChangePayload:
        return _schedule(lambda: services.fieldworker_set_status(
            **who(info), fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            status=input.status.value))

    @strawberry.mutation(description="Staff: create or replace a named area of postcodes.")
    def save_service_area(self, info: Info, input: SaveServiceAreaInput) -> ServiceAreaPayload:
        try:
            area = services.service_area_save(**who(info), name=input.name, postcodes=input.postcodes[:1000],
                                              area_id=decode_optional(input.id, "ServiceArea", "id"))
        except DomainError as exc:
            return ServiceAreaPayload(errors=user_errors(exc))
        return ServiceAreaPayload(service_area=area)  # type: ignore[arg-type]

    @strawberry.mutation(description="Staff: approve and carry out a fieldworker's change request.")
    def approve_change_request(self, info: Info, input: DecideChangeRequestInput) -> ChangeRequestPayload:
        try:
            request = services.change_request_approve(**who(info), note=input.note,
                                                      change_request_id=decode_id(input.id, "ChangeRequest"))
        except DomainError as exc:
            return ChangeRequestPayload(errors=user_errors(exc))
        return ChangeRequestPayload(change_request=request)  # type: ignore[arg-type]

    @strawberry.mutation(description="Staff: reject a fieldworker's change request.")
    def reject_change_request(self, info: Info, input: DecideChangeRequestInput) -> ChangeRequestPayload:
        try:
            request = services.change_request_reject(**who(info), note=input.note,
                                                     change_request_id=decode_id(input.id, "ChangeRequest"))
        except DomainError as exc:
            return ChangeRequestPayload(errors=user_errors(exc))
        return ChangeRequestPayload(change_request=request)  # type: ignore[arg-type]

    @strawberry.mutation(description="Staff: a recurring booking; occurrences are booked up to the horizon and "
                                     "fieldworker clashes are reported per occurrence.")
    def create_booking_series(self, info: Info, input: CreateBookingSeriesInput) -> BookingSeriesPayload:
        return _series(lambda: series_services.series_create(
            **who(info), customer_id=decode_id(input.customer_id, "Customer", "customerId"), rule=input.rule,
            start_date=input.start_date, start_time=input.start_time,
            property_id=decode_optional(input.property_id, "Property", "propertyId"),
            duration_minutes=input.duration_minutes, lines=_lines(input.lines[:100]),
            fieldworker_ids=decode_many(input.fieldworker_ids[:50], "Fieldworker", "fieldworkerIds") or [],
            until=input.until, time_zone=input.time_zone, notes=input.notes[:5000],
            workers_required=input.workers_required))

    @strawberry.mutation(description="Staff: edit this occurrence, this and following, or all.")
    def update_booking_series(self, info: Info, input: UpdateBookingSeriesInput) -> BookingSeriesPayload:
        return _series(lambda: series_services.series_update(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"), scope=input.scope.value,
            start_time=input.start_time, duration_minutes=input.duration_minutes,
            notes=None if input.notes is None else input.notes[:5000],
            fieldworker_ids=decode_many(input.fieldworker_ids, "Fieldworker", "fieldworkerIds")))

    @strawberry.mutation(description="Staff: cancel this occurrence, this and following, or all open ones.")
    def cancel_booking_series(self, info: Info, input: CancelBookingSeriesInput) -> BookingSeriesPayload:
        return _series(lambda: series_services.series_cancel(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"), scope=input.scope.value,
            reason=input.reason[:2000]))

    @strawberry.mutation(description="Staff: the travel buffer, self-service hours, slot step, series horizon.")
    def update_scheduling_settings(self, info: Info, input: UpdateSchedulingSettingsInput) -> SchedulingSettingsPayload:
        changes = {key: value for key, value in vars(input).items() if value is not None}
        try:
            row = services.scheduling_settings_update(**who(info), **changes)
        except DomainError as exc:
            return SchedulingSettingsPayload(errors=user_errors(exc))
        return SchedulingSettingsPayload(settings=row)  # type: ignore[arg-type]
