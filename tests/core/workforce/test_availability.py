"""The availability finder and the slot finder."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.company.services import company_update
from core.errors import DomainError
from core.workforce import availability, services
from core.workforce.availability import Location, available_fieldworkers, available_slots
from tests import factories
from tests.scheduling_support import assign, job, next_weekday, set_hours, weekdays_9_to_5, worker

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
SYDNEY = Location(-33.8688, 151.2093, "2000")


@pytest.fixture(autouse=True)
def range_scan_on_postgres(monkeypatch):
    """Run every test through the paths used for large candidate sets (a join on the service instead of
    an id list; on PostgreSQL the GiST range scan); the id-list path is covered by single-worker slots."""
    monkeypatch.setattr(availability, "PG_RANGE_SCAN_MIN_CANDIDATES", 0)
    monkeypatch.setattr(availability, "JOIN_MIN_CANDIDATES", 0)


@pytest.fixture
def svc(db):
    return factories.service(name="Window clean", duration_minutes=60)


def find(svc, start, end=None, location=SYDNEY, **kw):
    return available_fieldworkers(actor=SYSTEM, service_id=svc.pk, start=start,
                                  end=end or start + timedelta(hours=1), location=location, **kw)


def test_each_exclusion_reason_is_reported_on_request(svc):
    monday = next_weekday(0, hour=10)
    ok = weekdays_9_to_5(worker(services=[svc], name="A ok"))
    blocked = weekdays_9_to_5(worker(services=[svc], name="B blocked", status="blocked"))
    inactive = weekdays_9_to_5(worker(services=[svc], name="C inactive", status="inactive"))
    off_hours = worker(services=[svc], name="D weekend only")
    set_hours(off_hours, [(5, "09:00", "17:00")])
    on_leave = weekdays_9_to_5(worker(services=[svc], name="E leave"))
    services.time_off_add(actor=SYSTEM, channel=Channel.SYSTEM, fieldworker_id=on_leave.pk,
                          starts_at=monday - timedelta(days=1), ends_at=monday + timedelta(days=1))
    booked = weekdays_9_to_5(worker(services=[svc], name="F booked"))
    assign(job(monday + timedelta(minutes=30)), booked)
    far = weekdays_9_to_5(worker(services=[svc], name="G far", lat=-37.81, lng=144.96, radius=30))  # Melbourne
    weekdays_9_to_5(worker(name="H other service"))

    found = find(svc, monday)
    assert [c.fieldworker_id for c in found] == [ok.pk]
    everyone = {c.fieldworker_id: c.reasons for c in find(svc, monday, include_unavailable=True)}
    assert everyone == {ok.pk: [], blocked.pk: ["blocked"], inactive.pk: ["inactive"],
                        off_hours.pk: ["not_working"], on_leave.pk: ["time_off"], booked.pk: ["booked"],
                        far.pk: ["outside_area"]}


def test_ranked_by_distance_then_load(svc):
    tuesday = next_weekday(1, hour=9)
    near = weekdays_9_to_5(worker(services=[svc], name="Near", lat=-33.87, lng=151.21, radius=50))
    mid_busy = weekdays_9_to_5(worker(services=[svc], name="Mid busy", lat=-33.90, lng=151.25, radius=50))
    mid_free = weekdays_9_to_5(worker(services=[svc], name="Mid free", lat=-33.90, lng=151.25, radius=50))
    nowhere = weekdays_9_to_5(worker(services=[svc], name="No home"))
    assign(job(tuesday + timedelta(hours=5)), mid_busy)
    found = find(svc, tuesday + timedelta(hours=1))
    assert [c.fieldworker_id for c in found] == [near.pk, mid_free.pk, mid_busy.pk, nowhere.pk]
    assert found[0].distance_km < 1 < found[1].distance_km == found[2].distance_km
    assert (found[1].load, found[2].load) == (0, 1)
    assert found[3].distance_km is None


def test_named_areas_cover_by_postcode(svc):
    wednesday = next_weekday(2, hour=10)
    inner_west = services.service_area_save(actor=SYSTEM, channel=Channel.SYSTEM, name="Inner West",
                                            postcodes=["2040", "2041"])
    fw = weekdays_9_to_5(worker(services=[svc]))
    services.fieldworker_set_areas(actor=SYSTEM, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
                                   area_ids=[inner_west.pk])
    assert [c.fieldworker_id for c in find(svc, wednesday, location=Location(-33.87, 151.15, "2040"))] == [fw.pk]
    assert find(svc, wednesday, location=Location(-33.87, 151.15, "2000")) == []


def test_the_travel_buffer_and_working_hours_use_the_fieldworkers_zone(svc):
    services.scheduling_settings_update(actor=SYSTEM, channel=Channel.SYSTEM, travel_buffer_minutes=30)
    perth = zoneinfo.ZoneInfo("Australia/Perth")
    fw = worker(services=[svc], time_zone="Australia/Perth")
    weekdays_9_to_5(fw)
    thursday_9_perth = next_weekday(3, hour=9, tz=perth)
    assert [c.fieldworker_id for c in find(svc, thursday_9_perth)] == [fw.pk]
    assert find(svc, thursday_9_perth - timedelta(hours=1)) == []  # 08:00 in Perth
    assign(job(thursday_9_perth + timedelta(hours=2), hours=1), fw)  # 11:00-12:00
    assert find(svc, thursday_9_perth + timedelta(minutes=45)) == []  # ends 10:45: a 15 min gap
    assert len(find(svc, thursday_9_perth + timedelta(minutes=30))) == 1  # ends 10:30: exactly the buffer
    assert find(svc, thursday_9_perth + timedelta(hours=3, minutes=15)) == []  # starts 12:15 < 12:30


def test_bad_input_and_permissions(svc, fieldworker_actor, customer_actor):
    start = next_weekday(0, hour=10)
    with pytest.raises(DomainError) as caught:
        available_fieldworkers(actor=fieldworker_actor, service_id=svc.pk, start=start, end=start + timedelta(hours=1))
    assert caught.value.code == "forbidden"
    with pytest.raises(DomainError) as caught:
        find(svc, start, start - timedelta(hours=1))
    assert caught.value.code == "end_before_start"
    with pytest.raises(DomainError) as caught:
        find(svc, start.replace(tzinfo=None))
    assert caught.value.code == "invalid_datetime"
    with pytest.raises(DomainError) as caught:
        available_fieldworkers(actor=SYSTEM, service_id=999999, start=start, end=start + timedelta(hours=1))
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError) as caught:
        find(svc, start, location=Location(91, 0))
    assert caught.value.code == "out_of_range"
    # customers may ask for slots but not for names
    assert isinstance(available_slots(actor=customer_actor, service_id=svc.pk, location=SYDNEY, start=start,
                                      end=start + timedelta(days=1)), list)


def test_slots_skip_bookings_time_off_and_the_buffer(svc):
    services.scheduling_settings_update(actor=SYSTEM, channel=Channel.SYSTEM, travel_buffer_minutes=30,
                                        slot_step_minutes=30)
    fw = worker(services=[svc])
    set_hours(fw, [(day, "09:00", "13:00") for day in range(7)])
    day = next_weekday(0, hour=0)
    assign(job(day + timedelta(hours=10), hours=1), fw)  # 10:00-11:00 busy; buffer to 11:30 and from 09:30
    services.time_off_add(actor=SYSTEM, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
                          starts_at=day + timedelta(hours=12, minutes=30), ends_at=day + timedelta(hours=13))
    slots = available_slots(actor=SYSTEM, service_id=svc.pk, location=SYDNEY, start=day, end=day + timedelta(days=1))
    starts = [s.start.astimezone(day.tzinfo).strftime("%H:%M") for s in slots]
    # 09:00-10:00 would end 30 min before the job's 10:00 start minus buffer -> no; 11:30-12:30 fits
    assert starts == ["11:30"]
    assert slots[0].fieldworker_ids == (fw.pk,)
    assert slots[0].end - slots[0].start == timedelta(hours=1)


def test_slots_merge_fieldworkers_and_respect_the_limit(svc):
    a, b = worker(services=[svc]), worker(services=[svc])
    set_hours(a, [(d, "09:00", "11:00") for d in range(7)])
    set_hours(b, [(d, "10:00", "12:00") for d in range(7)])
    day = next_weekday(2, hour=0)
    slots = available_slots(actor=SYSTEM, service_id=svc.pk, location=SYDNEY, start=day, end=day + timedelta(days=1))
    table = {s.start.astimezone(day.tzinfo).strftime("%H:%M"): s.fieldworker_ids for s in slots}
    assert table == {"09:00": (a.pk,), "09:30": (a.pk,), "10:00": tuple(sorted((a.pk, b.pk))), "10:30": (b.pk,),
                     "11:00": (b.pk,)}
    only_b = available_slots(actor=SYSTEM, service_id=svc.pk, location=SYDNEY, start=day, end=day + timedelta(days=1),
                             fieldworker_id=b.pk, limit=2)
    assert [s.fieldworker_ids for s in only_b] == [(b.pk,), (b.pk,)]


def test_slots_keep_local_wall_clock_across_dst(svc, staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, time_zone="Australia/Sydney")
    sydney = zoneinfo.ZoneInfo("Australia/Sydney")
    fw = worker(services=[svc])
    set_hours(fw, [(d, "09:00", "10:00") for d in range(7)])
    # Sydney clocks go forward on the first Sunday of October
    year = timezone.now().year + 1
    start = datetime(year, 10, 1, tzinfo=sydney)
    slots = available_slots(actor=SYSTEM, service_id=svc.pk, location=SYDNEY, start=start,
                            end=start + timedelta(days=10), limit=20)
    assert len(slots) == 10
    assert {s.start.astimezone(sydney).time() for s in slots} == {time(9)}
    assert len({s.start.astimezone(sydney).utcoffset() for s in slots}) == 2  # but two offsets: DST happened


def test_slots_for_moving_a_booking(svc):
    """Its own length, its own time not busy, named fieldworkers whether or not they offer the service."""
    fw = worker(services=[svc])
    set_hours(fw, [(day, "09:00", "13:00") for day in range(7)])
    stranger = worker()  # does not offer the service
    set_hours(stranger, [(day, "09:00", "13:00") for day in range(7)])
    day = next_weekday(0, hour=0)
    booking = job(day + timedelta(hours=10), hours=2)
    assign(booking, fw)
    window = {"location": SYDNEY, "start": day, "end": day + timedelta(days=1)}

    def starts(slots):
        return [s.start.astimezone(day.tzinfo).strftime("%H:%M") for s in slots]

    assert starts(available_slots(actor=SYSTEM, service_id=svc.pk, **window)) == ["09:00", "12:00"]  # 1 h, busy 10-12
    own = available_slots(actor=SYSTEM, service_id=svc.pk, **window, duration=timedelta(hours=2),
                          exclude_booking_id=booking.pk)
    assert starts(own) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert {s.end - s.start for s in own} == {timedelta(hours=2)}
    named = available_slots(actor=SYSTEM, service_id=None, **window, duration=timedelta(hours=2),
                            fieldworker_ids=[fw.pk, stranger.pk], exclude_booking_id=booking.pk)
    assert [s.fieldworker_ids for s in named][:1] == [tuple(sorted((fw.pk, stranger.pk)))]
    with pytest.raises(DomainError) as caught:
        available_slots(actor=SYSTEM, service_id=None, **window)
    assert (caught.value.code, caught.value.field) == ("required", "serviceId")
