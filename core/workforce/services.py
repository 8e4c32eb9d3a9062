"""Writes for fieldworkers."""

from __future__ import annotations

import itertools
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core import events
from core.accounts.models import Role, User
from core.actors import Actor, Channel
from core.catalog.models import Service
from core.company.selectors import get_company
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.phones import normalise_phone

from . import change_requests, messaging
from .availability import ScheduleConflict, schedule_conflicts
from .events import ChangeRequestDecided, ChangeRequestFiled, FieldworkerCreated, FieldworkerUpdated, ScheduleChanged
from .models import (
    ChangeRequest,
    ChangeRequestStatus,
    Fieldworker,
    FieldworkerLog,
    FieldworkerStatus,
    SchedulingSettings,
    ServiceArea,
    ServiceAreaPostcode,
    TimeOff,
    TimeOffKind,
    WorkingHours,
)
from .selectors import scheduling_settings

FIELDS = {"name", "mobile", "status", "industry_label", "service_ids", "time_zone"}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"] or len(out["name"]) > 150:
            raise ValidationFailed("name", "A name of 1 to 150 characters is required.")
    if "mobile" in out:
        out["mobile"] = normalise_phone(out["mobile"])
    if "status" in out and out["status"] not in FieldworkerStatus.values:
        raise ValidationFailed("status", "Unknown status.")
    if "industry_label" in out and len(out["industry_label"] or "") > 60:
        raise ValidationFailed("industryLabel", "At most 60 characters.", code="too_long")
    if out.get("service_ids") is not None:
        ids = set(out["service_ids"])
        if Service.objects.filter(pk__in=ids).count() != len(ids):
            raise NotFound("service", field="serviceIds")
    if "time_zone" in out:
        out["time_zone"] = (out["time_zone"] or "").strip()
        if out["time_zone"] and out["time_zone"] not in zoneinfo.available_timezones():
            raise ValidationFailed("timeZone", "Unknown time zone.", code="invalid_time_zone")
    return out


def _profile_rules(actor: Actor, values: dict[str, Any], fieldworker: Fieldworker | None) -> None:
    """The company's fieldworker profile settings: required built-ins, hidden ones (core.jobdata.profiles)."""
    from core.jobdata.profiles import check_builtins  # job data reads the workforce, not the other way at import

    check_builtins("fieldworker", actor=actor, changes=values, current=None if fieldworker is None else {
        "mobile": fieldworker.mobile, "industry_label": fieldworker.industry_label})


def fieldworker_create(*, actor: Actor, channel: Channel, name: str, email: str, mobile: str = "",
                       service_ids: list[int] | None = None, industry_label: str = "") -> Fieldworker:
    if not actor.is_staff:
        raise PermissionDenied()
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("email", "That is not an e-mail address.", code="invalid_email")
    values = _clean({"name": name, "mobile": mobile, "service_ids": service_ids or [],
                     "industry_label": industry_label})
    _profile_rules(actor, values, None)
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError("duplicate", "A user with that e-mail exists.", field="email")
        user = User.objects.create_user(email=email, full_name=values["name"], role=Role.FIELDWORKER)
        ids = values.pop("service_ids")
        fieldworker = Fieldworker.objects.create(user=user, **values)
        fieldworker.services.set(ids)
        _log(fieldworker.pk, actor=actor, channel=channel, action="created",
             data={"name": fieldworker.name, "email": email, "mobile": fieldworker.mobile,
                   "service_ids": sorted(ids)})
        messaging.queue_verification(fieldworker, actor=actor, channel=channel)
        events.publish(FieldworkerCreated(**_event_base(fieldworker.pk, actor, channel)))
    return fieldworker


def fieldworker_update(*, actor: Actor, channel: Channel, fieldworker_id: int, **changes: Any) -> Fieldworker:
    unknown = set(changes) - FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or is_self):
        raise NotFound("fieldworker")
    if is_self and set(changes) - {"mobile"}:
        raise PermissionDenied("Only staff may change that.")
    return apply_update(actor=actor, channel=channel, fieldworker_id=fieldworker_id, values=_clean(changes))


def apply_update(*, actor: Actor, channel: Channel, fieldworker_id: int, values: dict[str, Any]) -> Fieldworker:
    """Write cleaned ``values`` (the caller checked the actor may); logs and publishes what changed."""
    with transaction.atomic():
        fieldworker = Fieldworker.objects.select_for_update().filter(pk=fieldworker_id).first()
        if fieldworker is None:
            raise NotFound("fieldworker")
        _profile_rules(actor, values, fieldworker)
        ids = values.pop("service_ids", None)
        diff: dict[str, list[Any]] = {}
        for key, value in values.items():
            before = getattr(fieldworker, key)
            if before != value:
                diff[key] = [before, value]
                setattr(fieldworker, key, value)
        if diff:  # only the changed columns: a legacy unparsable mobile does not block other changes
            fieldworker.save(update_fields=sorted(diff))
        if ids is not None:
            before_ids = set(fieldworker.services.values_list("pk", flat=True))
            if before_ids != set(ids):
                fieldworker.services.set(ids)
                diff["service_ids"] = [sorted(before_ids), sorted(set(ids))]
        status = diff.pop("status", None)
        if diff:
            _log(fieldworker.pk, actor=actor, channel=channel, action="updated", data={"changes": diff})
            events.publish(FieldworkerUpdated(**_event_base(fieldworker.pk, actor, channel),
                                              changed=tuple(sorted(diff))))
        if status is not None:  # as fieldworker_set_status: the jobs it now clashes with go with it
            _status_effects(fieldworker, old=status[0], new=status[1], actor=actor, channel=channel)
            _changed(fieldworker, actor=actor, channel=channel, what="status", data={"status": status})
    return fieldworker


# --- scheduling -----------------------------------------------------------------------------------

MAX_RANGES_PER_DAY = 6
MAX_TIME_OFF = timedelta(days=366)
MAX_POSTCODES = 500


@dataclass(frozen=True)
class HoursRange:
    weekday: int
    start: time
    end: time


@dataclass
class ScheduleChange:
    """The outcome of a schedule edit: applied now, or filed as a change request for staff.

    ``conflicts``: the fieldworker's upcoming jobs the change now clashes with (empty when not
    applied); staff reassign them, nothing is moved automatically."""

    applied: bool
    fieldworker: Fieldworker
    change_request: ChangeRequest | None = None
    conflicts: list[ScheduleConflict] = field(default_factory=list)
    time_off: TimeOff | None = None


def _log(fieldworker_id: int, *, actor: Actor, channel: Channel | str, action: str, data: dict | None = None) -> None:
    FieldworkerLog.objects.create(fieldworker_id=fieldworker_id, action=action, actor_kind=actor.kind,
                                  actor_user=actor.user, channel=str(channel), data=data or {})


def _event_base(fieldworker_id: int, actor: Actor, channel: Channel | str) -> dict[str, Any]:
    return {"fieldworker_id": fieldworker_id, "channel": str(channel), "actor_kind": actor.kind,
            "actor_user_id": actor.user_id}


def _locked_fieldworker(fieldworker_id: int, actor: Actor) -> Fieldworker:
    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or actor.is_system or is_self):
        raise NotFound("fieldworker", field="fieldworkerId")
    fieldworker = Fieldworker.objects.select_for_update().filter(pk=fieldworker_id).first()
    if fieldworker is None:
        raise NotFound("fieldworker", field="fieldworkerId")
    return fieldworker


def _staff_only(actor: Actor) -> None:
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff may do that.")


def _self_needs_request(actor: Actor) -> bool:
    """A fieldworker editing their own time applies it directly only when the business allows."""
    return actor.is_fieldworker and not scheduling_settings().fieldworkers_may_edit_hours


def _changed(fieldworker: Fieldworker, *, actor: Actor, channel: Channel, what: str, data: dict) -> ScheduleChange:
    found = schedule_conflicts(fieldworker.pk)
    _log(fieldworker.pk, actor=actor, channel=channel, action=what,
         data={**data, "conflict_booking_ids": [c.booking_id for c in found]})
    events.publish(ScheduleChanged(**_event_base(fieldworker.pk, actor, channel), what=what,
                                   conflict_booking_ids=tuple(c.booking_id for c in found)))
    return ScheduleChange(True, fieldworker, conflicts=found)


def _file(fieldworker: Fieldworker, *, actor: Actor, channel: Channel, kind: str, payload: dict, summary: str,
          booking_id: int | None = None) -> ChangeRequest:
    request = ChangeRequest.objects.create(fieldworker=fieldworker, kind=kind, payload=payload, summary=summary[:300],
                                           booking_id=booking_id, channel=str(channel), requested_by=actor.user)
    _log(fieldworker.pk, actor=actor, channel=channel, action="change_requested",
         data={"change_request_id": request.pk, "kind": kind})
    events.publish(ChangeRequestFiled(**_event_base(fieldworker.pk, actor, channel), change_request_id=request.pk,
                                      kind=kind, summary=request.summary, booking_id=booking_id))
    return request


# working hours


def _parse_time(value: Any, field_name: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value)).replace(second=0, microsecond=0)
    except ValueError:
        raise ValidationFailed(field_name, "A time like 09:00 is required.", code="invalid_time")


def _clean_hours(ranges: list[HoursRange] | list[dict]) -> list[HoursRange]:
    if len(ranges) > 7 * MAX_RANGES_PER_DAY:
        raise ValidationFailed("ranges", "Too many ranges.", code="too_many")
    cleaned: list[HoursRange] = []
    for i, raw in enumerate(ranges):
        item = raw if isinstance(raw, HoursRange) else HoursRange(raw.get("weekday"), raw.get("start"), raw.get("end"))
        if not isinstance(item.weekday, int) or not 0 <= item.weekday <= 6:
            raise ValidationFailed(f"ranges.{i}.weekday", "A weekday from 0 (Monday) to 6 (Sunday).",
                                   code="out_of_range")
        start, end = _parse_time(item.start, f"ranges.{i}.start"), _parse_time(item.end, f"ranges.{i}.end")
        if end <= start:
            raise ValidationFailed(f"ranges.{i}.end", "The end must be after the start.", code="end_before_start")
        cleaned.append(HoursRange(item.weekday, start, end))
    for day in range(7):
        todays = sorted((r for r in cleaned if r.weekday == day), key=lambda r: r.start)
        if len(todays) > MAX_RANGES_PER_DAY:
            raise ValidationFailed("ranges", f"At most {MAX_RANGES_PER_DAY} ranges a day.", code="too_many")
        for before, after in itertools.pairwise(todays):
            if after.start < before.end:
                raise ValidationFailed("ranges", "Ranges of one day must not overlap.", code="overlapping_ranges")
    return cleaned


def _hours_payload(ranges: list[HoursRange]) -> list[dict]:
    return [{"weekday": r.weekday, "start": r.start.strftime("%H:%M"), "end": r.end.strftime("%H:%M")}
            for r in sorted(ranges, key=lambda r: (r.weekday, r.start))]


def _apply_hours(fieldworker: Fieldworker, ranges: list[HoursRange]) -> None:
    WorkingHours.objects.filter(fieldworker=fieldworker).delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(fieldworker=fieldworker, weekday=r.weekday, start_time=r.start, end_time=r.end) for r in ranges)


def working_hours_set(*, actor: Actor, channel: Channel, fieldworker_id: int,
                      ranges: list[HoursRange] | list[dict]) -> ScheduleChange:
    """Replace the fieldworker's weekly hours (wall-clock, their zone or the company's)."""
    cleaned = _clean_hours(list(ranges))
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        payload = {"ranges": _hours_payload(cleaned)}
        if _self_needs_request(actor):
            request = _file(fieldworker, actor=actor, channel=channel, kind="working_hours", payload=payload,
                            summary=f"New working hours ({len(cleaned)} ranges)")
            return ScheduleChange(False, fieldworker, change_request=request)
        _apply_hours(fieldworker, cleaned)
        return _changed(fieldworker, actor=actor, channel=channel, what="working_hours", data=payload)


# time off


def _aware(value: Any, tz: zoneinfo.ZoneInfo, field_name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(field_name, "Not a date and time.", code="invalid_datetime")
    if not isinstance(value, datetime):
        raise ValidationFailed(field_name, "Not a date and time.", code="invalid_datetime")
    return value if timezone.is_aware(value) else value.replace(tzinfo=tz)


def _clean_time_off(fieldworker: Fieldworker, starts_at: Any, ends_at: Any, kind: str, reason: str) -> dict:
    tz = zoneinfo.ZoneInfo(fieldworker.time_zone or get_company().time_zone)
    start, end = _aware(starts_at, tz, "startsAt"), _aware(ends_at, tz, "endsAt")
    if end <= start:
        raise ValidationFailed("endsAt", "The end must be after the start.", code="end_before_start")
    if end - start > MAX_TIME_OFF:
        raise ValidationFailed("endsAt", "At most a year at a time.", code="too_long")
    if kind not in TimeOffKind.values:
        raise ValidationFailed("kind", "Unknown kind of time off.")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationFailed("reason", "At most 200 characters.", code="too_long")
    return {"starts_at": start, "ends_at": end, "kind": kind, "reason": reason}


def time_off_add(*, actor: Actor, channel: Channel, fieldworker_id: int, starts_at: datetime, ends_at: datetime,
                 kind: str = TimeOffKind.LEAVE, reason: str = "") -> ScheduleChange:
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        values = _clean_time_off(fieldworker, starts_at, ends_at, kind, reason)
        payload = {**values, "starts_at": values["starts_at"].isoformat(), "ends_at": values["ends_at"].isoformat()}
        if _self_needs_request(actor):
            request = _file(fieldworker, actor=actor, channel=channel, kind="time_off", payload=payload,
                            summary=f"Time off {values['starts_at']:%Y-%m-%d %H:%M} "
                                    f"to {values['ends_at']:%Y-%m-%d %H:%M}")
            return ScheduleChange(False, fieldworker, change_request=request)
        row = TimeOff.objects.create(fieldworker=fieldworker, created_by=actor.user, **values)
        change = _changed(fieldworker, actor=actor, channel=channel, what="time_off_added",
                          data={**payload, "time_off_id": row.pk})
        change.time_off = row
        return change


def time_off_remove(*, actor: Actor, channel: Channel, time_off_id: int) -> ScheduleChange:
    row = TimeOff.objects.filter(pk=time_off_id).first()
    is_own = row is not None and actor.is_fieldworker and actor.fieldworker_id == row.fieldworker_id
    if row is None or not (actor.is_staff or actor.is_system or is_own):  # someone else's looks missing
        raise NotFound("time off", field="timeOffId")
    with transaction.atomic():
        fieldworker = _locked_fieldworker(row.fieldworker_id, actor)
        if _self_needs_request(actor):
            request = _file(fieldworker, actor=actor, channel=channel, kind="time_off_remove",
                            payload={"time_off_id": row.pk}, summary=f"Cancel time off from {row.starts_at:%Y-%m-%d}")
            return ScheduleChange(False, fieldworker, change_request=request)
        TimeOff.objects.filter(pk=row.pk).delete()
        return _changed(fieldworker, actor=actor, channel=channel, what="time_off_removed",
                        data={"time_off_id": time_off_id})


# service areas and status


def fieldworker_set_home_base(*, actor: Actor, channel: Channel, fieldworker_id: int, latitude: float | None,
                              longitude: float | None, radius_km: float | None) -> ScheduleChange:
    _staff_only(actor)
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("latitude", "Give both latitude and longitude, or neither.", code="required")
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationFailed("latitude", "Latitude or longitude out of range.", code="out_of_range")
    if radius_km is not None and not 0 < radius_km <= 2000:
        raise ValidationFailed("radiusKm", "A radius above 0 and at most 2,000 km.", code="out_of_range")
    if radius_km is not None and latitude is None:
        raise ValidationFailed("radiusKm", "A radius needs a home base.", code="required")
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        fieldworker.home_latitude, fieldworker.home_longitude = latitude, longitude
        fieldworker.service_radius_km = radius_km
        fieldworker.save(update_fields=["home_latitude", "home_longitude", "service_radius_km"])
        return _changed(fieldworker, actor=actor, channel=channel, what="home_base",
                        data={"latitude": latitude, "longitude": longitude, "radius_km": radius_km})


def _clean_postcodes(postcodes: list[str]) -> list[str]:
    cleaned = sorted({(code or "").strip().upper() for code in postcodes} - {""})
    if len(cleaned) > MAX_POSTCODES:
        raise ValidationFailed("postcodes", f"At most {MAX_POSTCODES} postcodes.", code="too_many")
    if any(len(code) > 12 for code in cleaned):
        raise ValidationFailed("postcodes", "A postcode has at most 12 characters.", code="too_long")
    return cleaned


def service_area_save(*, actor: Actor, channel: Channel, name: str, postcodes: list[str],
                      area_id: int | None = None) -> ServiceArea:
    """Create or replace a named area of postcodes."""
    _staff_only(actor)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed("name", "A name of 1 to 80 characters is required.")
    codes = _clean_postcodes(postcodes)
    with transaction.atomic():
        if area_id is None:
            if ServiceArea.objects.filter(name__iexact=name).exists():
                raise DomainError("duplicate", "An area with that name exists.", field="name")
            area = ServiceArea.objects.create(name=name)
        else:
            area = ServiceArea.objects.select_for_update().filter(pk=area_id).first()
            if area is None:
                raise NotFound("service area", field="areaId")
            if ServiceArea.objects.filter(name__iexact=name).exclude(pk=area.pk).exists():
                raise DomainError("duplicate", "An area with that name exists.", field="name")
            area.name = name
            area.save(update_fields=["name"])
            area.postcodes.all().delete()
        ServiceAreaPostcode.objects.bulk_create(ServiceAreaPostcode(area=area, postcode=code) for code in codes)
    return area


def fieldworker_set_areas(*, actor: Actor, channel: Channel, fieldworker_id: int,
                          area_ids: list[int]) -> ScheduleChange:
    _staff_only(actor)
    ids = set(area_ids)
    if ServiceArea.objects.filter(pk__in=ids).count() != len(ids):
        raise NotFound("service area", field="areaIds")
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        fieldworker.service_areas.set(ids)
        return _changed(fieldworker, actor=actor, channel=channel, what="service_areas",
                        data={"area_ids": sorted(ids)})


def fieldworker_set_status(*, actor: Actor, channel: Channel, fieldworker_id: int, status: str) -> ScheduleChange:
    """Activate, deactivate or block; blocking reports the jobs the fieldworker still holds."""
    _staff_only(actor)
    if status not in FieldworkerStatus.values:
        raise ValidationFailed("status", "Unknown status.")
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        old = fieldworker.status
        fieldworker.status = status
        fieldworker.save(update_fields=["status"])
        _status_effects(fieldworker, old=old, new=status, actor=actor, channel=channel)
        return _changed(fieldworker, actor=actor, channel=channel, what="status", data={"status": [old, status]})


def _status_effects(fieldworker: Fieldworker, *, old: str, new: str, actor: Actor, channel: Channel) -> None:
    """Blocking signs the fieldworker out for good (the account is disabled, so no sign-in and no
    API token works) and unlinks the bot; unblocking enables the account again, the bot stays
    unlinked until they link it anew (decision 0185). Offers are refused by the booking services."""
    if old == new:
        return
    user = fieldworker.user
    if new == FieldworkerStatus.BLOCKED:
        from core.chat.selectors import active_bindings  # chat builds on the workforce, not the other way
        from core.chat.services import chat_unlink

        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        if active_bindings().filter(fieldworker_id=fieldworker.pk).exists():
            chat_unlink(actor=actor, channel=channel, fieldworker_id=fieldworker.pk)
    elif old == FieldworkerStatus.BLOCKED and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])


# settings

SETTINGS_FIELDS = {"travel_buffer_minutes", "fieldworkers_may_edit_hours", "slot_step_minutes",
                   "series_horizon_days"}


def scheduling_settings_update(*, actor: Actor, channel: Channel, **changes: Any) -> SchedulingSettings:
    """A new travel buffer applies to assignments made or rescheduled from now on."""
    _staff_only(actor)
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "Unknown setting.")
    with transaction.atomic():
        scheduling_settings()
        row = SchedulingSettings.objects.select_for_update().get(pk=1)
        for key, value in changes.items():
            setattr(row, key, value)
        try:
            row.full_clean()
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            raise ValidationFailed(name, messages[0], code="out_of_range")
        row.save()
    return row


# change requests


def change_request_file(*, actor: Actor, channel: Channel, fieldworker_id: int, kind: str, payload: dict,
                        summary: str = "", booking_id: int | None = None) -> ChangeRequest:
    """File a request for staff. Used by areas whose rules say a fieldworker's change needs approval."""
    if change_requests.applier(kind) is None:
        raise ValidationFailed("kind", "Unknown kind of change request.")
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        return _file(fieldworker, actor=actor, channel=channel, kind=kind, payload=payload, summary=summary,
                     booking_id=booking_id)


def _decide(*, actor: Actor, channel: Channel, change_request_id: int, approve: bool, note: str) -> ChangeRequest:
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed("note", "At most 2000 characters.", code="too_long")
    with transaction.atomic():
        request = ChangeRequest.objects.select_for_update().filter(pk=change_request_id).first()
        # a request the caller may not decide looks exactly like a missing one (after the same read)
        if request is None or not (actor.is_staff or actor.is_system):
            raise NotFound("change request")
        if request.status != ChangeRequestStatus.PENDING:
            raise DomainError("already_decided", f"This request was already {request.status}.")
        if approve:
            request.result = change_requests.apply(request, actor=actor, channel=channel)
        request.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
        request.decided_by = actor.user
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save()
        _log(request.fieldworker_id, actor=actor, channel=channel,
             action="change_approved" if approve else "change_rejected",
             data={"change_request_id": request.pk, "kind": request.kind})
        events.publish(ChangeRequestDecided(**_event_base(request.fieldworker_id, actor, channel),
                                            change_request_id=request.pk, kind=request.kind, approved=approve,
                                            note=note))
    return request


def change_request_approve(*, actor: Actor, channel: Channel, change_request_id: int, note: str = "") -> ChangeRequest:
    """Carry the request out (as the approving staff member) and mark it approved. If carrying it out
    fails (a rule says no), nothing changes and the request stays pending."""
    return _decide(actor=actor, channel=channel, change_request_id=change_request_id, approve=True, note=note)


def change_request_reject(*, actor: Actor, channel: Channel, change_request_id: int, note: str = "") -> ChangeRequest:
    return _decide(actor=actor, channel=channel, change_request_id=change_request_id, approve=False, note=note)


def _conflict_result(change: ScheduleChange) -> dict[str, Any]:
    return {"conflict_booking_ids": [c.booking_id for c in change.conflicts]}


def _approve_hours(request: ChangeRequest, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    change = working_hours_set(actor=actor, channel=channel, fieldworker_id=request.fieldworker_id,
                               ranges=request.payload.get("ranges", []))
    return _conflict_result(change)


def _approve_time_off(request: ChangeRequest, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    p = request.payload
    change = time_off_add(actor=actor, channel=channel, fieldworker_id=request.fieldworker_id,
                          starts_at=p["starts_at"], ends_at=p["ends_at"], kind=p.get("kind", TimeOffKind.LEAVE),
                          reason=p.get("reason", ""))
    return {**_conflict_result(change), "time_off_id": change.time_off.pk if change.time_off else None}


def _approve_time_off_remove(request: ChangeRequest, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    change = time_off_remove(actor=actor, channel=channel, time_off_id=request.payload["time_off_id"])
    return _conflict_result(change)


change_requests.register("working_hours", _approve_hours)
change_requests.register("time_off", _approve_time_off)
change_requests.register("time_off_remove", _approve_time_off_remove)
