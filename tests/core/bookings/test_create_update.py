"""booking_create and booking_update: who may, what is validated, time zones, totals, history, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core import events
from core.actors import Actor, ActorKind, Channel
from core.bookings import services
from core.bookings.models import Booking, BookingStatus
from core.bookings.services import LineInput
from core.company.selectors import get_company
from core.errors import DomainError
from tests import factories
from tests.core.support import assert_refused

from .conftest import ACTOR_KINDS, last_row

FUTURE = datetime(2027, 7, 1, 9, 0)  # naive: wall-clock time in the booking's zone


def create(actor, cust, svc, **kw):
    kw.setdefault("scheduled_start", timezone.now() + timedelta(days=2))
    kw.setdefault("lines", [LineInput(service_id=svc.pk)])
    return services.booking_create(actor=actor, channel=kw.pop("channel", Channel.GRAPHQL), customer_id=cust.pk,
                                   **kw)


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- create -----------------------------------------------------------------------------------


def test_staff_creates_a_booking_with_one_history_row_and_one_event(staff, staff_actor, customer, svc, published):
    prop = factories.property_for(customer)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    booking = create(staff_actor, customer, svc, property_id=prop.pk, scheduled_start=start,
                     scheduled_end=start + timedelta(hours=3), notes="  gate code 1234  ")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert booking.owner_id == staff.pk  # the creating staff user owns it by default
    assert booking.notes == "gate code 1234"
    assert (booking.scheduled_start, booking.scheduled_end) == (start, start + timedelta(hours=3))
    [line] = booking.lines.all()
    assert (line.service_id, line.description, line.quantity, line.unit_price, line.tax_rate) == (
        svc.pk, "Deep clean", Decimal("1.00"), Decimal("100.00"), Decimal("10.00"))
    [row] = booking.history.all()
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == ("created", "staff", staff.pk, "graphql")
    assert row.data["number"] == booking.number
    assert row.data["lines"] == ["1.00 x Deep clean @ 100.00 +10.00% tax"]
    assert iso(row.data["scheduled_start"]) == start
    [event] = published.all()
    assert isinstance(event, events.BookingCreated)
    assert (event.event_id, event.booking_id, event.number, event.status, event.customer_id) == (
        row.pk, booking.pk, str(booking.number), "pending", customer.pk)
    assert iso(event.scheduled_start) == start and iso(event.scheduled_end) == start + timedelta(hours=3)
    assert (event.channel, event.actor_kind, event.actor_user_id) == ("graphql", "staff", staff.pk)


def test_system_creates_without_owner(customer, svc, published):
    booking = create(Actor.system(), customer, svc, channel=Channel.SYSTEM)
    assert booking.owner_id is None
    row = last_row(booking)
    assert (row.actor_kind, row.actor_user_id, row.channel) == ("system", None, "system")
    assert published.names == ["BookingCreated"]


@pytest.mark.parametrize("kind", ["own_customer", "other_customer", "unassigned_fw", "anonymous"])
def test_only_staff_and_system_create(kind, actor_for, booking, customer, svc, published):
    actor = actor_for(kind, booking)
    assert_refused(lambda: create(actor, customer, svc), "forbidden", published=published)


def test_booking_numbers_are_sequential_from_the_company_start(staff_actor, customer, svc):
    first = create(staff_actor, customer, svc)
    second = create(staff_actor, customer, svc)
    third = create(Actor.system(), customer, svc)
    assert first.number == get_company().booking_number_start
    assert [second.number, third.number] == [first.number + 1, first.number + 2]


def test_a_refused_create_does_not_use_up_a_number(staff_actor, customer, svc):
    first = create(staff_actor, customer, svc)
    with pytest.raises(DomainError):
        create(staff_actor, customer, svc, lines=[LineInput(service_id=svc.pk, quantity=Decimal("-1"))])
    assert create(staff_actor, customer, svc).number == first.number + 1


# --- time ---------------------------------------------------------------------------------------


def test_naive_times_are_wall_clock_in_the_given_zone(staff_actor, customer, svc):
    booking = create(staff_actor, customer, svc, scheduled_start=FUTURE, scheduled_end=FUTURE + timedelta(hours=2),
                     time_zone="Australia/Sydney")
    booking.refresh_from_db()
    assert booking.time_zone == "Australia/Sydney"
    assert booking.scheduled_start == datetime(2027, 6, 30, 23, 0, tzinfo=UTC)  # AEST is UTC+10 in July
    assert booking.scheduled_end == datetime(2027, 7, 1, 1, 0, tzinfo=UTC)


def test_naive_times_use_the_property_zone_then_the_company_zone(staff_actor, customer, svc):
    perth = factories.property_for(customer, time_zone="Australia/Perth")
    on_property = create(staff_actor, customer, svc, property_id=perth.pk, scheduled_start=FUTURE)
    assert on_property.time_zone == "Australia/Perth"
    assert on_property.scheduled_start == datetime(2027, 7, 1, 1, 0, tzinfo=UTC)
    company = get_company()
    company.time_zone = "Europe/Berlin"
    company.save()
    plain = create(staff_actor, customer, svc, scheduled_start=FUTURE)
    assert plain.time_zone == "Europe/Berlin"
    assert plain.scheduled_start == datetime(2027, 7, 1, 7, 0, tzinfo=UTC)


def test_aware_times_are_kept_as_given(staff_actor, customer, svc):
    start = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
    booking = create(staff_actor, customer, svc, scheduled_start=start, time_zone="Australia/Sydney")
    assert booking.scheduled_start == start


def test_the_end_defaults_to_the_services_duration_times_quantity(staff_actor, customer, svc):
    start = timezone.now() + timedelta(days=2)
    two = create(staff_actor, customer, svc, scheduled_start=start,
                 lines=[LineInput(service_id=svc.pk, quantity=Decimal("2"))])
    assert two.scheduled_end - two.scheduled_start == timedelta(minutes=240)
    custom = create(staff_actor, customer, svc, scheduled_start=start,
                    lines=[LineInput(description="Call-out", unit_price=Decimal("50"))])
    assert custom.scheduled_end - custom.scheduled_start == timedelta(minutes=60)


def test_a_local_time_in_the_spring_forward_gap_is_refused(staff_actor, customer, svc, published):
    # Sydney clocks jump from 02:00 to 03:00 on Sunday 3 October 2027: 02:30 never happens
    assert_refused(lambda: create(staff_actor, customer, svc, scheduled_start=datetime(2027, 10, 3, 2, 30),
                                  time_zone="Australia/Sydney"),
                   "nonexistent_time", field="scheduledStart", published=published)
    assert_refused(lambda: create(staff_actor, customer, svc, scheduled_start=datetime(2027, 10, 3, 1, 0),
                                  scheduled_end=datetime(2027, 10, 3, 2, 15), time_zone="Australia/Sydney"),
                   "nonexistent_time", field="scheduledEnd", published=published)
    ok = create(staff_actor, customer, svc, scheduled_start=datetime(2027, 10, 3, 3, 0), time_zone="Australia/Sydney")
    assert ok.scheduled_start == datetime(2027, 10, 2, 16, 0, tzinfo=UTC)  # 03:00 AEDT = UTC+11


def test_an_ambiguous_local_time_takes_the_first_occurrence(staff_actor, customer, svc):
    # Sydney clocks fall back from 03:00 to 02:00 on Sunday 4 April 2027: 02:30 happens twice
    booking = create(staff_actor, customer, svc, scheduled_start=datetime(2027, 4, 4, 2, 30),
                     scheduled_end=datetime(2027, 4, 4, 5, 0), time_zone="Australia/Sydney")
    booking.refresh_from_db()
    assert booking.scheduled_start == datetime(2027, 4, 3, 15, 30, tzinfo=UTC)  # still daylight time, UTC+11
    assert booking.scheduled_end == datetime(2027, 4, 3, 19, 0, tzinfo=UTC)  # standard time, UTC+10


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "America", "../etc/passwd", "UTC\x00", "x" * 100,
                                  "Australia/Sydney "])
def test_unknown_time_zones_are_refused(zone, staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, scheduled_start=FUTURE, time_zone=zone),
                   "invalid_time_zone", field="timeZone", published=published)


@pytest.mark.parametrize(("start", "end", "code"), [
    (datetime(2027, 7, 1, 9), datetime(2027, 7, 1, 8), "end_before_start"),
    (datetime(2027, 7, 1, 9), datetime(2027, 7, 1, 9), "end_before_start"),
    (datetime(2027, 7, 1, 9), datetime(2027, 7, 16, 9), "too_long"),
])
def test_bad_windows_are_refused(start, end, code, staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, scheduled_start=start, scheduled_end=end),
                   code, field="scheduledEnd", published=published)


def test_a_date_that_is_not_a_datetime_is_refused(staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, scheduled_start="2027-07-01 09:00"),
                   "invalid_datetime", field="scheduledStart", published=published)


# --- lines, totals, other input ---------------------------------------------------------------


@pytest.mark.parametrize(("line", "code", "field"), [
    (dict(quantity=Decimal("-1")), "invalid_quantity", "lines.0.quantity"),
    (dict(quantity=Decimal("0")), "invalid_quantity", "lines.0.quantity"),
    (dict(quantity=Decimal("10000.01")), "invalid_quantity", "lines.0.quantity"),
    (dict(quantity="lots"), "invalid", "lines.0.quantity"),
    (dict(quantity=Decimal("NaN")), "invalid", "lines.0.quantity"),
    (dict(quantity=Decimal("Infinity")), "invalid", "lines.0.quantity"),
    (dict(unit_price=Decimal("-0.01")), "invalid_price", "lines.0.unitPrice"),
    (dict(tax_rate=Decimal("100.01")), "out_of_range", "lines.0.taxRate"),
    (dict(tax_rate=Decimal("-1")), "out_of_range", "lines.0.taxRate"),
    (dict(description="x" * 201), "too_long", "lines.0.description"),
])
def test_bad_lines_are_refused(line, code, field, staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, lines=[LineInput(service_id=svc.pk, **line)]),
                   code, field=field, published=published)


def test_a_line_needs_a_service_or_a_price(staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, lines=[LineInput(description="Extra")]),
                   "required", field="lines.0.unitPrice", published=published)


def test_inactive_and_unknown_services_are_refused(staff_actor, customer, svc, published):
    retired = factories.service(active=False)
    assert_refused(lambda: create(staff_actor, customer, svc,
                                  lines=[LineInput(service_id=svc.pk), LineInput(service_id=retired.pk)]),
                   "service_inactive", field="lines.1.serviceId", published=published)
    assert_refused(lambda: create(staff_actor, customer, svc, lines=[LineInput(service_id=retired.pk + 999)]),
                   "not_found", field="lines.0.serviceId", published=published)


def test_too_many_lines_are_refused(staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, lines=[LineInput(service_id=svc.pk)] * 101),
                   "too_many", field="lines", published=published)


@pytest.mark.parametrize("size", [5001, 10 * 1024 * 1024])
def test_over_long_notes_are_refused(size, staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, notes="n" * size), "too_long", field="notes",
                   published=published)


def test_unknown_customer_and_someone_elses_property_are_refused(staff_actor, customer, svc, published):
    other_prop = factories.property_for(factories.customer())
    assert_refused(lambda: services.booking_create(
        actor=staff_actor, channel=Channel.GRAPHQL, customer_id=customer.pk + 999, scheduled_start=FUTURE),
        "not_found", field="customerId", published=published)
    assert_refused(lambda: create(staff_actor, customer, svc, property_id=other_prop.pk),
                   "not_found", field="propertyId", published=published)


@pytest.mark.parametrize(("kw", "code", "field"), [
    (dict(workers_required=0), "out_of_range", "workersRequired"),
    (dict(workers_required=21), "out_of_range", "workersRequired"),
    (dict(source="carrier-pigeon"), "invalid", "source"),
])
def test_other_bad_input_is_refused(kw, code, field, staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, **kw), code, field=field, published=published)


def test_the_owner_must_be_an_active_staff_member(staff_actor, customer, svc, fieldworker, published):
    gone = factories.staff_user(is_active=False)
    for owner_id in (fieldworker.user_id, customer.user_id, gone.pk, 10**9):
        assert_refused(lambda owner_id=owner_id: create(staff_actor, customer, svc, owner_id=owner_id),
                       "not_found", field="ownerId", published=published)
    other = factories.staff_user()
    assert create(staff_actor, customer, svc, owner_id=other.pk).owner_id == other.pk


def test_totals_are_decimal_and_round_half_up_to_cents(staff_actor, customer, svc):
    booking = create(staff_actor, customer, svc, lines=[
        LineInput(description="Labour", unit_price=Decimal("12.25"), tax_rate=Decimal("10")),
        LineInput(description="Washers", quantity=Decimal("0.5"), unit_price=Decimal("0.25"), tax_rate=Decimal("0")),
    ])
    booking = Booking.objects.prefetch_related("lines").get(pk=booking.pk)
    labour, washers = booking.lines.all()
    # half-up: 1.225 -> 1.23 and 0.125 -> 0.13 (banker's rounding would give 1.22 and 0.12)
    assert (labour.subtotal, labour.tax, labour.total) == (Decimal("12.25"), Decimal("1.23"), Decimal("13.48"))
    assert (washers.subtotal, washers.tax) == (Decimal("0.13"), Decimal("0.00"))
    assert (booking.subtotal, booking.tax_total, booking.total) == (Decimal("12.38"), Decimal("1.23"),
                                                                    Decimal("13.61"))
    assert all(isinstance(v, Decimal) for v in (booking.subtotal, booking.tax_total, booking.total))
    assert str(booking.total) == "13.61"


def test_prices_given_with_more_than_cents_round_half_up(staff_actor, customer, svc):
    booking = create(staff_actor, customer, svc, lines=[
        LineInput(description="A", unit_price=Decimal("10.005"), quantity=Decimal("1.005"), tax_rate=Decimal("0"))])
    [line] = booking.lines.all()
    assert (line.unit_price, line.quantity) == (Decimal("10.01"), Decimal("1.01"))


# --- update -------------------------------------------------------------------------------------


def test_staff_update_writes_before_and_after(booking, staff, staff_actor, published):
    old_start, old_end = booking.scheduled_start, booking.scheduled_end
    new_start = old_start + timedelta(days=1)
    updated = services.booking_update(actor=staff_actor, channel=Channel.ADMIN, booking_id=booking.pk,
                                      scheduled_start=new_start, notes="Bring a ladder")
    updated.refresh_from_db()
    assert updated.scheduled_start == new_start
    assert updated.scheduled_end == old_end + timedelta(days=1)  # the length is kept
    assert updated.notes == "Bring a ladder"
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == ("updated", "staff", staff.pk, "admin")
    assert set(row.changes) == {"scheduled_start", "scheduled_end", "notes"}
    assert [iso(v) for v in row.changes["scheduled_start"]] == [old_start, new_start]
    assert row.changes["notes"] == ["", "Bring a ladder"]
    [event] = published.all()
    assert isinstance(event, events.BookingUpdated)
    assert event.changed == ("notes", "scheduled_end", "scheduled_start")
    assert event.event_id == row.pk


def test_update_of_lines_replaces_them(booking, staff_actor, published):
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                            lines=[LineInput(description="Windows", unit_price=Decimal("30"), quantity=Decimal("2"))])
    booking = Booking.objects.get(pk=booking.pk)
    assert [(line.description, line.quantity) for line in booking.lines.all()] == [("Windows", Decimal("2.00"))]
    assert booking.total == Decimal("60.00")
    row = last_row(booking)
    assert row.changes == {"lines": [["1.00 x Deep clean @ 100.00 +10.00% tax"], ["2.00 x Windows @ 30.00 +0.00% tax"]]}
    assert published.of(events.BookingUpdated)[0].changed == ("lines",)


def test_changing_only_the_tax_rate_of_a_line_is_an_update(booking, staff_actor, svc, published):
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                            lines=[LineInput(service_id=svc.pk, tax_rate=Decimal("0"))])
    [line] = Booking.objects.get(pk=booking.pk).lines.all()
    assert line.tax_rate == Decimal("0.00")
    assert last_row(booking).changes == {"lines": [["1.00 x Deep clean @ 100.00 +10.00% tax"],
                                                   ["1.00 x Deep clean @ 100.00 +0.00% tax"]]}
    assert published.names == ["BookingUpdated"]


def test_resending_the_same_lines_changes_nothing(booking, staff_actor, svc, published):
    before = booking.history.count()
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                            lines=[LineInput(service_id=svc.pk)])
    assert booking.history.count() == before
    assert published.names == []


def test_an_update_that_changes_nothing_writes_nothing(booking, staff_actor, published):
    before = booking.history.count()
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                            scheduled_start=booking.scheduled_start, notes=booking.notes)
    assert booking.history.count() == before
    assert published.names == []


def test_update_interprets_naive_times_in_the_new_zone(booking, staff_actor):
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                            time_zone="America/New_York", scheduled_start=FUTURE,
                            scheduled_end=FUTURE + timedelta(hours=1))
    booking.refresh_from_db()
    assert booking.time_zone == "America/New_York"
    assert booking.scheduled_start == datetime(2027, 7, 1, 13, 0, tzinfo=UTC)  # EDT is UTC-4


@pytest.mark.parametrize(("changes", "code", "field"), [
    (dict(scheduled_end=datetime(2000, 1, 1, tzinfo=UTC)), "end_before_start", "scheduledEnd"),
    (dict(time_zone="Nowhere/Special"), "invalid_time_zone", "timeZone"),
    (dict(time_zone="America/New_York", scheduled_start=datetime(2027, 3, 14, 2, 30)), "nonexistent_time",
     "scheduledStart"),
    (dict(notes="x" * 5001), "too_long", "notes"),
    (dict(workers_required=0), "out_of_range", "workersRequired"),
    (dict(status="completed"), "invalid", "status"),
    (dict(customer_id=1), "invalid", "customer_id"),
])
def test_bad_updates_are_refused(changes, code, field, booking, staff_actor, published):
    assert_refused(lambda: services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                                   **changes), code, field=field, published=published)


def test_update_refuses_bad_lines_and_foreign_property(booking, staff_actor, published):
    other_prop = factories.property_for(factories.customer())
    assert_refused(lambda: services.booking_update(
        actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
        lines=[LineInput(description="x", unit_price=Decimal("1"), quantity=Decimal("-2"))]),
        "invalid_quantity", published=published)
    assert_refused(lambda: services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                                   property_id=other_prop.pk),
                   "not_found", field="propertyId", published=published)


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_who_may_update(kind, booking, actor_for, published):
    actor = actor_for(kind, booking)

    def call():
        return services.booking_update(actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk, notes="changed")

    if kind in ("staff", "system"):
        call()
        assert Booking.objects.get(pk=booking.pk).notes == "changed"
        assert last_row(booking).actor_kind == actor.kind
        assert published.names == ["BookingUpdated"]
    elif kind in ("own_customer", "accepted_fw", "offered_fw"):
        assert_refused(call, "forbidden", published=published)
    else:
        assert_refused(call, "not_found", published=published)


@pytest.mark.parametrize("status", [BookingStatus.COMPLETED, BookingStatus.CANCELLED])
def test_closed_bookings_cannot_be_edited(status, booking, staff_actor, published):
    for step in ((BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED)
                 if status == BookingStatus.COMPLETED else (BookingStatus.CANCELLED,)):
        services.booking_set_status(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, status=step,
                                    reason="x")
    assert_refused(lambda: services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                                   notes="late"), "not_open", published=published)


def test_actor_kind_is_recorded_for_every_kind(booking, staff_actor):
    assert last_row(booking).actor_kind == ActorKind.SYSTEM  # the factory creates as the system


@pytest.mark.parametrize("start", [datetime(9999, 12, 31, 22, 0), datetime(1, 1, 1, 0, 30),
                                   datetime(9999, 12, 31, 23, 0, tzinfo=UTC)])
def test_dates_at_the_ends_of_the_calendar_are_refused(start, staff_actor, customer, svc, published):
    assert_refused(lambda: create(staff_actor, customer, svc, scheduled_start=start, time_zone="America/Los_Angeles"),
                   "invalid_datetime", field="scheduledStart", published=published)
