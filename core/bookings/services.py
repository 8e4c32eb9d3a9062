"""The only writers of bookings, assignments and the discussion.

Each service: guard clauses first (raising ``DomainError``), then the change, one history row,
and a domain event published after commit.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import events, rawsql
from core.accounts.models import User
from core.actors import Actor, Channel
from core.catalog import pricing, quoting
from core.company.selectors import get_company
from core.company.services import next_number
from core.crm.models import Customer, Dependent, Property
from core.errors import DomainError, NotFound, ValidationFailed
from core.managed_lists import list_entry_delete, list_entry_write
from core.money import round_money
from core.text import refuse_nul
from core.workforce import availability
from core.workforce.models import Fieldworker, FieldworkerStatus
from core.workforce.selectors import may_answer_for

from . import conflicts, history, policy, reschedule, zones
from .models import (
    ACTIVE_ASSIGNMENT,
    AssignmentStatus,
    Booking,
    BookingAssignment,
    BookingComment,
    BookingLine,
    BookingSource,
    BookingStatus,
    LocationType,
)

MAX_BOOKING_LENGTH = timedelta(days=14)
MAX_TEXT = 5000
MAX_LINES = 100
MAX_QUANTITY = Decimal("10000")


@dataclass(frozen=True)
class LineInput:
    """One line to price: a service, product or package (or none: then ``unit_price`` is required).
    ``unit_price`` for a catalogue item overrides its list price (staff)."""

    service_id: int | None = None
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = None
    description: str = ""
    tax_rate: Decimal | None = None
    product_id: int | None = None
    package_id: int | None = None
    tax_rate_id: int | None = None  # a named rate (decision 0870); else ``tax_rate``, else the item's rate
    tax_name: str | None = None  # a copied line's rate name, kept as it was (decision 0871)


# --- input cleaning -----------------------------------------------------------------------------


def _zone(name: str, field: str = "timeZone") -> zoneinfo.ZoneInfo:
    try:
        if not name or len(name) > 64:
            raise ValueError
        return zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):  # OSError: a directory such as "America"
        raise ValidationFailed(field, f"Unknown time zone {name[:64]!r}.", code="invalid_time_zone")


def _aware(value: datetime, tz: zoneinfo.ZoneInfo, field: str) -> datetime:
    """Aware datetimes are kept; naive ones are wall-clock time in the booking's zone."""
    if not isinstance(value, datetime):
        raise ValidationFailed(field, "Not a date and time.", code="invalid_datetime")
    if not 2000 <= value.year <= 2999:  # also keeps zone arithmetic clear of the calendar's ends
        raise ValidationFailed(field, "That date is out of range.", code="invalid_datetime")
    if timezone.is_aware(value):
        return value
    local = value.replace(tzinfo=tz)
    roundtrip = local.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
    if roundtrip != value:
        raise ValidationFailed(field, "That local time does not exist (clocks change).", code="nonexistent_time")
    return local


def _text(value: str, field: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    value = refuse_nul((value or "").strip(), field)
    if required and not value:
        code = "reason_required" if field == "reason" else "required"
        raise ValidationFailed(field, "This is required.", code=code)
    if len(value) > limit:
        raise ValidationFailed(field, f"At most {limit} characters.", code="too_long")
    return value


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field, "Not a number.")
    if not number.is_finite():
        raise ValidationFailed(field, "Not a number.")
    return number


def _check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed("scheduledEnd", "The end must be after the start.", code="end_before_start")
    if end - start > MAX_BOOKING_LENGTH:
        raise ValidationFailed("scheduledEnd", "A booking lasts at most 14 days.", code="too_long")


def _build_lines(lines: Sequence[LineInput], *, prop: Property | None = None,
                 actor: Actor | None = None) -> list[BookingLine]:
    """Price each line with the catalogue's engine (``core.catalog.pricing``) at the booking's property.
    A unit price sent for a catalogue item that differs from its list price is a staff override,
    kept with ``actor`` and the time (decision 0804); a line without an item is priced as typed."""
    if len(lines) > MAX_LINES:
        raise ValidationFailed("lines", f"At most {MAX_LINES} lines.", code="too_many")
    refs = [_item_ref(line, f"lines.{position}") for position, line in enumerate(lines)]
    found = quoting.load_items(ref for ref in refs if ref is not None)
    pricer = quoting.Pricer() if lines else None
    taxes = quoting.LineTax()
    place = quoting.place_of(prop)
    now = timezone.now()
    built = []
    for position, (line, ref) in enumerate(zip(lines, refs, strict=True)):
        field = f"lines.{position}"
        obj = found.get(ref) if ref is not None else None
        if ref is not None:
            if obj is None:
                raise NotFound(ref.kind, field=f"{field}.{ref.kind}Id")
            if not obj.active:
                raise DomainError(ITEM_INACTIVE[ref.kind], f"{obj.name} is not offered.", field=f"{field}.{ref.kind}Id")
        # kept to the cent like every amount (decision 0121): checked as it will be stored, so 0.001
        # is refused here rather than by the database's positive-quantity constraint
        quantity = round_money(_decimal(line.quantity, f"{field}.quantity"))
        if quantity <= 0 or quantity > MAX_QUANTITY:
            raise ValidationFailed(f"{field}.quantity", "Quantity must be above 0 and at most 10,000.",
                                   code="invalid_quantity")
        if line.unit_price is None and obj is None:
            raise ValidationFailed(f"{field}.unitPrice", "A line without a service needs a price.", code="required")
        if line.unit_price is not None:
            price = _decimal(line.unit_price, f"{field}.unitPrice")
            if price < 0 or price > Decimal("99999999"):
                raise ValidationFailed(f"{field}.unitPrice", "A price is not negative.", code="invalid_price")
        if line.tax_rate_id is not None:
            rate = taxes.chosen(line.tax_rate_id, field=field, percent_given=line.tax_rate is not None)
            tax, tax_name = rate.percent, rate.name
        elif line.tax_rate is None and obj is not None:
            rate = quoting.tax_rate_of(obj)
            tax, tax_name = rate.percent, rate.name
        else:
            tax = _decimal(line.tax_rate if line.tax_rate is not None else Decimal("0"), f"{field}.taxRate")
            if not 0 <= tax <= 100:
                raise ValidationFailed(f"{field}.taxRate", "A tax rate is between 0 and 100.", code="out_of_range")
            tax_name = line.tax_name if line.tax_name is not None else taxes.name(obj, round_money(tax))
        description = _text(line.description or (obj.name if obj is not None else ""), f"{field}.description",
                            limit=200, required=True)
        if obj is None:  # a line typed by hand: its price is the price, no catalogue rule applies
            item = pricing.Item(kind="custom", id=None, name=description, unit_price=price, tax_rate=tax,
                                tax_name=tax_name)
            priced = pricer.price(item, quantity, field_name=f"{field}.quantity")  # type: ignore[union-attr]
        else:
            item = quoting.as_item(obj, tax=(round_money(tax), tax_name))
            priced = pricer.price(item, quantity, place=place, field_name=f"{field}.quantity")  # type: ignore[union-attr]
            if line.unit_price is not None and round_money(price) != priced.unit_price:
                priced = pricer.price(item, quantity, place=place, override_unit_price=price,  # type: ignore[union-attr]
                                      field_name=f"{field}.quantity")
        overridden = priced.overridden and actor is not None
        built.append(BookingLine(
            service=obj if ref is not None and ref.kind == "service" else None,
            product=obj if ref is not None and ref.kind == "product" else None,
            package=obj if ref is not None and ref.kind == "package" else None,
            description=description, quantity=priced.quantity, unit_price=priced.unit_price,
            tax_rate=priced.tax_rate, tax_name=priced.tax_name, tax_inclusive=priced.tax_inclusive,
            position=position, list_unit_price=priced.list_unit_price if obj is not None else None,
            pricing=priced.explanation() if obj is not None else [],
            price_overridden_by=actor.user if overridden else None,  # type: ignore[union-attr]
            price_overridden_at=now if overridden else None))
    return built


def line_minutes(line: BookingLine) -> int:
    """How long a line's work takes: its service's duration, or a package's services', times the quantity."""
    if line.service is not None:
        return int(line.service.duration_minutes * line.quantity)
    if line.package is not None:
        return int(sum(entry.service.duration_minutes * entry.quantity for entry in line.package.items.all()
                       if entry.service is not None) * line.quantity)
    return 0


def _item_ref(line: LineInput, field: str) -> quoting.ItemRef | None:
    given = [(kind, pk) for kind, pk in (("service", line.service_id), ("product", line.product_id),
                                         ("package", line.package_id)) if pk is not None]
    if len(given) > 1:
        raise ValidationFailed(f"{field}.serviceId", "A line sells one service, product or package.",
                               code="invalid")
    return quoting.ItemRef(*given[0]) if given else None


def _repriceable(booking: Booking) -> list[LineInput] | None:
    """The booking's lines as inputs to price again at another property: catalogue items at their list
    price (the zone decides), staff overrides and hand-typed lines at their price, descriptions and tax
    rates as they are. None (keep the lines) when an item is no longer offered: moving the booking is
    not the moment to refuse it, and its price stays as agreed."""
    current = list(booking.lines.select_related("service", "product", "package").order_by("position", "pk"))
    items = [line.service or line.product or line.package for line in current]
    if any(item is not None and not item.active for item in items):
        return None
    return [LineInput(service_id=line.service_id, product_id=line.product_id, package_id=line.package_id,
                      quantity=line.quantity, description=line.description, tax_rate=line.tax_rate,
                      tax_name=line.tax_name,
                      unit_price=line.unit_price if item is None or line.price_overridden_at is not None else None)
            for line, item in zip(current, items, strict=True)]


def _keep_overrides(current: Sequence[BookingLine], built: Sequence[BookingLine]) -> None:
    """A resent line that still carries an earlier override keeps who made it and when."""
    for old, new in zip(current, built, strict=False):
        if (old.price_overridden_at is not None and new.price_overridden_at is not None
                and _item_of(old) == _item_of(new) and old.unit_price == new.unit_price):
            new.price_overridden_by_id, new.price_overridden_at = old.price_overridden_by_id, old.price_overridden_at


def _item_of(line: BookingLine) -> tuple:
    return (line.service_id, line.product_id, line.package_id)


# the refusal of an item no longer offered, by kind of item (each code listed in core/error_codes.py)
ITEM_INACTIVE = {"service": "service_inactive", "product": "product_inactive", "package": "package_inactive"}


def _summary(line: BookingLine) -> str:
    """A line as the history shows it; every priced field is in it, so any change shows."""
    text = f"{line.quantity} x {line.description} @ {line.unit_price} +{line.tax_rate}% tax"
    if line.tax_inclusive:
        text = text.replace("% tax", "% tax included")
    if line.price_overridden_at is not None:
        text += f" (price set by staff, list {line.list_unit_price})"
    return text


def _locked(booking_id: int, actor: Actor, *related: str) -> Booking:
    # every service starts here: the statement is built once (docs/decisions/0409); ``related``
    # foreign keys come joined in the same statement (their rows are not locked)
    booking = rawsql.get(Booking, booking_id, *related, for_update=True)
    return policy.ensure_visible(booking, actor, booking_id=booking_id)


# --- create / update --------------------------------------------------------------------------


def booking_create(*, actor: Actor, channel: Channel, customer_id: int, scheduled_start: datetime,
                   scheduled_end: datetime | None = None, property_id: int | None = None,
                   lines: Sequence[LineInput] = (), time_zone: str | None = None, owner_id: int | None = None,
                   source: str = BookingSource.STAFF, notes: str = "", workers_required: int = 1,
                   series_id: int | None = None, series_date: date | None = None,
                   location_type_id: int | None = None, dependent_id: int | None = None) -> Booking:
    """``series_id`` / ``series_date``: the occurrence of a series this booking is (set by
    ``core.bookings.series`` only); ``BookingCreated`` carries the series so that subscribers can
    tell an occurrence from a booking of its own (the series is confirmed once, decision 0621)."""
    policy.ensure_staff(actor)
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("customer", field="customerId")
    prop = None
    if property_id is not None:
        prop = Property.objects.filter(pk=property_id, customer_id=customer_id).first()
        if prop is None:
            raise NotFound("property", field="propertyId")
    company = get_company()
    tz_name = zones.zone_name(time_zone=time_zone, prop=prop, company=company)
    tz = _zone(tz_name)
    start = _aware(scheduled_start, tz, "scheduledStart")
    built = _build_lines(lines, prop=prop, actor=actor)
    if scheduled_end is None:
        minutes = sum(line_minutes(line) for line in built) or 60
        end = start + timedelta(minutes=minutes)
    else:
        end = _aware(scheduled_end, tz, "scheduledEnd")
    _check_window(start, end)
    if source not in BookingSource.values:
        raise ValidationFailed("source", "Unknown source.")
    if not 1 <= workers_required <= 20:
        raise ValidationFailed("workersRequired", "Between 1 and 20 fieldworkers.", code="out_of_range")
    owner = _owner(owner_id) if owner_id is not None else (actor.user if actor.is_staff else None)
    notes = _text(notes, "notes")
    _check_location_type(location_type_id)
    _check_dependent(dependent_id, customer.pk)

    with transaction.atomic():
        booking = Booking.objects.create(
            number=next_number("booking", company.booking_number_start),
            customer=customer, property=prop, scheduled_start=start, scheduled_end=end, time_zone=tz_name,
            owner=owner, source=source, notes=notes, workers_required=workers_required,
            series_id=series_id, series_date=series_date, location_type_id=location_type_id,
            dependent_id=dependent_id,
        )
        for line in built:
            line.booking = booking
        BookingLine.objects.bulk_create(built)
        history.record(booking, actor=actor, channel=channel, action="created", data={
            "number": booking.number, "scheduled_start": start, "scheduled_end": end,
            "lines": [_summary(line) for line in built],
        }, event=events.BookingCreated, number=str(booking.number), status=booking.status,
           customer_id=customer.pk, scheduled_start=start.isoformat(), scheduled_end=end.isoformat(),
           series_id=series_id)
    return booking


def _owner(owner_id: int) -> User:
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None or not owner.is_staff_member:
        raise NotFound("staff user", field="ownerId")
    return owner


UPDATABLE = ("scheduled_start", "scheduled_end", "property_id", "notes", "time_zone", "workers_required",
             "location_type_id", "dependent_id")


def _check_dependent(dependent_id: int | None, customer_id: int, current: int | None = None) -> None:
    """The booking's customer's own dependent; an archived one stays where it is set but is not newly
    chosen. Anyone else's answers like a missing one (decision 0172)."""
    if dependent_id is None or dependent_id == current:
        return
    if not Dependent.objects.filter(pk=dependent_id, customer_id=customer_id, archived_at__isnull=True).exists():
        raise NotFound("dependent", field="dependentId")


def _check_location_type(location_type_id: int | None, current: int | None = None) -> None:
    """The entry must exist; an inactive one stays where it is set but is not newly chosen."""
    if location_type_id is None or location_type_id == current:
        return
    if not LocationType.objects.filter(pk=location_type_id, active=True).exists():
        raise NotFound("location type", field="locationTypeId")


def location_type_create(*, actor: Actor, channel: Channel, name: str, active: bool = True,
                         position: int = 0) -> LocationType:
    """Add an entry to the booking location type list (staff)."""
    return list_entry_write(LocationType, actor=actor, entry_id=None, label="location type", name=name,
                            active=active, position=position)


def location_type_update(*, actor: Actor, channel: Channel, location_type_id: int, **changes: Any) -> LocationType:
    """Rename, reorder or (de)activate an entry (staff)."""
    return list_entry_write(LocationType, actor=actor, entry_id=location_type_id, label="location type", **changes)


def location_type_delete(*, actor: Actor, channel: Channel, location_type_id: int) -> None:
    """Remove an unused entry; one bookings carry is deactivated instead (``in_use``)."""
    list_entry_delete(LocationType, actor=actor, entry_id=location_type_id, label="location type",
                      used_by="bookings")


def booking_update(*, actor: Actor, channel: Channel, booking_id: int, lines: Sequence[LineInput] | None = None,
                   **changes: Any) -> Booking:
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "That cannot be changed here.")
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        policy.ensure_staff(actor)
        if not booking.is_open:
            raise DomainError("not_open", "A closed booking cannot be edited.")
        tz_name = changes.get("time_zone") or booking.time_zone
        tz = _zone(tz_name)
        new: dict[str, Any] = {}
        if "time_zone" in changes and changes["time_zone"] is not None:
            new["time_zone"] = tz_name
        if changes.get("scheduled_start") is not None:
            new["scheduled_start"] = _aware(changes["scheduled_start"], tz, "scheduledStart")
        if changes.get("scheduled_end") is not None:
            new["scheduled_end"] = _aware(changes["scheduled_end"], tz, "scheduledEnd")
        if "scheduled_start" in new and "scheduled_end" not in new:
            new["scheduled_end"] = new["scheduled_start"] + (booking.scheduled_end - booking.scheduled_start)
        _check_window(new.get("scheduled_start", booking.scheduled_start),
                      new.get("scheduled_end", booking.scheduled_end))
        if "property_id" in changes:
            pid = changes["property_id"]
            if pid is not None and not Property.objects.filter(pk=pid, customer_id=booking.customer_id).exists():
                raise NotFound("property", field="propertyId")
            new["property_id"] = pid
        if "location_type_id" in changes:
            _check_location_type(changes["location_type_id"], current=booking.location_type_id)
            new["location_type_id"] = changes["location_type_id"]
        if "dependent_id" in changes:
            _check_dependent(changes["dependent_id"], booking.customer_id, current=booking.dependent_id)
            new["dependent_id"] = changes["dependent_id"]
        if changes.get("notes") is not None:
            new["notes"] = _text(changes["notes"], "notes")
        if changes.get("workers_required") is not None:
            if not 1 <= changes["workers_required"] <= 20:
                raise ValidationFailed("workersRequired", "Between 1 and 20 fieldworkers.", code="out_of_range")
            new["workers_required"] = changes["workers_required"]
        moved = "property_id" in new and new["property_id"] != booking.property_id
        if lines is None and moved:  # another place may have another price (zones, decision 0803)
            lines = _repriceable(booking)
        if lines is not None:
            place = booking.property if "property_id" not in new else (
                Property.objects.filter(pk=new["property_id"]).first() if new["property_id"] else None)
            built = _build_lines(lines, prop=place, actor=actor)
        else:
            built = None

        diff = {key: (getattr(booking, key), value) for key, value in new.items() if getattr(booking, key) != value}
        if built is not None:
            current = list(booking.lines.all())
            _keep_overrides(current, built)
            before = [_summary(line) for line in current]
            after = [_summary(line) for line in built]
            if before != after or [_item_of(line) for line in current] != [_item_of(line) for line in built]:
                diff["lines"] = (before, after)
        if not diff:
            return booking
        for key, (_, value) in diff.items():
            if key != "lines":
                setattr(booking, key, value)
        booking.save()
        if "scheduled_start" in diff or "scheduled_end" in diff:
            conflicts.resync(booking)  # raises fieldworker_conflict; the whole update rolls back
        if "lines" in diff:
            booking.lines.all().delete()
            for line in built or ():
                line.booking = booking
            BookingLine.objects.bulk_create(built or [])
        history.record(booking, actor=actor, channel=channel, action="updated", changes=diff,
                       event=events.BookingUpdated, changed=tuple(sorted(diff)))
    return booking


def booking_line_price_set(*, actor: Actor, channel: Channel, booking_id: int, line_id: int,
                           unit_price: Decimal | None) -> BookingLine:
    """Staff set a line's unit price over its list price, or give it back (``unit_price=None``).
    Who and when are kept on the line and the change goes on the timeline (decision 0804)."""
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        policy.ensure_staff(actor)
        if not booking.is_open:
            raise DomainError("not_open", "A closed booking cannot be edited.")
        line = BookingLine.objects.select_for_update().filter(pk=line_id, booking=booking).first()
        if line is None:
            raise NotFound("line", field="lineId")
        if line.list_unit_price is None:
            raise DomainError("no_list_price", "A line typed by hand has no list price; edit the line instead.",
                              field="lineId")
        rules = [rule for rule in line.pricing if rule.get("code") != pricing.OVERRIDE]
        if unit_price is None:
            new_price, by, at = line.list_unit_price, None, None
        else:
            new_price = pricing.decimal_in(unit_price, "unitPrice", lo=Decimal("0"), hi=pricing.MAX_PRICE,
                                           code="invalid_price")
            by, at = actor.user, timezone.now()
            rules.append(pricing.Rule(pricing.OVERRIDE, f"Price set by staff: {new_price} "
                                      f"(list {line.list_unit_price})", new_price).as_dict())
        if new_price == line.unit_price and (at is None) == (line.price_overridden_at is None):
            return line
        before = _summary(line)
        old_price = line.unit_price
        line.unit_price, line.price_overridden_by, line.price_overridden_at, line.pricing = new_price, by, at, rules
        line.save(update_fields=["unit_price", "price_overridden_by", "price_overridden_at", "pricing"])
        booking.save_columns()
        history.record(booking, actor=actor, channel=channel,
                       action="line_price_set" if unit_price is not None else "line_price_reset",
                       changes={"lines": ([before], [_summary(line)]), f"lines.{line.position}.unit_price": (
                           old_price, new_price)},
                       data={"line_id": line.pk, "list_unit_price": line.list_unit_price},
                       event=events.BookingUpdated, changed=("lines",))
    return line


# --- status -------------------------------------------------------------------------------------


def _transition(booking: Booking, new_status: str, *, actor: Actor, channel: Channel, action: str,
                stamp: str, data: dict | None = None) -> Booking:
    old = booking.status
    booking.status = new_status
    setattr(booking, stamp, timezone.now())
    booking.save_columns("status", stamp)
    history.record(booking, actor=actor, channel=channel, action=action, changes={"status": (old, new_status)},
                   data=data, event=events.BookingStatusChanged, old_status=old, new_status=new_status)
    return booking


def booking_confirm(*, actor: Actor, channel: Channel, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        if actor.is_fieldworker:
            raise DomainError("forbidden", "Only the office or the customer can confirm a booking.")
        if booking.status == BookingStatus.CONFIRMED:
            raise DomainError("already_confirmed", "This booking is already confirmed.")
        policy.ensure_transition(booking, BookingStatus.CONFIRMED)
        return _transition(booking, BookingStatus.CONFIRMED, actor=actor, channel=channel, action="confirmed",
                           stamp="confirmed_at")


def _ensure_worker_or_staff(booking: Booking, actor: Actor) -> None:
    if actor.is_staff or actor.is_system:
        return
    if actor.is_fieldworker and policy.is_assigned(booking, actor, accepted_only=True):
        return
    if actor.is_fieldworker:
        raise DomainError("not_accepted", "Accept the job before starting or completing it.")
    raise DomainError("forbidden", "Only staff or the assigned fieldworker can do that.")


def booking_start(*, actor: Actor, channel: Channel, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        _ensure_worker_or_staff(booking, actor)
        policy.ensure_transition(booking, BookingStatus.IN_PROGRESS)
        return _transition(booking, BookingStatus.IN_PROGRESS, actor=actor, channel=channel, action="started",
                           stamp="started_at")


def _ensure_forms_submitted(booking: Booking) -> None:
    """A form required before completion that the job asks must be submitted first (decision 0913)."""
    from core.jobdata.forms_selectors import required_forms_missing

    missing = required_forms_missing(booking.pk)
    if missing:
        names = ", ".join(f"'{template.name}'" for template in missing)
        raise DomainError("form_required", f"Submit the form{'s' if len(missing) > 1 else ''} {names} before "
                                           f"completing the job.",
                          data={"template_ids": [template.pk for template in missing]})


def booking_complete(*, actor: Actor, channel: Channel, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        _ensure_worker_or_staff(booking, actor)
        policy.ensure_transition(booking, BookingStatus.COMPLETED)
        _ensure_forms_submitted(booking)
        return _transition(booking, BookingStatus.COMPLETED, actor=actor, channel=channel, action="completed",
                           stamp="completed_at")


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling now would cost; fronts show it before asking to confirm."""

    allowed: bool
    fee: Decimal
    inside_window: bool
    code: str = ""
    message: str = ""


def booking_cancellation_quote(*, actor: Actor, channel: Channel, booking_id: int) -> CancellationQuote:
    booking = policy.ensure_visible(Booking.objects.filter(pk=booking_id).first(), actor, booking_id=booking_id)
    company, now = get_company(), timezone.now()
    try:
        policy.ensure_can_cancel(booking, actor=actor, channel=channel, company=company, now=now)
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        return CancellationQuote(False, Decimal("0.00"), False, exc.code, exc.message)
    inside = policy.inside_notice_window(booking, company=company, now=now)
    return CancellationQuote(True, policy.cancellation_fee(booking, company=company, now=now, actor=actor), inside)


MAX_FEE = Decimal("99999999.99")


def _fee_override(value: Any) -> Decimal:
    """A fee staff type instead of the rule's: not negative, rounded like every amount (decision 0121)."""
    fee = _decimal(value, "feeOverride")
    if fee < 0 or fee > MAX_FEE:
        raise ValidationFailed("feeOverride", "A fee is not negative.", code="invalid_fee")
    return round_money(fee)


def _settled_fee(rule_fee: Decimal, *, actor: Actor, waive_fee: bool, accept_fee: Decimal | None,
                 fee_override: Any) -> Decimal:
    """The fee this cancel charges: the rule's when accepted, else what staff set (decision 0140).

    Nobody is charged a fee nobody agreed to in this call: a fee above zero needs ``accept_fee``
    equal to it, or (staff only) ``waive_fee`` or ``fee_override``."""
    if sum((waive_fee, accept_fee is not None, fee_override is not None)) > 1:
        raise ValidationFailed("feeOverride" if fee_override is not None else "waiveFee",
                               "Accept the fee, waive it or set another amount: one of the three.",
                               code="ambiguous")
    if waive_fee:
        if not actor.is_staff:
            raise DomainError("forbidden", "Only staff may waive the cancellation fee.", field="waiveFee")
        return Decimal("0.00")
    if fee_override is not None:
        if not actor.is_staff:
            raise DomainError("forbidden", "Only staff may set another cancellation fee.", field="feeOverride")
        return _fee_override(fee_override)
    if accept_fee is not None:
        if rule_fee != accept_fee:
            raise DomainError("fee_changed", f"The cancellation fee is now {rule_fee}.", field="acceptFee",
                              data={"fee": str(rule_fee)})
        return rule_fee
    if rule_fee > 0:
        raise DomainError("fee_not_accepted", f"Cancelling now costs a fee of {rule_fee}: accept it to cancel.",
                          field="acceptFee", data={"fee": str(rule_fee)})
    return rule_fee


def booking_cancel(*, actor: Actor, channel: Channel, booking_id: int, reason: str, waive_fee: bool = False,
                   accept_fee: Decimal | None = None, fee_override: Decimal | None = None) -> Booking:
    """Cancel with the company's rules. A fee above zero is charged only when the caller accepts
    it (``accept_fee``, the amount they were shown); otherwise the cancel is refused with
    ``fee_not_accepted`` and the fee in ``data``. If the fee changed since it was shown, the refusal
    is ``fee_changed``. Staff may instead waive it or set another amount (``fee_override``); both are
    recorded with who decided (decisions 0007, 0140)."""
    reason = _text(reason, "reason", limit=2000, required=True)
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        company, now = get_company(), timezone.now()
        policy.ensure_can_cancel(booking, actor=actor, channel=channel, company=company, now=now)
        rule_fee = policy.cancellation_fee(booking, company=company, now=now, actor=actor)
        fee = _settled_fee(rule_fee, actor=actor, waive_fee=waive_fee, accept_fee=accept_fee,
                           fee_override=fee_override)
        set_by = actor.user if (waive_fee or fee_override is not None) else None
        old = booking.status
        on_job = conflicts.holders(booking.pk)
        fieldworker_ids = tuple(fieldworker_id for fieldworker_id, status, _busy in on_job
                                if status in ACTIVE_ASSIGNMENT)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = actor.user
        booking.cancelled_by_kind = actor.kind
        booking.cancel_channel = channel
        booking.cancel_reason = reason
        booking.cancellation_fee = fee
        booking.cancellation_fee_set_by = set_by
        booking.save_columns("status", "cancelled_at", "cancelled_by", "cancelled_by_kind", "cancel_channel",
                             "cancel_reason", "cancellation_fee", "cancellation_fee_set_by")
        if any(busy for _id, _status, busy in on_job):
            conflicts.release(booking)
        data: dict[str, Any] = {"reason": reason, "fee": str(fee), "fee_waived": waive_fee}
        if set_by is not None:
            data.update(fee_rule=str(rule_fee), fee_set_by=actor.label, fee_set_by_id=set_by.pk)
        history.record(booking, actor=actor, channel=channel, action="cancelled",
                       changes={"status": (old, BookingStatus.CANCELLED)}, data=data,
                       event=events.BookingCancelled, old_status=old, new_status=BookingStatus.CANCELLED,
                       reason=reason, fee=str(fee), fieldworker_ids=fieldworker_ids)
    return booking


def booking_set_status(*, actor: Actor, channel: Channel, booking_id: int, status: str, reason: str = "",
                       waive_fee: bool = False, accept_fee: Decimal | None = None,
                       fee_override: Decimal | None = None) -> Booking:
    """Staff's 'edit booking, change the status' path: dispatches to the service for that status."""
    if status not in BookingStatus.values:
        raise ValidationFailed("status", "Unknown status.")
    if status == BookingStatus.CANCELLED:
        return booking_cancel(actor=actor, channel=channel, booking_id=booking_id, reason=reason, waive_fee=waive_fee,
                              accept_fee=accept_fee, fee_override=fee_override)
    handlers = {
        BookingStatus.CONFIRMED: booking_confirm,
        BookingStatus.IN_PROGRESS: booking_start,
        BookingStatus.COMPLETED: booking_complete,
    }
    if status not in handlers:
        booking = policy.ensure_visible(Booking.objects.filter(pk=booking_id).first(), actor, booking_id=booking_id)
        policy.ensure_transition(booking, status)
    return handlers[status](actor=actor, channel=channel, booking_id=booking_id)


# --- assignments --------------------------------------------------------------------------------


AVAILABILITY_CODES = {availability.TIME_OFF: "on_time_off", availability.NOT_WORKING: "outside_working_hours"}


def availability_error(fieldworker: Fieldworker, booking: Booking) -> DomainError | None:
    """``on_time_off`` / ``outside_working_hours`` when the fieldworker's schedule does not allow the
    booking's window (the availability finder's own test, decision 0141), else None."""
    reason = availability.schedule_reason(fieldworker, booking.scheduled_start, booking.scheduled_end)
    if reason is None:
        return None
    code = AVAILABILITY_CODES[reason]
    message = (f"{fieldworker.name} is on time off then." if reason == availability.TIME_OFF
               else f"{fieldworker.name} does not work then (outside their working hours).")
    return DomainError(code, message + " Staff may assign anyway with overrideAvailability.",
                       field="fieldworkerId", data={"fieldworker_id": fieldworker.pk})


def booking_assign(*, actor: Actor, channel: Channel, booking_id: int, fieldworker_id: int,
                   override_availability: bool = False) -> BookingAssignment:
    """Offer the booking to a fieldworker. Outside their working hours or during their time off
    it is refused (``outside_working_hours``, ``on_time_off``) unless staff say
    ``override_availability``, which the history row records with what it overrode."""
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        policy.ensure_staff(actor)
        if not booking.is_open:
            raise DomainError("not_open", "A closed booking cannot be assigned.")
        fieldworker = Fieldworker.objects.filter(pk=fieldworker_id).first()
        if fieldworker is None:
            raise NotFound("fieldworker", field="fieldworkerId")
        if fieldworker.status == FieldworkerStatus.BLOCKED:
            raise DomainError("fieldworker_blocked", f"{fieldworker.name} is blocked.", field="fieldworkerId")
        if fieldworker.status != FieldworkerStatus.ACTIVE:
            raise DomainError("fieldworker_inactive", f"{fieldworker.name} is not active.", field="fieldworkerId")
        assignment = BookingAssignment.objects.filter(booking=booking, fieldworker=fieldworker).first()
        if assignment is not None and assignment.status in ACTIVE_ASSIGNMENT:
            raise DomainError("already_assigned", f"{fieldworker.name} is already on this booking.",
                              field="fieldworkerId")
        unavailable = availability_error(fieldworker, booking)
        if unavailable is not None and not override_availability:
            raise unavailable
        if assignment is None:
            assignment = BookingAssignment(booking=booking, fieldworker=fieldworker)
        else:  # offered again after a decline
            assignment.status = AssignmentStatus.OFFERED
            assignment.decline_reason = ""
            assignment.offered_at = timezone.now()
            assignment.responded_at = None
            assignment.responded_by = None
        conflicts.claim(assignment, booking)  # saves; raises fieldworker_conflict on an overlap
        data: dict[str, Any] = {"fieldworker_id": fieldworker.pk, "fieldworker": fieldworker.name}
        if override_availability:
            data.update(override_availability=True, overridden=unavailable.code if unavailable else "")
        history.record(booking, actor=actor, channel=channel, action="assigned", data=data,
                       event=events.BookingAssigned, assignment_id=assignment.pk, fieldworker_id=fieldworker.pk)
    return assignment


def booking_unassign(*, actor: Actor, channel: Channel, booking_id: int, fieldworker_id: int) -> Booking:
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        policy.ensure_staff(actor)
        assignment = BookingAssignment.objects.filter(booking=booking, fieldworker_id=fieldworker_id).first()
        if assignment is None:
            raise NotFound("assignment", field="fieldworkerId")
        if booking.status == BookingStatus.COMPLETED:
            raise DomainError("not_open", "A completed booking keeps its fieldworkers.")
        name = assignment.fieldworker.name
        assignment.delete()
        history.record(booking, actor=actor, channel=channel, action="unassigned",
                       data={"fieldworker_id": fieldworker_id, "fieldworker": name},
                       event=events.BookingUnassigned, fieldworker_id=fieldworker_id)
    return booking


def assignment_respond(*, actor: Actor, channel: Channel, booking_id: int, accept: bool,
                       fieldworker_id: int | None = None, reason: str = "") -> BookingAssignment:
    """A fieldworker accepts or declines an offer; staff may answer on a fieldworker's behalf.

    Accepting is first-come: the booking row is locked and once ``workers_required`` have
    accepted, later accepts fail with ``job_taken``.
    """
    if actor.is_fieldworker:
        # a lead answers for the subworkers of their team (decision 0181); anyone else's looks missing
        if fieldworker_id is not None and not may_answer_for(actor, fieldworker_id):
            raise NotFound("booking")
        fieldworker_id = fieldworker_id or actor.fieldworker_id
    elif not actor.is_staff:
        raise NotFound("booking")
    if fieldworker_id is None:
        raise ValidationFailed("fieldworkerId", "Say on whose behalf.", code="required")
    reason = _text(reason, "reason", limit=2000, required=not accept)
    # a lead sees the booking as the subworker the offer was made to
    seen_as = replace(actor, fieldworker_id=fieldworker_id) if actor.is_fieldworker else actor
    with transaction.atomic():
        booking = _locked(booking_id, seen_as)
        assignment = (BookingAssignment.objects.select_for_update()
                      .filter(booking=booking, fieldworker_id=fieldworker_id).first())
        if assignment is None:
            raise NotFound("assignment", field="fieldworkerId")
        if not booking.is_open:
            raise DomainError("not_open", "This booking is no longer open.")
        if assignment.status != AssignmentStatus.OFFERED:
            raise DomainError("already_responded", f"This offer was already {assignment.status}.")
        if accept and assignment.fieldworker.status != FieldworkerStatus.ACTIVE:
            blocked = assignment.fieldworker.status == FieldworkerStatus.BLOCKED
            raise DomainError("fieldworker_blocked" if blocked else "fieldworker_inactive",
                              f"{assignment.fieldworker.name} is not active and cannot take jobs.",
                              field="fieldworkerId")
        if accept:
            taken = booking.assignments.filter(status=AssignmentStatus.ACCEPTED).count()
            if taken >= booking.workers_required:
                raise DomainError("job_taken", "Sorry, this job has already been taken.")
        elif actor.is_fieldworker and not get_company().fieldworkers_may_decline:
            raise DomainError("decline_not_allowed", "Declining is switched off. Please call the office.")
        assignment.status = AssignmentStatus.ACCEPTED if accept else AssignmentStatus.DECLINED
        assignment.decline_reason = "" if accept else reason
        if not accept:
            conflicts.release_assignment(assignment)
        assignment.responded_at = timezone.now()
        assignment.responded_by = actor.user
        assignment.save()
        history.record(booking, actor=actor, channel=channel, action="accepted" if accept else "declined",
                       changes={"assignment": (AssignmentStatus.OFFERED, assignment.status)},
                       data={"fieldworker_id": fieldworker_id, "reason": reason,
                             "on_behalf": fieldworker_id != actor.fieldworker_id},
                       event=events.AssignmentResponded, assignment_id=assignment.pk, fieldworker_id=fieldworker_id,
                       accepted=accept, reason=reason)
    return assignment


# --- moving to another time (decision 0142) -------------------------------------------------------


def booking_reschedule_options(*, actor: Actor, channel: Channel, booking_id: int, limit: int = reschedule.MAX_SLOTS,
                               with_slots: bool = True) -> reschedule.RescheduleOptions:
    """Whether the actor may move the booking now and, for customers, the free times to pick from
    (staff get the same list as a suggestion; they may move it anywhere). ``with_slots=False``
    answers only whether (a page deciding to show a link)."""
    booking = policy.ensure_visible(Booking.objects.filter(pk=booking_id).first(), actor, booking_id=booking_id)
    return reschedule.options(booking, actor=actor, channel=channel, company=get_company(), now=timezone.now(),
                              limit=limit, with_slots=with_slots)


def booking_reschedule(*, actor: Actor, channel: Channel, booking_id: int, new_start: datetime) -> Booking:
    """Move an open booking to ``new_start``, keeping its length.

    Customers (when the company allows it, until ``reschedule_notice_hours`` before the start) only
    to a time ``booking_reschedule_options`` offers, so everyone on the job stays on it. Staff move
    it anywhere: a fieldworker who is free at the new time keeps the job (an accepted job stays
    accepted); one who is not (other job, hours, time off) is taken off and the place is offered to
    the best free fieldworker for the booking's service, if any."""
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        company, now = get_company(), timezone.now()
        reschedule.ensure_can_reschedule(booking, actor=actor, channel=channel, company=company, now=now)
        start = _aware(new_start, _zone(booking.time_zone), "newStart")
        end = start + (booking.scheduled_end - booking.scheduled_start)
        if start == booking.scheduled_start:
            raise DomainError("same_time", "The booking is already at that time.", field="newStart")
        if actor.is_customer and start not in {slot.start for slot in
                                               reschedule.offered_slots(booking, company=company, now=now)}:
            raise DomainError("slot_unavailable", "That time is not free. Please pick one of the times offered.",
                              field="newStart")
        old_start, old_end = booking.scheduled_start, booking.scheduled_end
        booking.scheduled_start, booking.scheduled_end = start, end
        booking.save_columns("scheduled_start", "scheduled_end")

        dropped: list[tuple[BookingAssignment, str]] = []
        for assignment in (booking.assignments.filter(status__in=ACTIVE_ASSIGNMENT).select_related("fieldworker")
                           .order_by("offered_at", "id")):
            problem = availability_error(assignment.fieldworker, booking)
            if problem is None and conflicts.clashes(assignment.fieldworker_id, start, end,
                                                     exclude_booking_id=booking.pk):
                problem = DomainError(conflicts.CODE)
            if problem is not None:
                dropped.append((assignment, problem.code))
                assignment.delete()
        conflicts.resync(booking)  # the ones who stay hold the new time
        history.record(booking, actor=actor, channel=channel, action="rescheduled",
                       changes={"scheduled_start": (old_start, start), "scheduled_end": (old_end, end)},
                       event=events.BookingUpdated, changed=("scheduled_end", "scheduled_start"))
        for assignment, code in dropped:
            worker = assignment.fieldworker
            history.record(booking, actor=actor, channel=channel, action="unassigned",
                           data={"fieldworker_id": worker.pk, "fieldworker": worker.name, "reason": "rescheduled",
                                 "code": code},
                           event=events.BookingUnassigned, fieldworker_id=worker.pk)
        if dropped:
            _reoffer(booking, len(dropped), skip={a.fieldworker_id for a, _code in dropped},
                     actor=actor if actor.is_staff else Actor.system(), channel=channel)
    return booking


def _reoffer(booking: Booking, places: int, *, skip: set[int], actor: Actor, channel: Channel) -> None:
    """Offer ``places`` places on the moved booking to the finder's best free fieldworkers (nearest,
    least loaded) who were not just taken off it and have not declined it."""
    service_id = reschedule.main_service_id(booking)
    if service_id is None:
        return
    skip |= set(BookingAssignment.objects.filter(booking=booking).values_list("fieldworker_id", flat=True))
    found = availability.available_fieldworkers(
        actor=Actor.system(), service_id=service_id, start=booking.scheduled_start, end=booking.scheduled_end,
        location=availability.Location.of_property(booking.property), exclude_booking_id=booking.pk)
    for candidate in [c for c in found if c.fieldworker_id not in skip][:places]:
        booking_assign(actor=actor, channel=channel, booking_id=booking.pk, fieldworker_id=candidate.fieldworker_id)


# --- owner and discussion -----------------------------------------------------------------------


def booking_change_owner(*, actor: Actor, channel: Channel, booking_id: int, owner_id: int | None) -> Booking:
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        policy.ensure_staff(actor)
        owner = _owner(owner_id) if owner_id is not None else None
        old = booking.owner_id
        if old == (owner.pk if owner else None):
            return booking
        booking.owner = owner
        booking.save(update_fields=["owner", "updated_at"])
        history.record(booking, actor=actor, channel=channel, action="owner_changed",
                       changes={"owner_id": (old, booking.owner_id)},
                       event=events.BookingOwnerChanged, old_owner_id=old, new_owner_id=booking.owner_id)
    return booking


def comment_add(*, actor: Actor, channel: Channel, booking_id: int, body: str,
                visible_to_customer: bool | None = None, reply_to_id: int | None = None) -> BookingComment:
    body = _text(body, "body", required=True)
    # a customer by SMS or e-mail link (no login) signs with their name: read with the booking
    by_name = actor.is_customer and actor.user is None
    with transaction.atomic():
        booking = _locked(booking_id, actor, *(("customer",) if by_name else ()))
        if actor.is_customer:
            if visible_to_customer is False:
                raise DomainError("forbidden", "Customers cannot post internal notes.", field="visibleToCustomer")
            visible = True
        else:
            visible = bool(visible_to_customer)
        if visible and actor.is_fieldworker and not policy.is_assigned(booking, actor, accepted_only=True):
            # an offer is not the job: only a fieldworker who accepted it speaks to the customer
            raise DomainError("not_accepted", "Accept the job before writing to the customer.",
                              field="visibleToCustomer")
        reply_to = None
        if reply_to_id is not None:
            reply_to = BookingComment.objects.filter(pk=reply_to_id, booking=booking).first()
            if reply_to is None or (actor.is_customer and not reply_to.visible_to_customer):
                raise NotFound("comment", field="replyToId")
        author_name = actor.label
        if by_name:
            author_name = booking.customer.name
        comment = BookingComment.objects.create(
            booking=booking, author_user=actor.user, author_kind=actor.kind, author_name=author_name[:150],
            channel=channel, body=body, visible_to_customer=visible, reply_to=reply_to,
        )
        history.record(booking, actor=actor, channel=channel, action="comment_added",
                       data={"comment_id": comment.pk, "visible_to_customer": visible},
                       event=events.CommentAdded, comment_id=comment.pk, author_name=comment.author_name, body=body,
                       visible_to_customer=visible, created_at=comment.created_at.isoformat(),
                       extra={"reply_to_id": reply_to_id})
    return comment


def booking_set_automation(*, actor: Actor, channel: Channel, booking_id: int, email_paused: bool | None = None,
                           sms_paused: bool | None = None) -> Booking:
    """Pause or resume automated e-mails / SMS for one booking."""
    with transaction.atomic():
        booking = _locked(booking_id, actor)
        policy.ensure_staff(actor)
        diff = {}
        if email_paused is not None and email_paused != booking.automated_email_paused:
            diff["automated_email_paused"] = (booking.automated_email_paused, email_paused)
        if sms_paused is not None and sms_paused != booking.automated_sms_paused:
            diff["automated_sms_paused"] = (booking.automated_sms_paused, sms_paused)
        if not diff:
            return booking
        for key, (_, value) in diff.items():
            setattr(booking, key, value)
        booking.save()
        history.record(booking, actor=actor, channel=channel, action="automation_changed", changes=diff,
                       event=events.BookingUpdated, changed=tuple(sorted(diff)))
    return booking
