"""Recurring bookings: the write path for booking series.

A series is an RFC 5545 RRULE (weekly, fortnightly, monthly on a weekday, ...) expanded with
``dateutil.rrule`` in *local wall-clock time*: DTSTART is the naive local date and time, each
occurrence is then placed in the series' time zone, so a 09:00 job stays 09:00 across DST
(an occurrence inside a spring-forward gap moves forward past the gap).

Occurrences become ordinary bookings (through ``booking_create`` / ``booking_assign``) up to a
horizon; ``series_extend_all`` (a task and a management command) moves the horizon forward.
A fieldworker who is busy for an occurrence is not silently skipped: the booking is still made,
the clash is returned in ``SeriesResult.conflicts`` and written to that booking's history.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rrulestr
from django.db import transaction
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.crm.models import Customer, Property
from core.errors import DomainError, NotFound, ValidationFailed
from core.workforce.models import Fieldworker
from core.workforce.selectors import scheduling_settings

from . import history, policy, zones
from . import services as booking_services
from .models import OPEN_STATUSES, Booking, BookingSeries, BookingSource, BookingStatus, SeriesStatus

MAX_COUNT = 500
ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY"}
ALLOWED_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYSETPOS", "BYMONTHDAY", "WKST"}
SCOPES = ("this", "following", "all")


@dataclass(frozen=True)
class OccurrenceConflict:
    date: date
    booking_id: int | None
    fieldworker_id: int
    code: str
    message: str
    clash_booking_ids: tuple[int, ...] = ()


@dataclass
class SeriesResult:
    series: BookingSeries | None
    created: list[Booking] = field(default_factory=list)
    updated: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)
    conflicts: list[OccurrenceConflict] = field(default_factory=list)


# --- the rule ------------------------------------------------------------------------------------


def normalise_rule(text: str) -> tuple[str, date | None]:
    """Check an RRULE and return (canonical rule without UNTIL, UNTIL as a local date)."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > 300:
        raise ValidationFailed("rule", "A recurrence rule such as FREQ=WEEKLY;BYDAY=MO is required.",
                               code="invalid_rule")
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        key, sep, value = chunk.partition("=")
        key = key.strip().upper()
        if not sep or key not in ALLOWED_PARTS or key in parts:
            raise ValidationFailed("rule", f"Unsupported rule part {key or chunk!r}.", code="invalid_rule")
        parts[key] = value.strip().upper()
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise ValidationFailed("rule", "FREQ must be DAILY, WEEKLY or MONTHLY.", code="invalid_rule")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationFailed("rule", "Give COUNT or UNTIL, not both.", code="invalid_rule")
    if "COUNT" in parts and not (parts["COUNT"].isdigit() and 1 <= int(parts["COUNT"]) <= MAX_COUNT):
        raise ValidationFailed("rule", f"COUNT must be 1 to {MAX_COUNT}.", code="invalid_rule")
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= 52):
        raise ValidationFailed("rule", "INTERVAL must be 1 to 52.", code="invalid_rule")
    until = None
    if "UNTIL" in parts:
        raw = parts.pop("UNTIL")
        try:
            until = datetime.strptime(raw[:8], "%Y%m%d").date()
        except ValueError:
            raise ValidationFailed("rule", "UNTIL must be a date like 20270630.", code="invalid_rule")
    canonical = ";".join(f"{key}={parts[key]}" for key in
                         ("FREQ", "INTERVAL", "BYDAY", "BYSETPOS", "BYMONTHDAY", "WKST", "COUNT") if key in parts)
    try:
        rrulestr(canonical, dtstart=datetime(2000, 1, 3, 9, 0))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("rule", f"Not a valid rule: {exc}.", code="invalid_rule")
    return canonical, until


def _rule(series: BookingSeries) -> rrule:
    dtstart = datetime.combine(series.start_date, series.start_time)
    return rrulestr(series.rule, dtstart=dtstart)


def local_moment(day: date, clock: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """``day`` at ``clock`` on the wall clock of ``tz``; inside a DST gap, just after it."""
    local = datetime.combine(day, clock).replace(tzinfo=tz)
    return local.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(tz)


def occurrence_dates(series: BookingSeries, start: date, end: date) -> list[date]:
    """Occurrence dates of the rule in ``[start, end]`` (inclusive), stopping at ``ends_on``."""
    if series.ends_on is not None:
        end = min(end, series.ends_on)
    if end < start:
        return []
    lo = datetime.combine(start, time.min)
    hi = datetime.combine(end, time.max)
    return [moment.date() for moment in _rule(series).between(lo, hi, inc=True)]


def _last_date(series: BookingSeries) -> date | None:
    """The rule's final date, or None when it runs for ever."""
    rule = _rule(series)
    if rule._count is None and rule._until is None and series.ends_on is None:
        return None
    last = None
    for moment in rule:
        if series.ends_on is not None and moment.date() > series.ends_on:
            break
        last = moment.date()
    return last


# --- create and extend ---------------------------------------------------------------------------


def _line_payload(lines: Sequence[booking_services.LineInput]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        item = asdict(line)
        out.append({key: (str(value) if isinstance(value, Decimal) else value) for key, value in item.items()})
    return out


def _lines(series: BookingSeries) -> list[booking_services.LineInput]:
    out = []
    for item in series.lines:
        out.append(booking_services.LineInput(
            service_id=item.get("service_id"),
            quantity=Decimal(item.get("quantity") or "1"),
            unit_price=Decimal(item["unit_price"]) if item.get("unit_price") is not None else None,
            description=item.get("description") or "",
            tax_rate=Decimal(item["tax_rate"]) if item.get("tax_rate") is not None else None,
            product_id=item.get("product_id"), package_id=item.get("package_id"),
            tax_rate_id=item.get("tax_rate_id"), tax_name=item.get("tax_name"),
        ))
    return out


def series_create(*, actor: Actor, channel: Channel, customer_id: int, rule: str, start_date: date,
                  start_time: time, duration_minutes: int | None = None, property_id: int | None = None,
                  lines: Sequence[booking_services.LineInput] = (), fieldworker_ids: Sequence[int] = (),
                  time_zone: str | None = None, notes: str = "", workers_required: int = 1,
                  until: date | None = None) -> SeriesResult:
    policy.ensure_staff(actor)
    canonical, rule_until = normalise_rule(rule)
    if until is not None and rule_until is not None:
        raise ValidationFailed("until", "Give the end date in the rule or separately, not both.", code="ambiguous")
    until = until or rule_until
    if "COUNT" in canonical and until is not None:
        raise ValidationFailed("until", "Give COUNT or an end date, not both.", code="ambiguous")
    if until is not None:
        if until < start_date:
            raise ValidationFailed("until", "The end date is before the start.", code="end_before_start")
        canonical += f";UNTIL={until:%Y%m%d}T235959"
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("customer", field="customerId")
    prop = None
    if property_id is not None:
        prop = Property.objects.filter(pk=property_id, customer_id=customer_id).first()
        if prop is None:
            raise NotFound("property", field="propertyId")
    tz_name = zones.zone_name(time_zone=time_zone, prop=prop)
    booking_services._zone(tz_name)
    if not isinstance(start_time, time):
        raise ValidationFailed("startTime", "A time like 09:00 is required.", code="invalid_time")
    built = booking_services._build_lines(lines, prop=prop)  # refused now, not when an occurrence is booked
    if duration_minutes is None:
        duration_minutes = sum(booking_services.line_minutes(line) for line in built) or 60
    if not 5 <= duration_minutes <= 24 * 60:
        raise ValidationFailed("durationMinutes", "Between 5 minutes and 24 hours.", code="out_of_range")
    if not 1 <= workers_required <= 20:
        raise ValidationFailed("workersRequired", "Between 1 and 20 fieldworkers.", code="out_of_range")
    _check_fieldworkers(fieldworker_ids)
    with transaction.atomic():
        series = BookingSeries.objects.create(
            customer=customer, property=prop, rule=canonical, start_date=start_date,
            start_time=start_time.replace(second=0, microsecond=0, tzinfo=None),
            duration_minutes=duration_minutes, time_zone=tz_name, lines=_line_payload(lines),
            fieldworker_ids=sorted(set(fieldworker_ids)), workers_required=workers_required, notes=notes,
            owner=actor.user if actor.is_staff else None,
        )
        if not occurrence_dates(series, start_date, start_date + timedelta(days=3660)):
            raise ValidationFailed("rule", "The rule gives no occurrence.", code="no_occurrences")
        result = _materialise(series, actor=actor, channel=channel)
    return result


def _check_fieldworkers(fieldworker_ids: Sequence[int]) -> None:
    """Every fieldworker named exists, before anything is written: an unknown id is the caller's
    mistake (``not_found`` on its position), not an assignment conflict on each occurrence."""
    if len(set(fieldworker_ids)) > 20:
        raise ValidationFailed("fieldworkerIds", "At most 20 fieldworkers.", code="too_many")
    known = set(Fieldworker.objects.filter(pk__in=set(fieldworker_ids)).values_list("pk", flat=True))
    for index, fieldworker_id in enumerate(fieldworker_ids):
        if fieldworker_id not in known:
            raise NotFound("fieldworker", field=f"fieldworkerIds.{index}")


def _horizon() -> date:
    return timezone.now().date() + timedelta(days=scheduling_settings().series_horizon_days)


def _today(series: BookingSeries) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(series.time_zone)).date()


def _settle_status(series: BookingSeries) -> None:
    """An active series ends once its last occurrence's day is over, not when its last occurrence is
    booked (decision 0310). The periodic extension visits every active series and ends it then."""
    if series.status != SeriesStatus.ACTIVE:
        return
    last = _last_date(series)
    if last is not None and last < _today(series):
        series.status = SeriesStatus.ENDED


def _materialise(series: BookingSeries, *, actor: Actor, channel: Channel, until: date | None = None) -> SeriesResult:
    """Create the bookings of every occurrence up to the horizon that does not exist yet.

    When these are the series' first bookings, the customer is told once, with the dates
    (``SeriesBooked``); the occurrences' own ``BookingCreated`` send no confirmation (decision 0621)."""
    result = SeriesResult(series)
    if series.status != SeriesStatus.ACTIVE:
        return result
    tz = zoneinfo.ZoneInfo(series.time_zone)
    today = timezone.now().astimezone(tz).date()
    first = max(series.start_date, today, (series.materialised_until + timedelta(days=1))
                if series.materialised_until else series.start_date)
    horizon = until or _horizon()
    existing = set(Booking.objects.filter(series=series).values_list("series_date", flat=True))
    lines = _lines(series)
    duration = timedelta(minutes=series.duration_minutes)
    now = timezone.now()
    for day in occurrence_dates(series, first, horizon):
        if day in existing:
            continue
        start = local_moment(day, series.start_time, tz)
        if start <= now:
            continue
        booking = booking_services.booking_create(
            actor=actor, channel=channel, customer_id=series.customer_id, property_id=series.property_id,
            scheduled_start=start, scheduled_end=start + duration, lines=lines, time_zone=series.time_zone,
            owner_id=series.owner_id, source=BookingSource.RECURRING, notes=series.notes,
            workers_required=series.workers_required, series_id=series.pk, series_date=day,
        )
        booking.series = series
        result.created.append(booking)
        _assign(booking, series.fieldworker_ids, actor=actor, channel=channel, day=day, result=result)
    series.materialised_until = max(horizon, series.materialised_until or horizon)
    _settle_status(series)
    series.save(update_fields=["materialised_until", "status"])
    if result.created and not existing:
        first = result.created[0]
        history.record(first, actor=actor, channel=channel, action="series_booked", data={
            "series_id": series.pk, "numbers": [booking.number for booking in result.created]},
            event=events.SeriesBooked, series_id=series.pk,
            booking_ids=tuple(booking.pk for booking in result.created))
    return result


def _assign(booking: Booking, fieldworker_ids: Sequence[int], *, actor: Actor, channel: Channel, day: date,
            result: SeriesResult) -> None:
    for fieldworker_id in fieldworker_ids:
        try:
            booking_services.booking_assign(actor=actor, channel=channel, booking_id=booking.pk,
                                            fieldworker_id=fieldworker_id)
        except DomainError as exc:
            clash = tuple(exc.data.get("booking_ids", ()))
            result.conflicts.append(OccurrenceConflict(day, booking.pk, fieldworker_id, exc.code, exc.message, clash))
            history.record(booking, actor=actor, channel=channel, action="assignment_conflict",
                           data={"fieldworker_id": fieldworker_id, "code": exc.code, "clash_booking_ids": list(clash)})


def series_extend(*, actor: Actor, channel: Channel, series_id: int, until: date | None = None) -> SeriesResult:
    policy.ensure_staff(actor)
    with transaction.atomic():
        series = BookingSeries.objects.select_for_update().filter(pk=series_id).first()
        if series is None:
            raise NotFound("booking series", field="seriesId")
        return _materialise(series, actor=actor, channel=channel, until=until)


def series_extend_all(*, actor: Actor | None = None, channel: Channel = Channel.SYSTEM,
                      progress: Callable[[int, int, SeriesResult], None] | None = None) -> list[SeriesResult]:
    """Move every active series' horizon forward; one short transaction per series."""
    actor = actor or Actor.system()
    horizon = _horizon()
    ids = list(BookingSeries.objects.filter(status=SeriesStatus.ACTIVE)
               .exclude(materialised_until__gte=horizon).values_list("pk", flat=True))
    results = []
    for index, series_id in enumerate(ids, start=1):
        result = series_extend(actor=actor, channel=channel, series_id=series_id)
        results.append(result)
        if progress is not None:
            progress(index, len(ids), result)
    return results


# --- edit and cancel -----------------------------------------------------------------------------


def _occurrence(booking_id: int, actor: Actor) -> tuple[Booking, BookingSeries]:
    booking = Booking.objects.select_related("series").filter(pk=booking_id).first()
    booking = policy.ensure_visible(booking, actor, booking_id=booking_id)
    policy.ensure_staff(actor)
    if booking.series is None:
        raise DomainError("not_in_series", "This booking is not part of a series.", field="bookingId")
    return booking, booking.series


def _scope(scope: str) -> str:
    if scope not in SCOPES:
        raise ValidationFailed("scope", "Scope is this, following or all.")
    return scope


def _pivot(booking: Booking, series: BookingSeries, scope: str) -> date:
    if scope == "following":
        return booking.series_date
    return series.start_date


def _split(series: BookingSeries, pivot: date, **changes: Any) -> BookingSeries:
    """Cut ``series`` before ``pivot`` and continue from ``pivot`` as a new series with ``changes``."""
    if pivot <= series.start_date:
        for key, value in changes.items():
            setattr(series, key, value)
        series.save()
        return series
    old_dates = occurrence_dates(series, series.start_date, pivot - timedelta(days=1))
    rule = series.rule
    if "COUNT=" in rule:
        parts = dict(chunk.split("=", 1) for chunk in rule.split(";"))
        remaining = int(parts["COUNT"]) - len(old_dates)
        parts["COUNT"] = str(max(remaining, 1))
        rule = ";".join(f"{k}={v}" for k, v in parts.items())
    new = BookingSeries.objects.create(
        customer_id=series.customer_id, property_id=series.property_id, rule=rule, start_date=pivot,
        start_time=series.start_time, duration_minutes=series.duration_minutes, time_zone=series.time_zone,
        lines=series.lines, fieldworker_ids=series.fieldworker_ids, workers_required=series.workers_required,
        notes=series.notes, owner_id=series.owner_id, status=SeriesStatus.ACTIVE, ends_on=series.ends_on,
        materialised_until=series.materialised_until, parent=series,
    )
    for key, value in changes.items():
        setattr(new, key, value)
    new.save()
    series.ends_on = pivot - timedelta(days=1)
    _settle_status(series)  # cut short, it still runs until its new last date
    series.save(update_fields=["ends_on", "status"])
    return new


def series_update(*, actor: Actor, channel: Channel, booking_id: int, scope: str, start_time: time | None = None,
                  duration_minutes: int | None = None, notes: str | None = None,
                  fieldworker_ids: Sequence[int] | None = None) -> SeriesResult:
    """Edit one occurrence, this and the following ones, or the whole series (its open future part).

    Times move on the wall clock of each occurrence's date. A fieldworker who would clash at the new
    time is taken off that occurrence and the clash is reported; every other occurrence still moves."""
    _scope(scope)
    if duration_minutes is not None and not 5 <= duration_minutes <= 24 * 60:
        raise ValidationFailed("durationMinutes", "Between 5 minutes and 24 hours.", code="out_of_range")
    if start_time is not None:
        start_time = start_time.replace(second=0, microsecond=0, tzinfo=None)
    with transaction.atomic():
        booking, series = _occurrence(booking_id, actor)
        if fieldworker_ids is not None:
            _check_fieldworkers(fieldworker_ids)
        series = BookingSeries.objects.select_for_update().get(pk=series.pk)
        result = SeriesResult(series)
        if scope == "this":
            targets = [booking]
        else:
            changes: dict[str, Any] = {}
            if start_time is not None:
                changes["start_time"] = start_time
            if duration_minutes is not None:
                changes["duration_minutes"] = duration_minutes
            if notes is not None:
                changes["notes"] = notes
            if fieldworker_ids is not None:
                changes["fieldworker_ids"] = sorted(set(fieldworker_ids))
            pivot = _pivot(booking, series, scope)
            new_series = _split(series, pivot, **changes)
            result.series = new_series
            targets = list(Booking.objects.filter(series=series, series_date__gte=pivot, status__in=OPEN_STATUSES,
                                                  scheduled_start__gt=timezone.now()).order_by("series_date"))
            Booking.objects.filter(pk__in=[b.pk for b in targets]).update(series=new_series)
        tz = zoneinfo.ZoneInfo(series.time_zone)
        for target in targets:
            _move(target, tz=tz, start_time=start_time, duration_minutes=duration_minutes, notes=notes,
                  actor=actor, channel=channel, result=result)
            if fieldworker_ids is not None:
                _reassign(target, fieldworker_ids, actor=actor, channel=channel, result=result)
    return result


def _move(booking: Booking, *, tz: zoneinfo.ZoneInfo, start_time: time | None, duration_minutes: int | None,
          notes: str | None, actor: Actor, channel: Channel, result: SeriesResult) -> None:
    day = booking.series_date or booking.scheduled_start.astimezone(tz).date()
    start = local_moment(day, start_time, tz) if start_time is not None else booking.scheduled_start
    length = (timedelta(minutes=duration_minutes) if duration_minutes is not None
              else booking.scheduled_end - booking.scheduled_start)
    changes: dict[str, Any] = {"scheduled_start": start, "scheduled_end": start + length}
    if notes is not None:
        changes["notes"] = notes
    for _attempt in range(21):  # at most one retry per assigned fieldworker
        try:
            with transaction.atomic():
                booking_services.booking_update(actor=actor, channel=channel, booking_id=booking.pk, **changes)
            booking.refresh_from_db()
            result.updated.append(booking)
            return
        except DomainError as exc:
            if exc.code != "fieldworker_conflict":
                raise
            fieldworker_id = exc.data["fieldworker_id"]
            result.conflicts.append(OccurrenceConflict(day, booking.pk, fieldworker_id, exc.code, exc.message,
                                                       tuple(exc.data.get("booking_ids", ()))))
            booking_services.booking_unassign(actor=actor, channel=channel, booking_id=booking.pk,
                                              fieldworker_id=fieldworker_id)
    raise DomainError("fieldworker_conflict", "Could not move the occurrence.")  # pragma: no cover


def _reassign(booking: Booking, fieldworker_ids: Sequence[int], *, actor: Actor, channel: Channel,
              result: SeriesResult) -> None:
    wanted = set(fieldworker_ids)
    current = set(booking.assignments.values_list("fieldworker_id", flat=True))
    for fieldworker_id in current - wanted:
        booking_services.booking_unassign(actor=actor, channel=channel, booking_id=booking.pk,
                                          fieldworker_id=fieldworker_id)
    _assign(booking, sorted(wanted - current), actor=actor, channel=channel, day=booking.series_date, result=result)


def series_cancel(*, actor: Actor, channel: Channel, booking_id: int, scope: str, reason: str) -> SeriesResult:
    """Cancel one occurrence, this and the following ones, or every open future occurrence."""
    _scope(scope)
    if not (reason or "").strip():
        raise ValidationFailed("reason", "This is required.", code="reason_required")
    with transaction.atomic():
        booking, series = _occurrence(booking_id, actor)
        series = BookingSeries.objects.select_for_update().get(pk=series.pk)
        result = SeriesResult(series)
        if scope == "this":
            targets = [booking]
        else:
            pivot = _pivot(booking, series, scope)
            qs = Booking.objects.filter(series=series, series_date__gte=pivot, status__in=OPEN_STATUSES)
            if scope == "all":
                qs = qs.filter(scheduled_start__gt=timezone.now())
            targets = list(qs.order_by("series_date"))
            if scope == "all" or pivot <= series.start_date:
                series.status = SeriesStatus.CANCELLED
                series.cancelled_at = timezone.now()
            else:
                series.ends_on = pivot - timedelta(days=1)
                _settle_status(series)  # cut short, it still runs until its new last date
            series.save(update_fields=["status", "cancelled_at", "ends_on"])
        for target in targets:
            if target.status not in OPEN_STATUSES:
                continue
            result.cancelled.append(booking_services.booking_cancel(
                actor=actor, channel=channel, booking_id=target.pk, reason=reason, waive_fee=actor.is_staff))
        if scope != "this" and result.cancelled:
            # one notice for the customer instead of one per occurrence (see cancelled_with_series)
            first = result.cancelled[0]
            history.record(first, actor=actor, channel=channel, action="series_cancelled", data={
                "series_id": series.pk, "scope": scope, "numbers": [b.number for b in result.cancelled]},
                event=events.SeriesCancelled, series_id=series.pk, scope=scope, reason=reason,
                booking_ids=tuple(b.pk for b in result.cancelled))
    return result


# --- reads for the notices ----------------------------------------------------------------------


def cancelled_with_series(booking: Booking) -> bool:
    """Whether a cancelled occurrence went with its series (``series_cancel`` with scope ``following``
    or ``all``): the series is cancelled, or was cut short before this occurrence's date. The
    customer then hears once, from ``SeriesCancelled``, not once per occurrence (decision 0621)."""
    if booking.series_id is None or booking.series_date is None or booking.status != BookingStatus.CANCELLED:
        return False
    series = BookingSeries.objects.filter(pk=booking.series_id).values("status", "ends_on").first()
    if series is None:
        return False
    return series["status"] == SeriesStatus.CANCELLED or (
        series["ends_on"] is not None and booking.series_date > series["ends_on"])


def notice_occurrences(first: Booking, *, cancelled: bool) -> list[Booking]:
    """The occurrences a series notice about ``first`` lists, as they are when it is sent: the open
    ones (a confirmation) or the cancelled ones (a cancellation) of its series from its date on."""
    if first.series_id is None or first.series_date is None:
        return []
    statuses = [BookingStatus.CANCELLED] if cancelled else sorted(OPEN_STATUSES)
    return list(Booking.objects.filter(series_id=first.series_id, series_date__gte=first.series_date,
                                       status__in=statuses).order_by("series_date"))


def continues_after(series: BookingSeries, day: date) -> bool:
    """Whether the series has occurrences after ``day`` (booked later, as its horizon moves)."""
    if series.status == SeriesStatus.CANCELLED:
        return False
    last = _last_date(series)
    return last is None or last > day


__all__ = ["DAILY", "MONTHLY", "WEEKLY", "OccurrenceConflict", "SeriesResult", "cancelled_with_series",
           "continues_after", "normalise_rule", "notice_occurrences", "series_cancel", "series_create",
           "series_extend", "series_extend_all", "series_update"]
