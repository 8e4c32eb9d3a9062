"""Recurring bookings: rules, materialisation to a horizon, DST, conflicts reported, edit/cancel scopes."""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import date, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import series as series_services
from core.bookings.models import Booking, BookingEvent, BookingSeries, BookingStatus
from core.bookings.services import LineInput
from core.company.services import company_update
from core.errors import DomainError
from core.workforce import services as workforce_services
from tests import factories
from tests.core.support import assert_refused
from tests.scheduling_support import assign, job

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


@pytest.fixture
def sydney(staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, time_zone="Australia/Sydney")


@pytest.fixture
def svc(db):
    return factories.service(name="Lawn mow", duration_minutes=90)


def first_monday_after(days: int) -> date:
    day = timezone.now().astimezone(SYDNEY).date() + timedelta(days=days)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def make(staff_actor, svc, rule, *, start=None, clock=time(9), fws=(), **kw):
    cust = factories.customer()
    prop = factories.property_for(cust)
    return series_services.series_create(
        actor=staff_actor, channel=Channel.GRAPHQL, customer_id=cust.pk, property_id=prop.pk, rule=rule,
        start_date=start or first_monday_after(2), start_time=clock, lines=[LineInput(service_id=svc.pk)],
        fieldworker_ids=list(fws), **kw)


def local_times(bookings):
    return [(b.scheduled_start.astimezone(SYDNEY).date(), b.scheduled_start.astimezone(SYDNEY).time())
            for b in bookings]


def test_weekly_with_count_materialises_every_occurrence(sydney, staff_actor, svc, published):
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    series = result.series
    assert len(result.created) == 4
    days = [d for d, _ in local_times(result.created)]
    assert days == [days[0] + timedelta(weeks=n) for n in range(4)]
    assert all(clock == time(9) for _, clock in local_times(result.created))
    assert all(b.source == "recurring" and b.series_id == series.pk for b in Booking.objects.filter(series=series))
    assert series.status == "active"  # every occurrence exists, none is over yet (decision 0310)
    assert published.names.count("BookingCreated") == 4
    assert published.names.count("SeriesBooked") == 1
    assert Booking.objects.get(pk=result.created[0].pk).scheduled_end - result.created[0].scheduled_start == \
        timedelta(minutes=90)


def test_fortnightly_and_monthly_on_a_weekday(sydney, staff_actor, svc):
    fortnightly = make(staff_actor, svc, "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;COUNT=3", start=first_monday_after(2))
    days = [d for d, _ in local_times(fortnightly.created)]
    assert [d.weekday() for d in days] == [2, 2, 2]
    assert [(b - a).days for a, b in itertools.pairwise(days)] == [14, 14]
    monthly = make(staff_actor, svc, "FREQ=MONTHLY;BYDAY=2TU;COUNT=2", start=first_monday_after(2))
    for day, _ in local_times(monthly.created):
        assert day.weekday() == 1 and 8 <= day.day <= 14  # the second Tuesday


def test_an_end_date_bounds_the_series(sydney, staff_actor, svc):
    start = first_monday_after(2)
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO", start=start, until=start + timedelta(days=20))
    assert len(result.created) == 3
    assert result.series.status == "active"


def test_nine_oclock_stays_nine_oclock_across_dst(sydney, staff_actor, svc):
    # Sydney moves its clocks forward on the first Sunday of October: start in mid-September
    year = timezone.now().year + 1
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=6", start=date(year, 9, 14))
    with_horizon = result.created or []
    # far-future series are materialised only up to the horizon: push it out for this test
    if len(with_horizon) < 6:
        workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      series_horizon_days=730)
        with_horizon += series_services.series_extend(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      series_id=result.series.pk).created
    assert len(with_horizon) == 6
    assert {clock for _, clock in local_times(with_horizon)} == {time(9)}
    offsets = {b.scheduled_start.astimezone(SYDNEY).utcoffset() for b in with_horizon}
    assert offsets == {timedelta(hours=10), timedelta(hours=11)}


def test_open_ended_series_stop_at_the_horizon_and_the_command_extends_them(sydney, staff_actor, svc):
    workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, series_horizon_days=21)
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO", start=first_monday_after(1))
    assert 2 <= len(result.created) <= 3 and result.series.status == "active"
    before = Booking.objects.filter(series=result.series).count()
    workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, series_horizon_days=63)
    out = StringIO()
    call_command("extend_booking_series", stdout=out)
    after = Booking.objects.filter(series=result.series).count()
    assert after - before >= 5
    assert "1/1" in out.getvalue() and f"{after - before} bookings" in out.getvalue()
    # running again creates nothing new
    call_command("extend_booking_series", stdout=StringIO())
    assert Booking.objects.filter(series=result.series).count() == after


def test_the_task_extends_series(sydney, staff_actor, svc):
    from core.bookings.tasks import extend_booking_series

    workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, series_horizon_days=14)
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO", start=first_monday_after(1))
    before = Booking.objects.filter(series=result.series).count()
    workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, series_horizon_days=42)
    from config.tasks import run_ready

    outcome = extend_booking_series.enqueue()
    assert run_ready() >= 1  # a worker's turn, in this thread (also the confirmations still due)
    outcome.refresh()
    assert outcome.return_value["created"] >= 3
    assert Booking.objects.filter(series=result.series).count() == before + outcome.return_value["created"]


def test_conflicts_are_reported_per_occurrence_not_skipped(sydney, staff_actor, svc):
    fw = factories.fieldworker()
    start = first_monday_after(2)
    clash_day = start + timedelta(weeks=1)
    busy = job(timezone.datetime.combine(clash_day, time(9, 30), tzinfo=SYDNEY))
    assign(busy, fw)
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=3", start=start, fws=[fw.pk])
    assert len(result.created) == 3  # every occurrence is booked
    assert [(c.date, c.fieldworker_id, c.code, c.clash_booking_ids) for c in result.conflicts] == [
        (clash_day, fw.pk, "fieldworker_conflict", (busy.pk,))]
    clashed = next(b for b in result.created if b.series_date == clash_day)
    assert not clashed.assignments.exists()
    assert BookingEvent.objects.filter(booking=clashed, action="assignment_conflict").count() == 1
    assert all(b.assignments.filter(fieldworker=fw).exists() for b in result.created if b.pk != clashed.pk)


@pytest.mark.parametrize(("rule", "code"), [
    ("FREQ=YEARLY", "invalid_rule"),
    ("FREQ=WEEKLY;COUNT=0", "invalid_rule"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20300101", "invalid_rule"),
    ("FREQ=WEEKLY;BYDAY=XX", "invalid_rule"),
    ("FREQ=WEEKLY;DTSTART=20300101T090000", "invalid_rule"),
    ("", "invalid_rule"),
])
def test_bad_rules_are_refused_and_nothing_is_written(staff_actor, svc, rule, code):
    cust = factories.customer()
    assert_refused(lambda: series_services.series_create(
        actor=staff_actor, channel=Channel.GRAPHQL, customer_id=cust.pk, rule=rule, start_date=first_monday_after(2),
        start_time=time(9), lines=[LineInput(service_id=svc.pk)]), code)


def test_only_staff_create_series(customer_actor, svc):
    cust = factories.customer()
    assert_refused(lambda: series_services.series_create(
        actor=customer_actor, channel=Channel.PORTAL, customer_id=cust.pk, rule="FREQ=WEEKLY",
        start_date=first_monday_after(2), start_time=time(9)), "forbidden")


def test_edit_this_occurrence_only(sydney, staff_actor, svc):
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    second = result.created[1]
    series_services.series_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=second.pk, scope="this",
                                  start_time=time(14))
    bookings = list(Booking.objects.filter(series=result.series).order_by("series_date"))
    assert [clock for _, clock in local_times(bookings)] == [time(9), time(14), time(9)]


def test_edit_this_and_following_splits_the_series(sydney, staff_actor, svc):
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    third = result.created[2]
    edit = series_services.series_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=third.pk,
                                         scope="following", start_time=time(7, 30), duration_minutes=60)
    old = BookingSeries.objects.get(pk=result.series.pk)
    new = edit.series
    assert new.pk != old.pk and new.parent_id == old.pk and new.start_time == time(7, 30)
    assert old.ends_on == third.series_date - timedelta(days=1)
    assert "COUNT=2" in new.rule
    moved = list(Booking.objects.filter(series=new).order_by("series_date"))
    assert len(moved) == 2 and {c for _, c in local_times(moved)} == {time(7, 30)}
    assert all(b.scheduled_end - b.scheduled_start == timedelta(hours=1) for b in moved)
    kept = list(Booking.objects.filter(series=old).order_by("series_date"))
    assert [c for _, c in local_times(kept)] == [time(9), time(9)]


def test_edit_reports_clashes_and_releases_only_that_fieldworker(sydney, staff_actor, svc):
    fw = factories.fieldworker()
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=3", fws=[fw.pk])
    assert result.conflicts == []
    last_day = result.created[2].series_date
    busy = job(timezone.datetime.combine(last_day, time(15), tzinfo=SYDNEY))
    assign(busy, fw)
    edit = series_services.series_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=result.created[0].pk,
                                         scope="all", start_time=time(15))
    assert [(c.date, c.fieldworker_id, c.clash_booking_ids) for c in edit.conflicts] == [(last_day, fw.pk,
                                                                                          (busy.pk,))]
    bookings = list(Booking.objects.filter(series=edit.series).order_by("series_date"))
    assert {c for _, c in local_times(bookings)} == {time(15)}  # all moved, none skipped
    assert [b.assignments.filter(fieldworker=fw).exists() for b in bookings] == [True, True, False]


def test_cancel_scopes(sydney, staff_actor, svc, published):
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO;COUNT=5")
    b = result.created
    one = series_services.series_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=b[1].pk, scope="this",
                                        reason="Customer away")
    assert [x.pk for x in one.cancelled] == [b[1].pk]
    following = series_services.series_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=b[3].pk,
                                              scope="following", reason="Moving house")
    assert [x.pk for x in following.cancelled] == [b[3].pk, b[4].pk]
    statuses = list(Booking.objects.filter(series=result.series).order_by("series_date").values_list("status",
                                                                                                      flat=True))
    assert statuses == ["pending", "cancelled", "pending", "cancelled", "cancelled"]
    published.clear()
    everything = series_services.series_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=b[0].pk,
                                               scope="all", reason="Contract ended")
    assert sorted(x.pk for x in everything.cancelled) == [b[0].pk, b[2].pk]
    assert BookingSeries.objects.get(pk=result.series.pk).status == "cancelled"
    assert published.names.count("BookingCancelled") == 2
    assert set(Booking.objects.filter(series=result.series).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED}


def test_scope_and_membership_are_checked(staff_actor, svc):
    loose = job(timezone.now() + timedelta(days=5))
    with pytest.raises(DomainError) as caught:
        series_services.series_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=loose.pk, scope="this",
                                      reason="x")
    assert caught.value.code == "not_in_series"
    with pytest.raises(DomainError) as caught:
        series_services.series_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=loose.pk,
                                      scope="sometimes")
    assert caught.value.field == "scope"


def test_an_occurrence_inside_the_spring_forward_gap_moves_past_it(sydney, staff_actor, svc):
    workforce_services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, series_horizon_days=730)
    year = timezone.now().year + 1
    first_october = date(year, 10, 1)
    dst_day = first_october + timedelta(days=(6 - first_october.weekday()) % 7)  # first Sunday: 02:00 -> 03:00
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=SU;COUNT=3", start=dst_day - timedelta(weeks=1),
                  clock=time(2, 30))
    assert local_times(result.created) == [(dst_day - timedelta(weeks=1), time(2, 30)), (dst_day, time(3, 30)),
                                           (dst_day + timedelta(weeks=1), time(2, 30))]


def test_time_off_and_hours_are_reported_as_conflicts_not_overridden(sydney, staff_actor, svc):
    """The series' automatic assignment asks the same question as booking_assign and, refused,
    books the occurrence without the fieldworker and writes the conflict to its history."""
    fw = factories.fieldworker()
    workforce_services.working_hours_set(actor=SYSTEM, channel=Channel.SYSTEM, fieldworker_id=fw.pk, ranges=[
        workforce_services.HoursRange(day, time(8), time(17)) for day in range(5)])
    start = first_monday_after(2)
    away = start + timedelta(weeks=1)
    workforce_services.time_off_add(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fw.pk,
                                    starts_at=timezone.datetime.combine(away, time(0), tzinfo=SYDNEY),
                                    ends_at=timezone.datetime.combine(away, time(23), tzinfo=SYDNEY))
    result = make(staff_actor, svc, "FREQ=WEEKLY;BYDAY=MO,SA;COUNT=4", start=start, fws=[fw.pk])
    saturdays = [start + timedelta(days=5), start + timedelta(days=12)]
    assert [(c.date, c.fieldworker_id, c.code) for c in result.conflicts] == [
        (saturdays[0], fw.pk, "outside_working_hours"), (away, fw.pk, "on_time_off"),
        (saturdays[1], fw.pk, "outside_working_hours")]
    expected = {start: [], saturdays[0]: ["outside_working_hours"], away: ["on_time_off"],
                saturdays[1]: ["outside_working_hours"]}
    assert sorted(b.series_date for b in result.created) == sorted(expected)
    for booking in result.created:
        rows = BookingEvent.objects.filter(booking=booking, action="assignment_conflict")
        assert [row.data["code"] for row in rows] == expected[booking.series_date]
        assert booking.assignments.filter(fieldworker=fw).exists() is (not expected[booking.series_date])
