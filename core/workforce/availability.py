"""Who can do a job, when: the availability finder, the slot finder and schedule-conflict reports.

Reads only. Everything is computed from a handful of set-based queries over the fieldworkers who
offer the service (working hours, time off, busy ranges, load), then combined in Python, so
the cost grows with the number of candidates, not with the number of bookings.

Working hours are wall-clock times in the fieldworker's zone (else the company's): they are
expanded to aware intervals per local date, so a 09:00-17:00 day is 09:00-17:00 local on both
sides of a DST change.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict, namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from core.actors import Actor
from core.bookings import zones
from core.bookings.conflicts import MAX_JOB
from core.bookings.models import ACTIVE_ASSIGNMENT, OPEN_STATUSES, BookingAssignment
from core.catalog.models import Service
from core.company.selectors import get_company
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.geo import haversine_km

from .models import Fieldworker, FieldworkerStatus, ServiceAreaPostcode, TimeOff, WorkingHours
from .selectors import scheduling_settings

MAX_WINDOW = timedelta(days=31)
MAX_SLOTS = 200

# reasons a fieldworker is not offered for a job (stable codes, like DomainError codes)
BLOCKED = "blocked"
INACTIVE = "inactive"
OUTSIDE_AREA = "outside_area"
NOT_WORKING = "not_working"
TIME_OFF = "time_off"
BOOKED = "booked"

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Location:
    latitude: float | None = None
    longitude: float | None = None
    postcode: str = ""

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @classmethod
    def of_property(cls, prop) -> Location:
        if prop is None:
            return cls()
        return cls(prop.latitude, prop.longitude, (prop.postcode or "").strip())


@dataclass
class Candidate:
    """A fieldworker for the job: id and name (callers load the rows they show with
    ``fieldworkers_for_ids``), why not when not, distance from home and the day's load."""

    fieldworker_id: int
    name: str
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None
    load: int = 0  # active jobs on the job's local day

    @property
    def available(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    fieldworker_ids: tuple[int, ...]


@dataclass(frozen=True)
class ScheduleConflict:
    booking_id: int
    number: int
    start: datetime
    end: datetime
    reason: str


# --- input checks -------------------------------------------------------------------------------


def _check_location(location: Location | None) -> Location:
    location = location or Location()
    if location.has_point and not (-90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
        raise ValidationFailed("location", "Latitude or longitude out of range.", code="out_of_range")
    return location


def _service(service_id: int, actor: Actor | None = None) -> Service:
    """The service asked for. Only staff see a service that is no longer offered; to anyone else
    it is missing, like in the service list (decision 0150)."""
    service = Service.objects.filter(pk=service_id).first()
    if service is None or (not service.active and actor is not None and not (actor.is_staff or actor.is_system)):
        raise NotFound("service", field="serviceId")
    if not service.active:
        raise DomainError("service_inactive", f"{service.name} is not offered.", field="serviceId")
    return service


def _window(start: datetime, end: datetime, *, start_field: str = "start", end_field: str = "end") -> None:
    for value, name in ((start, start_field), (end, end_field)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationFailed(name, "A date and time with a zone offset is required.", code="invalid_datetime")
    if end <= start:
        raise ValidationFailed(end_field, "The end must be after the start.", code="end_before_start")
    if end - start > MAX_WINDOW:
        raise ValidationFailed(end_field, "At most 31 days at a time.", code="too_long")


# --- building blocks ----------------------------------------------------------------------------


def zone_of(fieldworker: Fieldworker, default: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(fieldworker.time_zone or default)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo(default)


def _at(day: date, clock: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """Aware local wall-clock time; a time inside a DST gap moves forward past the gap."""
    if clock >= time(23, 59):  # "until 23:59" means until midnight
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    naive = datetime.combine(day, clock)
    local = naive.replace(tzinfo=tz)
    return local.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(tz)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _subtract(free: list[Interval], taken: Iterable[Interval]) -> list[Interval]:
    out = free
    for t_lo, t_hi in _merge(taken):
        nxt: list[Interval] = []
        for lo, hi in out:
            if t_hi <= lo or t_lo >= hi:
                nxt.append((lo, hi))
                continue
            if lo < t_lo:
                nxt.append((lo, t_lo))
            if t_hi < hi:
                nxt.append((t_hi, hi))
        out = nxt
    return out


def working_intervals(hours: Iterable[WorkingHours | tuple[int, time, time]], tz: zoneinfo.ZoneInfo, start: datetime,
                      end: datetime) -> list[Interval]:
    """Concrete, merged working intervals touching ``[start, end)``."""
    by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in hours:
        if isinstance(row, WorkingHours):
            row = (row.weekday, row.start_time, row.end_time)
        by_day[row[0]].append((row[1], row[2]))
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    out: list[Interval] = []
    day = first
    while day <= last:
        for start_time, end_time in by_day.get(day.weekday(), ()):
            lo, hi = _at(day, start_time, tz), _at(day, end_time, tz)
            if hi > lo and hi > start and lo < end:
                out.append((lo, hi))
        day += timedelta(days=1)
    return _merge(out)


def _covers(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    return any(lo <= start and end <= hi for lo, hi in intervals)


def _weekdays(start: datetime, end: datetime) -> set[int]:
    """Weekdays of every date the window touches, in any zone (one day of slack either side)."""
    days = (end.date() - start.date()).days + 3
    if days >= 7:
        return set(range(7))
    return {(start.date() + timedelta(days=offset)).weekday() for offset in range(-1, days - 1)}


# Past this many candidates, rows are selected by a join on the service instead of a long IN list
# (binding hundreds of parameters costs more than the join).
JOIN_MIN_CANDIDATES = 20


def _of(ids: list[int], service_id: int | None, path: str = "fieldworker") -> dict[str, Any]:
    if service_id is not None and len(ids) >= JOIN_MIN_CANDIDATES:
        return {f"{path}__services__id": service_id}
    return {f"{path}_id__in": ids}


def _hours_for(ids: list[int], start: datetime, end: datetime,
               service_id: int | None = None) -> dict[int, list[tuple[int, time, time]]]:
    out: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
    wanted = set(ids)
    rows = (WorkingHours.objects.filter(weekday__in=_weekdays(start, end), **_of(ids, service_id)).order_by()
            .values_list("fieldworker_id", "weekday", "start_time", "end_time"))
    for fw_id, weekday, lo, hi in rows:
        if fw_id in wanted:
            out[fw_id].append((weekday, lo, hi))
    return out


def _time_off_for(ids: list[int], start: datetime, end: datetime,
                  service_id: int | None = None) -> dict[int, list[Interval]]:
    out: dict[int, list[Interval]] = defaultdict(list)
    wanted = set(ids)
    rows = TimeOff.objects.filter(starts_at__lt=end, ends_at__gt=start, **_of(ids, service_id)).order_by().values_list(
        "fieldworker_id", "starts_at", "ends_at")
    for fw_id, lo, hi in rows:
        if fw_id in wanted:
            out[fw_id].append((lo, hi))
    return out


# With many candidates one range scan beats one index probe per fieldworker.
PG_RANGE_SCAN_MIN_CANDIDATES = 20
# PostgreSQL: the exclusion constraint's GiST index answers "which ranges overlap this window" directly;
# the predicate repeats the constraint's WHERE so the planner may use that partial index, and
# "fieldworker_id + 0" keeps it from preferring one btree probe per fieldworker.
_BUSY_PG = """
SELECT fieldworker_id, busy_from, busy_until, booking_id FROM bookings_bookingassignment
WHERE status IN ('offered', 'accepted') AND busy_from IS NOT NULL AND busy_until IS NOT NULL
  AND tstzrange(busy_from, busy_until, '[)') && tstzrange(%s, %s, '[)')
  AND (fieldworker_id + 0) = ANY(%s)
"""


def _busy_for(ids: list[int], start: datetime, end: datetime, buffer: timedelta,
              exclude_booking_id: int | None = None, service_id: int | None = None) -> dict[int, list[Interval]]:
    """Busy ranges (buffer included after each job) that touch ``[start - buffer, end + buffer)``."""
    out: dict[int, list[Interval]] = defaultdict(list)
    if connection.vendor == "postgresql" and len(ids) >= PG_RANGE_SCAN_MIN_CANDIDATES:
        wanted = set(ids)
        with connection.cursor() as cursor:
            cursor.execute(_BUSY_PG, [start, end + buffer, list(wanted)])
            for fw_id, lo, hi, booking_id in cursor.fetchall():
                if fw_id in wanted and booking_id != exclude_booking_id:
                    out[fw_id].append((lo, hi))
        return out
    wanted = set(ids)
    qs = BookingAssignment.objects.filter(
        status__in=ACTIVE_ASSIGNMENT, busy_from__lt=end + buffer, busy_from__gte=start - MAX_JOB - buffer,
        busy_until__gt=start, **_of(ids, service_id),
    )
    if exclude_booking_id is not None:
        qs = qs.exclude(booking_id=exclude_booking_id)
    for fw_id, lo, hi in qs.order_by().values_list("fieldworker_id", "busy_from", "busy_until"):
        if fw_id in wanted:
            out[fw_id].append((lo, hi))
    return out


def _postcode_cover(ids: list[int], postcode: str, service_id: int | None = None) -> tuple[set[int], set[int]]:
    """(fieldworkers whose named areas include the postcode, fieldworkers that have any named area)."""
    having = set(
        Fieldworker.service_areas.through.objects.filter(**_of(ids, service_id)).values_list("fieldworker_id",
                                                                                              flat=True))
    if not postcode or not having:
        return set(), having
    covering = set(
        Fieldworker.service_areas.through.objects.filter(
            fieldworker_id__in=ids,
            servicearea_id__in=ServiceAreaPostcode.objects.filter(postcode=postcode).values("area_id"),
        ).values_list("fieldworker_id", flat=True))
    return covering, having


def _area_reason(fw: Fieldworker, location: Location, by_postcode: set[int], has_areas: set[int]) -> tuple[
        str | None, float | None]:
    """Whether ``fw`` covers ``location`` (None = yes, else OUTSIDE_AREA), and the distance from home.

    A fieldworker with neither a radius nor a named area covers everywhere; one with either covers
    the location if the radius or any named area does (see docs/decisions/0302)."""
    distance = None
    if location.has_point and fw.home_latitude is not None and fw.home_longitude is not None:
        distance = haversine_km(fw.home_latitude, fw.home_longitude, location.latitude, location.longitude)
    has_radius = fw.service_radius_km is not None and fw.home_latitude is not None and fw.home_longitude is not None
    if not has_radius and fw.id not in has_areas:
        return None, distance
    if fw.id in by_postcode:
        return None, distance
    if has_radius and distance is not None and distance <= fw.service_radius_km:
        return None, distance
    if not location.has_point and not location.postcode:
        return None, distance  # nothing to judge by
    return OUTSIDE_AREA, distance


def _candidate_rows(service_id: int, fieldworker_ids: Iterable[int] | None) -> list[Fieldworker]:
    qs = Fieldworker.objects.filter(services__id=service_id).order_by()
    if fieldworker_ids is not None:
        qs = qs.filter(pk__in=list(fieldworker_ids))
    return list(qs)


def _candidates(service_id: int | None, location: Location, fieldworker_ids: Iterable[int] | None,
                workers: list[Fieldworker] | None = None, cover: tuple[set[int], set[int]] | None = None) -> tuple[
        list[Fieldworker], dict[int, list[str]], dict[int, float | None]]:
    if workers is None:
        workers = _candidate_rows(service_id, fieldworker_ids)
    ids = [fw.id for fw in workers]
    by_postcode, has_areas = cover if cover is not None else _postcode_cover(ids, location.postcode, service_id)
    reasons: dict[int, list[str]] = {}
    distance: dict[int, float | None] = {}
    for fw in workers:
        why: list[str] = []
        if fw.status == FieldworkerStatus.BLOCKED:
            why.append(BLOCKED)
        elif fw.status != FieldworkerStatus.ACTIVE:
            why.append(INACTIVE)
        area, distance[fw.id] = _area_reason(fw, location, by_postcode, has_areas)
        if area:
            why.append(area)
        reasons[fw.id] = why
    return workers, reasons, distance


def _ensure_may_see_workers(actor: Actor) -> None:
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff may look up fieldworkers' availability.")


# --- the availability finder ----------------------------------------------------------------------


def available_fieldworkers(*, actor: Actor, service_id: int, start: datetime, end: datetime,
                           location: Location | None = None, include_unavailable: bool = False,
                           exclude_booking_id: int | None = None) -> list[Candidate]:
    """Fieldworkers who offer the service, are active, cover the location, are working the whole
    window, are not on time off and not booked (travel buffer included); nearest and least loaded
    first. With ``include_unavailable`` the others follow, each with its ``reasons``."""
    _ensure_may_see_workers(actor)
    _window(start, end)
    location = _check_location(location)
    if connection.vendor == "postgresql":
        company_tz, buffer = _service_and_rules_pg(service_id)
        rows, facts = _candidates_pg(service_id, start, end, buffer, exclude_booking_id, location.postcode,
                                     zoneinfo.ZoneInfo(company_tz), only_available=not include_unavailable)
        cover = ({i for i, f in facts.items() if f.by_postcode}, {i for i, f in facts.items() if f.has_areas})
        workers, reasons, distance = _candidates(service_id, location, None, rows, cover)
        hours = {i: f.hours for i, f in facts.items()}
        time_off = {i: [(start, end)] for i, f in facts.items() if f.off}
        busy = {i: [(start, end + buffer)] for i, f in facts.items() if f.busy}
    else:
        _service(service_id)
        company_tz = get_company().time_zone
        buffer = timedelta(minutes=scheduling_settings().travel_buffer_minutes)
        rows = _candidate_rows(service_id, None)
        ids = [fw.id for fw in rows]
        workers, reasons, distance = _candidates(service_id, location, None, rows)
        hours = _hours_for(ids, start, end, service_id)
        time_off = _time_off_for(ids, start, end, service_id)
        busy = _busy_for(ids, start, end, buffer, exclude_booking_id, service_id)
        facts = None
    lo_new, hi_new = start, end + buffer
    memo: dict[tuple, bool] = {}  # most fieldworkers share a pattern of hours: expand each pattern once
    for fw in workers:
        why = reasons[fw.id]
        if why and not include_unavailable:
            continue  # already out; the remaining checks would only add reasons nobody reads
        tz = zone_of(fw, company_tz)
        pattern = (tuple(sorted(hours.get(fw.id, ()))), str(tz))
        if pattern not in memo:
            memo[pattern] = _covers(working_intervals(pattern[0], tz, start, end), start, end)
        if not memo[pattern]:
            why.append(NOT_WORKING)
        if time_off.get(fw.id):
            why.append(TIME_OFF)
        if any(lo < hi_new and hi > lo_new for lo, hi in busy.get(fw.id, ())):
            why.append(BOOKED)
    out = [Candidate(fw.id, fw.name, reasons[fw.id], distance[fw.id]) for fw in workers
           if include_unavailable or not reasons[fw.id]]
    if facts is not None:
        for candidate in out:
            candidate.load = facts[candidate.fieldworker_id].load
    else:
        _fill_load(out, start, company_tz, service_id)
    out.sort(key=lambda c: (not c.available, c.distance_km is None, c.distance_km or 0.0, c.load,
                            c.name, c.fieldworker_id))
    return out


@dataclass
class _Facts:
    hours: list[tuple[int, time, time]]
    off: bool
    busy: bool
    load: int
    has_areas: bool
    by_postcode: bool


_RULES_PG = """
SELECT s.active, s.name,
       (SELECT time_zone FROM {company} WHERE id = 1),
       (SELECT travel_buffer_minutes FROM {rules} WHERE id = 1)
FROM {service} s WHERE s.id = %s
"""


def _service_and_rules_pg(service_id: int) -> tuple[str, timedelta]:
    """PostgreSQL: the service check, the business's zone and the travel buffer in one round trip
    (the same answers and errors as ``_service``, ``get_company`` and ``scheduling_settings``)."""
    from core.company.models import Company

    from .models import SchedulingSettings

    sql = _RULES_PG.format(company=Company._meta.db_table, rules=SchedulingSettings._meta.db_table,
                           service=Service._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [service_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("service", field="serviceId")
    active, name, company_tz, buffer_minutes = row
    if not active:
        raise DomainError("service_inactive", f"{name} is not offered.", field="serviceId")
    if company_tz is None:  # first use: the rows are created with their defaults
        company_tz = get_company().time_zone
    if buffer_minutes is None:
        buffer_minutes = scheduling_settings().travel_buffer_minutes
    return company_tz, timedelta(minutes=buffer_minutes)


_CANDIDATES_PG = """
WITH c AS (
  SELECT {columns} FROM {fieldworker} f
  WHERE f.id IN (SELECT o.fieldworker_id FROM {offers} o WHERE o.service_id = %(service)s){only_active}),
busy AS (
  SELECT fieldworker_id AS id,
         bool_or(busy_from < %(end_buffer)s AND busy_until > %(start)s AND booking_id <> %(exclude)s) AS busy,
         count(*) FILTER (WHERE busy_from >= %(day_lo)s AND busy_from < %(day_hi)s) AS load
  FROM {assignment}
  WHERE status IN ('offered', 'accepted') AND busy_from IS NOT NULL AND busy_until IS NOT NULL
    AND tstzrange(busy_from, busy_until, '[)') && tstzrange(%(lo)s, %(hi)s, '[)')
    AND (fieldworker_id + 0) IN (SELECT id FROM c)
  GROUP BY fieldworker_id)
SELECT c.*,
       (SELECT string_agg(weekday::text || ' ' || start_time::text || ' ' || end_time::text, ','
                          ORDER BY weekday, start_time, end_time) FROM {hours} w
        WHERE w.fieldworker_id = c.id AND w.weekday = ANY(%(days)s)),
       EXISTS (SELECT 1 FROM {time_off} t WHERE t.fieldworker_id = c.id AND t.starts_at < %(end)s
               AND t.ends_at > %(start)s),
       coalesce(busy.busy, false), coalesce(busy.load, 0),
       EXISTS (SELECT 1 FROM {areas} x WHERE x.fieldworker_id = c.id),
       EXISTS (SELECT 1 FROM {areas} x JOIN {postcodes} p ON p.area_id = x.servicearea_id
               WHERE x.fieldworker_id = c.id AND p.postcode = %(postcode)s)
FROM c LEFT JOIN busy ON busy.id = c.id
{only_free}"""
# Without ``include_unavailable`` the rows already out for a reason SQL can see are not sent at all
# (the reasons would be dropped anyway): not active, on time off, booked.
_ONLY_ACTIVE = " AND f.status = %(active)s"
_ONLY_FREE = """WHERE NOT coalesce(busy.busy, false) AND NOT EXISTS (
  SELECT 1 FROM {time_off} t WHERE t.fieldworker_id = c.id AND t.starts_at < %(end)s AND t.ends_at > %(start)s)
"""
# what the checks and the ranking read of a fieldworker
_FIELDWORKER_COLUMNS = [Fieldworker._meta.get_field(name) for name in (
    "id", "name", "status", "time_zone", "home_latitude", "home_longitude", "service_radius_km")]
_FieldworkerRow = namedtuple("_FieldworkerRow", [f.attname for f in _FIELDWORKER_COLUMNS])  # type: ignore[misc]


@lru_cache(maxsize=4096)
def _parse_hours(text: str | None) -> tuple[tuple[int, time, time], ...]:
    """``"0 09:00:00 17:00:00,2 ..."`` as (weekday, start, end) tuples; most fieldworkers share a
    handful of patterns, so each distinct text is parsed once."""
    out = []
    for item in (text or "").split(",") if text else ():
        weekday, lo, hi = item.split(" ")
        out.append((int(weekday), time.fromisoformat(lo), time.fromisoformat(hi)))
    return tuple(out)


def _candidates_pg(service_id: int, start: datetime, end: datetime, buffer: timedelta,
                   exclude_booking_id: int | None, postcode: str, company_tz: zoneinfo.ZoneInfo,
                   only_available: bool = False) -> tuple[list[Any], dict[int, _Facts]]:
    """PostgreSQL: every fieldworker who offers the service and everything the finder needs about
    them in one round trip of set-based parts (busy time and load from one scan of the exclusion
    constraint's GiST index). Same answers as the portable path; rows stay tuples until returned."""
    day = start.astimezone(company_tz).date()
    tables = {"time_off": TimeOff._meta.db_table}
    sql = _CANDIDATES_PG.format(
        only_active=_ONLY_ACTIVE if only_available else "",
        only_free=_ONLY_FREE.format(**tables) if only_available else "",
        columns=", ".join(f'f."{f.column}"' for f in _FIELDWORKER_COLUMNS),
        fieldworker=Fieldworker._meta.db_table, offers=Fieldworker.services.through._meta.db_table,
        hours=WorkingHours._meta.db_table, time_off=TimeOff._meta.db_table,
        assignment=BookingAssignment._meta.db_table, areas=Fieldworker.service_areas.through._meta.db_table,
        postcodes=ServiceAreaPostcode._meta.db_table)
    params = {
        "service": service_id, "active": FieldworkerStatus.ACTIVE, "days": sorted(_weekdays(start, end)),
        "start": start, "end": end,
        "end_buffer": end + buffer, "exclude": exclude_booking_id or 0, "postcode": postcode or "",
        "day_lo": datetime.combine(day, time(0), tzinfo=company_tz),
        "day_hi": datetime.combine(day + timedelta(days=1), time(0), tzinfo=company_tz),
    }
    # one GiST scan covers both questions: busy in the job window, and jobs that day (load)
    params["lo"] = min(start, params["day_lo"])
    params["hi"] = max(end + buffer, params["day_hi"])
    width = len(_FIELDWORKER_COLUMNS)
    rows: list[Any] = []
    facts: dict[int, _Facts] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            row = _FieldworkerRow(*record[:width])
            hours, off, busy, load, has_areas, by_postcode = record[width:]
            rows.append(row)
            facts[row.id] = _Facts(list(_parse_hours(hours)), off, busy, load, has_areas,
                                   by_postcode and bool(postcode))
    return rows, facts


def _fill_load(candidates: list[Candidate], start: datetime, tz_name: str, service_id: int) -> None:
    if not candidates:
        return
    tz = zoneinfo.ZoneInfo(tz_name)
    day = start.astimezone(tz).date()
    lo = datetime.combine(day, time(0), tzinfo=tz)
    hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    ids = [c.fieldworker_id for c in candidates]
    counts = dict(
        BookingAssignment.objects.filter(
            status__in=ACTIVE_ASSIGNMENT, busy_from__gte=lo, busy_from__lt=hi, **_of(ids, service_id),
        ).values("fieldworker_id").annotate(n=Count("id")).values_list("fieldworker_id", "n"))
    for candidate in candidates:
        candidate.load = counts.get(candidate.fieldworker_id, 0)


# --- the slot finder --------------------------------------------------------------------------------


def available_slots(*, actor: Actor, service_id: int | None, location: Location | None, start: datetime,
                    end: datetime, fieldworker_id: int | None = None, limit: int = 20,
                    time_zone: str | None = None, fieldworker_ids: Iterable[int] | None = None,
                    duration: timedelta | None = None, exclude_booking_id: int | None = None) -> list[Slot]:
    """The next start times in ``[start, end)`` at which someone (or ``fieldworker_id``) can do the
    service at ``location``: aligned to the slot step in the business's zone, never in the past.

    Every start and end is given in ``time_zone`` (the caller's), else in the company's: one answer,
    one UTC offset per wall-clock period, whoever's working hours a slot came from (decision 0311).

    For moving a booking (decision 0142): ``fieldworker_ids`` looks at those fieldworkers whether or
    not they offer the service (``service_id`` may then be None), ``duration`` replaces the
    service's, and ``exclude_booking_id`` does not count that booking's own time as busy."""
    if actor.is_fieldworker:
        if fieldworker_id is not None and fieldworker_id != actor.fieldworker_id:
            raise PermissionDenied("You can only look up your own slots.")
        fieldworker_id = actor.fieldworker_id
        fieldworker_ids = None
    elif not (actor.is_staff or actor.is_system or actor.is_customer):
        raise PermissionDenied()
    _window(start, end, start_field="from", end_field="to")
    if not 1 <= limit <= MAX_SLOTS:
        raise ValidationFailed("limit", f"Between 1 and {MAX_SLOTS}.", code="out_of_range")
    location = _check_location(location)
    if service_id is None and (fieldworker_ids is None or duration is None):
        raise ValidationFailed("serviceId", "A service is required.", code="required")
    service = _service(service_id, actor) if service_id is not None else None
    company = get_company()
    shown_in = _asked_zone(time_zone) if time_zone else company.tz
    rules = scheduling_settings()
    duration = duration or timedelta(minutes=service.duration_minutes)
    buffer = timedelta(minutes=rules.travel_buffer_minutes)
    step = timedelta(minutes=rules.slot_step_minutes)
    start = max(start, timezone.now())
    if start >= end:
        return []

    if fieldworker_ids is not None:
        rows = list(Fieldworker.objects.filter(pk__in=list(fieldworker_ids)).order_by())
        workers, reasons, _distance = _candidates(None, location, None, rows)
    else:
        only = [fieldworker_id] if fieldworker_id is not None else None
        workers, reasons, _distance = _candidates(service_id, location, only)
        if fieldworker_id is not None and not workers:
            raise NotFound("fieldworker", field="fieldworkerId")
    workers = [fw for fw in workers if not reasons[fw.pk]]
    ids = [fw.pk for fw in workers]
    sid = service_id if fieldworker_id is None and fieldworker_ids is None else None
    hours = _hours_for(ids, start, end, sid)
    time_off = _time_off_for(ids, start, end + duration, sid)
    busy = _busy_for(ids, start - duration - buffer, end + duration, buffer, exclude_booking_id, service_id=sid)
    company_tz = company.tz
    by_start: dict[datetime, list[int]] = defaultdict(list)
    memo: dict[tuple, list[Interval]] = {}
    for fw in workers:
        tz = zone_of(fw, company.time_zone)
        pattern = (tuple(sorted(hours.get(fw.pk, ()))), str(tz))
        if pattern not in memo:
            memo[pattern] = working_intervals(pattern[0], tz, start, end + duration)
        free = memo[pattern]
        free = _subtract(free, time_off.get(fw.pk, ()))
        free = _subtract(free, [(lo - buffer, hi) for lo, hi in busy.get(fw.pk, ())])
        found = 0  # the first ``limit`` starts of each fieldworker are enough for the first ``limit`` overall
        for lo, hi in free:
            slot = _align(max(lo, start), step, company_tz)
            while slot + duration <= hi and slot < end and found < limit:
                by_start[slot].append(fw.pk)
                found += 1
                slot += step
    return [Slot(moment.astimezone(shown_in), (moment + duration).astimezone(shown_in), tuple(sorted(by_start[moment])))
            for moment in sorted(by_start)[:limit]]


def _asked_zone(name: str) -> zoneinfo.ZoneInfo:
    found = zones.zone(name)
    if found is None:
        raise ValidationFailed("timeZone", f"Unknown time zone {name[:64]!r}.", code="invalid_time_zone")
    return found


def _align(moment: datetime, step: timedelta, tz: zoneinfo.ZoneInfo) -> datetime:
    """Round up to the next multiple of ``step`` after local midnight."""
    local = moment.astimezone(tz)
    midnight = datetime.combine(local.date(), time(0), tzinfo=tz)
    elapsed = local - midnight
    steps = -(-elapsed // step)  # ceiling division of timedeltas
    return (midnight + steps * step).astimezone(moment.tzinfo)


# --- what a schedule change breaks ------------------------------------------------------------------


def schedule_conflicts(fieldworker_id: int, *, since: datetime | None = None) -> list[ScheduleConflict]:
    """The fieldworker's open, future jobs that their status, working hours or time off no longer
    allow. Staff reassign these; nothing is changed automatically."""
    since = since or timezone.now()
    fw = Fieldworker.objects.filter(pk=fieldworker_id).first()
    if fw is None:
        return []
    rows = list(
        BookingAssignment.objects.filter(
            fieldworker_id=fieldworker_id, status__in=ACTIVE_ASSIGNMENT, booking__status__in=OPEN_STATUSES,
            booking__scheduled_end__gt=since,
        ).select_related("booking").order_by("booking__scheduled_start"))
    if not rows:
        return []
    first = min(row.booking.scheduled_start for row in rows)
    last = max(row.booking.scheduled_end for row in rows)
    status_reason = {FieldworkerStatus.BLOCKED: BLOCKED, FieldworkerStatus.INACTIVE: INACTIVE}.get(fw.status)
    working, off = _schedule_of(fw, first, last)
    out = []
    for row in rows:
        b = row.booking
        reason = status_reason or _schedule_reason(working, off, b.scheduled_start, b.scheduled_end)
        if reason:
            out.append(ScheduleConflict(b.pk, b.number, b.scheduled_start, b.scheduled_end, reason))
    return out


def _schedule_of(fw: Fieldworker, start: datetime, end: datetime) -> tuple[list[Interval], list[Interval]]:
    """The fieldworker's working intervals and time off around ``[start, end)``."""
    hours = list(WorkingHours.objects.filter(fieldworker_id=fw.pk).values_list("weekday", "start_time", "end_time"))
    off = list(TimeOff.objects.filter(fieldworker_id=fw.pk, starts_at__lt=end, ends_at__gt=start)
               .values_list("starts_at", "ends_at"))
    return working_intervals(hours, zone_of(fw, get_company().time_zone), start, end), off


def _schedule_reason(working: list[Interval], off: list[Interval], start: datetime, end: datetime) -> str | None:
    """TIME_OFF, NOT_WORKING or None for a job ``[start, end)``: the finder's test (any overlap with
    time off; the job inside one merged working range)."""
    if any(lo < end and hi > start for lo, hi in off):
        return TIME_OFF
    if not _covers(working, start, end):
        return NOT_WORKING
    return None


def schedule_reason(fieldworker: Fieldworker, start: datetime, end: datetime) -> str | None:
    """Whether the fieldworker's own schedule allows a job ``[start, end)``: TIME_OFF, NOT_WORKING
    or None. Bookings and assignments ask this before offering a job (decision 0141); status,
    area and other jobs are separate questions."""
    working, off = _schedule_of(fieldworker, start, end)
    return _schedule_reason(working, off, start, end)


def fieldworkers_for_ids(ids: Iterable[int]) -> dict[int, Fieldworker]:
    return {fw.pk: fw for fw in Fieldworker.objects.filter(pk__in=list(ids))}


__all__ = [
    "BLOCKED", "BOOKED", "INACTIVE", "NOT_WORKING", "OUTSIDE_AREA", "TIME_OFF",
    "Candidate", "Location", "ScheduleConflict", "Slot",
    "available_fieldworkers", "available_slots", "haversine_km", "schedule_conflicts", "schedule_reason",
]
