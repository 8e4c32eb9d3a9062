"""Working hours, time off, service areas, status and change requests: who may edit what, and the
jobs a change now conflicts with."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from core.actors import Actor, Channel
from core.errors import DomainError
from core.workforce import services
from core.workforce.events import ChangeRequestDecided, ChangeRequestFiled, ScheduleChanged
from core.workforce.models import FieldworkerLog, TimeOff, WorkingHours
from core.workforce.services import HoursRange
from tests import factories
from tests.core.support import assert_refused
from tests.scheduling_support import assign, job, next_weekday, weekdays_9_to_5

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()


def hours_of(fw):
    return [(r.weekday, r.start_time.strftime("%H:%M"), r.end_time.strftime("%H:%M"))
            for r in WorkingHours.objects.filter(fieldworker=fw).order_by("weekday", "start_time")]


def test_staff_set_split_shifts_and_the_log_records_who(staff_actor, fieldworker, published):
    change = services.working_hours_set(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                        ranges=[HoursRange(0, time(8), time(12)), HoursRange(0, time(13), time(17)),
                                                {"weekday": 5, "start": "09:00", "end": "13:00"}])
    assert change.applied and change.change_request is None and change.conflicts == []
    assert hours_of(fieldworker) == [(0, "08:00", "12:00"), (0, "13:00", "17:00"), (5, "09:00", "13:00")]
    log = FieldworkerLog.objects.get(fieldworker=fieldworker)
    assert (log.action, log.channel, log.actor_user_id) == ("working_hours", "graphql", staff_actor.user.pk)


@pytest.mark.parametrize(("ranges", "code"), [
    ([HoursRange(0, time(9), time(17)), HoursRange(0, time(16), time(18))], "overlapping_ranges"),
    ([HoursRange(0, time(17), time(9))], "end_before_start"),
    ([HoursRange(7, time(9), time(17))], "out_of_range"),
    ([{"weekday": 1, "start": "nine", "end": "17:00"}], "invalid_time"),
])
def test_bad_hours_are_refused_and_nothing_changes(staff_actor, fieldworker, ranges, code):
    weekdays_9_to_5(fieldworker)
    assert_refused(lambda: services.working_hours_set(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      fieldworker_id=fieldworker.pk, ranges=ranges), code)


def test_a_fieldworker_files_a_change_request_unless_the_business_allows_self_edit(fieldworker, fieldworker_actor,
                                                                                   staff_actor):
    weekdays_9_to_5(fieldworker)
    change = services.working_hours_set(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                        fieldworker_id=fieldworker.pk, ranges=[HoursRange(0, time(7), time(15))])
    assert not change.applied
    request = change.change_request
    assert (request.kind, request.status, request.channel) == ("working_hours", "pending", "telegram")
    assert len(hours_of(fieldworker)) == 5  # unchanged until approved
    services.change_request_approve(actor=staff_actor, channel=Channel.GRAPHQL, change_request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == staff_actor.user
    assert hours_of(fieldworker) == [(0, "07:00", "15:00")]
    with pytest.raises(DomainError) as caught:
        services.change_request_reject(actor=staff_actor, channel=Channel.GRAPHQL, change_request_id=request.pk)
    assert caught.value.code == "already_decided"

    services.scheduling_settings_update(actor=staff_actor, channel=Channel.GRAPHQL, fieldworkers_may_edit_hours=True)
    change = services.working_hours_set(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                        fieldworker_id=fieldworker.pk, ranges=[HoursRange(1, time(7), time(15))])
    assert change.applied and hours_of(fieldworker) == [(1, "07:00", "15:00")]


def test_fieldworkers_cannot_touch_someone_elses_schedule_or_decide_requests(fieldworker, fieldworker_actor,
                                                                             customer_actor, staff_actor):
    other = factories.fieldworker()
    for actor in (fieldworker_actor, customer_actor, Actor.anonymous()):
        assert_refused(lambda a=actor: services.working_hours_set(actor=a, channel=Channel.GRAPHQL,
                                                                  fieldworker_id=other.pk, ranges=[]), "not_found")
    request = services.working_hours_set(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                         fieldworker_id=fieldworker.pk, ranges=[]).change_request
    denied = assert_refused(lambda: services.change_request_approve(
        actor=fieldworker_actor, channel=Channel.TELEGRAM, change_request_id=request.pk), "not_found")
    missing = assert_refused(lambda: services.change_request_approve(
        actor=staff_actor, channel=Channel.TELEGRAM, change_request_id=request.pk + 1000), "not_found")
    assert (denied.field, denied.message) == (missing.field, missing.message)  # denied looks missing
    assert_refused(lambda: services.fieldworker_set_status(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                                           fieldworker_id=fieldworker.pk, status="active"),
                   "forbidden")


def test_rejecting_a_request_changes_nothing_but_its_status(fieldworker, fieldworker_actor, staff_actor):
    start = next_weekday(0, hour=9)
    change = services.time_off_add(actor=fieldworker_actor, channel=Channel.TELEGRAM, fieldworker_id=fieldworker.pk,
                                   starts_at=start, ends_at=start + timedelta(days=2), reason="Wedding")
    assert not change.applied and TimeOff.objects.count() == 0
    request = services.change_request_reject(actor=staff_actor, channel=Channel.GRAPHQL,
                                             change_request_id=change.change_request.pk, note="Busy week")
    assert (request.status, request.decision_note) == ("rejected", "Busy week")
    assert TimeOff.objects.count() == 0


def test_time_off_reports_the_jobs_it_now_clashes_with(staff_actor, fieldworker):
    weekdays_9_to_5(fieldworker)
    start = next_weekday(2, hour=10)
    clashing, later = job(start), job(start + timedelta(days=7))
    assign(clashing, fieldworker)
    assign(later, fieldworker)
    change = services.time_off_add(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                   starts_at=start - timedelta(hours=1), ends_at=start + timedelta(days=1),
                                   kind="sick", reason="Flu")
    assert change.applied and change.time_off is not None
    assert [(c.booking_id, c.reason) for c in change.conflicts] == [(clashing.pk, "time_off")]
    removed = services.time_off_remove(actor=staff_actor, channel=Channel.GRAPHQL, time_off_id=change.time_off.pk)
    assert removed.conflicts == [] and TimeOff.objects.count() == 0


def test_changing_hours_reports_jobs_now_outside_them(staff_actor, fieldworker):
    weekdays_9_to_5(fieldworker)
    monday = next_weekday(0, hour=14)
    tuesday = next_weekday(1, hour=9)
    assign(job(monday), fieldworker)
    assign(job(tuesday), fieldworker)
    change = services.working_hours_set(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                        ranges=[HoursRange(0, time(8), time(12)), HoursRange(1, time(8), time(12))])
    assert [c.reason for c in change.conflicts] == ["not_working"]
    assert change.conflicts[0].start == monday


def test_blocking_reports_every_upcoming_job(staff_actor, fieldworker):
    weekdays_9_to_5(fieldworker)
    jobs = [job(next_weekday(day, hour=9)) for day in (0, 3)]
    for booking in jobs:
        assign(booking, fieldworker)
    change = services.fieldworker_set_status(actor=staff_actor, channel=Channel.GRAPHQL,
                                             fieldworker_id=fieldworker.pk, status="blocked")
    assert sorted(c.booking_id for c in change.conflicts) == sorted(b.pk for b in jobs)
    assert {c.reason for c in change.conflicts} == {"blocked"}


def test_workforce_events_leave_after_commit(staff_actor, fieldworker, fieldworker_actor, published):
    from core import events as core_events

    seen = []
    core_events.subscribe(ScheduleChanged, seen.append)
    core_events.subscribe(ChangeRequestFiled, seen.append)
    core_events.subscribe(ChangeRequestDecided, seen.append)
    try:
        request = services.working_hours_set(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                             fieldworker_id=fieldworker.pk, ranges=[]).change_request
        published.all()  # runs the on-commit callbacks queued so far
        services.change_request_approve(actor=staff_actor, channel=Channel.GRAPHQL, change_request_id=request.pk)
        published.all()
    finally:
        for kind in (ScheduleChanged, ChangeRequestFiled, ChangeRequestDecided):
            core_events.unsubscribe(kind, seen.append)
    assert [e.name for e in seen] == ["ChangeRequestFiled", "ScheduleChanged", "ChangeRequestDecided"]
    assert seen[-1].approved is True and seen[0].change_request_id == request.pk


def test_service_areas_and_home_base_are_validated(staff_actor, fieldworker):
    area = services.service_area_save(actor=staff_actor, channel=Channel.GRAPHQL, name="Inner West",
                                      postcodes=["2040", " 2041 ", "2040"])
    assert sorted(area.postcodes.values_list("postcode", flat=True)) == ["2040", "2041"]
    assert_refused(lambda: services.service_area_save(actor=staff_actor, channel=Channel.GRAPHQL, name="inner west",
                                                      postcodes=[]), "duplicate")
    services.fieldworker_set_areas(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                   area_ids=[area.pk])
    assert list(fieldworker.service_areas.all()) == [area]
    assert_refused(lambda: services.fieldworker_set_home_base(actor=staff_actor, channel=Channel.GRAPHQL,
                                                              fieldworker_id=fieldworker.pk, latitude=95,
                                                              longitude=0, radius_km=5), "out_of_range")
    assert_refused(lambda: services.fieldworker_set_home_base(actor=staff_actor, channel=Channel.GRAPHQL,
                                                              fieldworker_id=fieldworker.pk, latitude=None,
                                                              longitude=None, radius_km=5), "required")


def test_an_approval_that_a_rule_refuses_changes_nothing_and_stays_pending(fieldworker, fieldworker_actor,
                                                                           staff_actor):
    start = next_weekday(0, hour=9)
    off = services.time_off_add(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                starts_at=start, ends_at=start + timedelta(days=1)).time_off
    request = services.time_off_remove(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                       time_off_id=off.pk).change_request
    services.time_off_remove(actor=staff_actor, channel=Channel.GRAPHQL, time_off_id=off.pk)  # staff beat them to it
    assert_refused(lambda: services.change_request_approve(actor=staff_actor, channel=Channel.GRAPHQL,
                                                           change_request_id=request.pk), "not_found")
    request.refresh_from_db()
    assert request.status == "pending" and request.decided_at is None


def test_unknown_change_request_kinds_are_refused(fieldworker, fieldworker_actor):
    assert_refused(lambda: services.change_request_file(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                                        fieldworker_id=fieldworker.pk, kind="free_money",
                                                        payload={}), "invalid")
