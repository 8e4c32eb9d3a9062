"""Offering, re-offering, accepting, declining and unassigning fieldworkers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import events
from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import AssignmentStatus, BookingAssignment
from core.company.selectors import get_company
from core.workforce import services as workforce_services
from core.workforce.models import Fieldworker, FieldworkerStatus
from tests import factories
from tests.core.support import assert_refused
from tests.scheduling_support import job, next_weekday, weekdays_9_to_5

from .conftest import ACTOR_KINDS, last_row, offer


def assign(actor, booking, worker, channel=Channel.GRAPHQL):
    return services.booking_assign(actor=actor, channel=channel, booking_id=booking.pk, fieldworker_id=worker.pk)


def respond(actor, booking, *, accept, reason="", fieldworker_id=None, channel=Channel.TELEGRAM):
    return services.assignment_respond(actor=actor, channel=channel, booking_id=booking.pk, accept=accept,
                                       reason=reason, fieldworker_id=fieldworker_id)


def test_staff_offers_a_job(booking, staff, staff_actor, fieldworker, published):
    assignment = assign(staff_actor, booking, fieldworker)
    assert (assignment.status, assignment.booking_id, assignment.fieldworker_id) == (
        AssignmentStatus.OFFERED, booking.pk, fieldworker.pk)
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == ("assigned", "staff", staff.pk, "graphql")
    assert row.data == {"fieldworker_id": fieldworker.pk, "fieldworker": fieldworker.name}
    [event] = published.all()
    assert type(event) is events.BookingAssigned
    assert (event.event_id, event.assignment_id, event.fieldworker_id) == (row.pk, assignment.pk, fieldworker.pk)


@pytest.mark.parametrize("kind", [k for k in ACTOR_KINDS if k not in ("staff", "system")])
def test_only_staff_assign(kind, booking, actor_for, fieldworker, published):
    actor = actor_for(kind, booking)
    code = "forbidden" if kind in ("own_customer", "accepted_fw", "offered_fw") else "not_found"
    assert_refused(lambda: assign(actor, booking, fieldworker), code, published=published)


def test_the_system_may_assign(booking, fieldworker, published):
    assign(Actor.system(), booking, fieldworker, channel=Channel.SYSTEM)
    assert last_row(booking).actor_kind == "system"
    assert published.names == ["BookingAssigned"]


def test_assign_refusals(booking, staff_actor, fieldworker, published):
    assign(staff_actor, booking, fieldworker)
    assert_refused(lambda: assign(staff_actor, booking, fieldworker), "already_assigned", field="fieldworkerId",
                   published=published)
    blocked = factories.fieldworker(status=FieldworkerStatus.BLOCKED)
    assert_refused(lambda: assign(staff_actor, booking, blocked), "fieldworker_blocked", field="fieldworkerId",
                   published=published)
    idle = factories.fieldworker(status=FieldworkerStatus.INACTIVE)
    assert_refused(lambda: assign(staff_actor, booking, idle), "fieldworker_inactive", field="fieldworkerId",
                   published=published)
    assert_refused(lambda: services.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                                   fieldworker_id=10**9),
                   "not_found", field="fieldworkerId", published=published)


def test_closed_bookings_cannot_be_assigned(booking, staff_actor, fieldworker, published):
    services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="x")
    assert_refused(lambda: assign(staff_actor, booking, fieldworker), "not_open", published=published)


def test_accept(booking, fieldworker, fieldworker_actor, published):
    offer(booking, fieldworker)
    published.clear()
    assignment = respond(fieldworker_actor, booking, accept=True)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ACCEPTED
    assert assignment.responded_at is not None and assignment.responded_by_id == fieldworker.user_id
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == (
        "accepted", "fieldworker", fieldworker.user_id, "telegram")
    assert row.changes == {"assignment": ["offered", "accepted"]}
    assert row.data == {"fieldworker_id": fieldworker.pk, "reason": "", "on_behalf": False}
    [event] = published.all()
    assert type(event) is events.AssignmentResponded
    assert (event.event_id, event.assignment_id, event.fieldworker_id, event.accepted, event.reason) == (
        row.pk, assignment.pk, fieldworker.pk, True, "")


def test_decline_needs_a_reason(booking, fieldworker, fieldworker_actor, published):
    offer(booking, fieldworker)
    assert_refused(lambda: respond(fieldworker_actor, booking, accept=False, reason="  "), "reason_required",
                   field="reason", published=published)
    respond(fieldworker_actor, booking, accept=False, reason="Car broke down")
    assignment = BookingAssignment.objects.get(booking=booking, fieldworker=fieldworker)
    assert (assignment.status, assignment.decline_reason) == (AssignmentStatus.DECLINED, "Car broke down")
    row = last_row(booking)
    assert (row.action, row.changes) == ("declined", {"assignment": ["offered", "declined"]})
    [event] = published.of(events.AssignmentResponded)
    assert (event.accepted, event.reason) == (False, "Car broke down")


def test_decline_can_be_switched_off_for_fieldworkers_but_not_for_staff(booking, fieldworker, fieldworker_actor,
                                                                        staff, staff_actor, published):
    company = get_company()
    company.fieldworkers_may_decline = False
    company.save()
    offer(booking, fieldworker)
    assert_refused(lambda: respond(fieldworker_actor, booking, accept=False, reason="busy"), "decline_not_allowed",
                   published=published)
    respond(staff_actor, booking, accept=False, reason="rang the office", fieldworker_id=fieldworker.pk,
            channel=Channel.GRAPHQL)
    assignment = BookingAssignment.objects.get(booking=booking, fieldworker=fieldworker)
    assert (assignment.status, assignment.responded_by_id) == (AssignmentStatus.DECLINED, staff.pk)
    row = last_row(booking)
    assert (row.actor_kind, row.actor_user_id, row.data["on_behalf"]) == ("staff", staff.pk, True)


def test_staff_accepts_on_behalf(booking, fieldworker, staff, staff_actor, published):
    offer(booking, fieldworker)
    published.clear()
    assert_refused(lambda: respond(staff_actor, booking, accept=True), "required", field="fieldworkerId",
                   published=published)
    respond(staff_actor, booking, accept=True, fieldworker_id=fieldworker.pk, channel=Channel.GRAPHQL)
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.data["on_behalf"]) == ("accepted", "staff", staff.pk,
                                                                                     True)
    [event] = published.all()
    assert (event.fieldworker_id, event.accepted, event.actor_kind) == (fieldworker.pk, True, "staff")


def test_re_offer_after_a_decline(booking, fieldworker, fieldworker_actor, staff_actor, published):
    first = offer(booking, fieldworker)
    respond(fieldworker_actor, booking, accept=False, reason="sick")
    published.clear()
    again = assign(staff_actor, booking, fieldworker)
    assert again.pk == first.pk  # the same row, offered again
    again.refresh_from_db()
    assert (again.status, again.decline_reason, again.responded_at, again.responded_by_id) == (
        AssignmentStatus.OFFERED, "", None, None)
    assert published.names == ["BookingAssigned"]
    respond(fieldworker_actor, booking, accept=True)
    assert BookingAssignment.objects.get(pk=first.pk).status == AssignmentStatus.ACCEPTED


def test_an_answer_is_given_once(booking, fieldworker, fieldworker_actor, published):
    offer(booking, fieldworker, accept=True)
    assert_refused(lambda: respond(fieldworker_actor, booking, accept=True), "already_responded",
                   published=published)
    assert_refused(lambda: respond(fieldworker_actor, booking, accept=False, reason="changed my mind"),
                   "already_responded", published=published)


def test_first_come_first_served(booking, staff_actor, published):
    one, two, three = factories.fieldworker(), factories.fieldworker(), factories.fieldworker()
    for worker in (one, two, three):
        offer(booking, worker)
    respond(Actor.for_fieldworker(two), booking, accept=True)
    assert_refused(lambda: respond(Actor.for_fieldworker(one), booking, accept=True), "job_taken",
                   published=published)
    # with two workers required, a second accept fits and a third does not
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, workers_required=2)
    respond(Actor.for_fieldworker(one), booking, accept=True)
    assert_refused(lambda: respond(Actor.for_fieldworker(three), booking, accept=True), "job_taken",
                   published=published)
    # the one who was too late may still decline the offer
    respond(Actor.for_fieldworker(three), booking, accept=False, reason="taken anyway")
    assert sorted(BookingAssignment.objects.filter(booking=booking).values_list("status", flat=True)) == [
        "accepted", "accepted", "declined"]


@pytest.mark.parametrize("kind", ["own_customer", "other_customer", "anonymous", "system"])
def test_only_fieldworkers_and_staff_respond(kind, booking, fieldworker, actor_for, published):
    offer(booking, fieldworker)
    actor = actor_for(kind, booking)
    assert_refused(lambda: respond(actor, booking, accept=True, fieldworker_id=fieldworker.pk), "not_found",
                   published=published)


def test_a_fieldworker_cannot_answer_for_another(booking, fieldworker, published):
    offer(booking, fieldworker)
    other = factories.fieldworker()
    offer(booking, other)
    assert_refused(lambda: respond(Actor.for_fieldworker(other), booking, accept=True,
                                   fieldworker_id=fieldworker.pk), "not_found", published=published)
    stranger = Actor.for_fieldworker(factories.fieldworker())
    assert_refused(lambda: respond(stranger, booking, accept=True), "not_found", published=published)


def test_no_answers_on_a_closed_booking(booking, fieldworker, fieldworker_actor, staff_actor, published):
    offer(booking, fieldworker)
    services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="x")
    assert_refused(lambda: respond(staff_actor, booking, accept=True, fieldworker_id=fieldworker.pk), "not_open",
                   published=published)


def test_unassign(booking, fieldworker, staff, staff_actor, published):
    offer(booking, fieldworker, accept=True)
    published.clear()
    services.booking_unassign(actor=staff_actor, channel=Channel.ADMIN, booking_id=booking.pk,
                              fieldworker_id=fieldworker.pk)
    assert not BookingAssignment.objects.filter(booking=booking).exists()
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == ("unassigned", "staff", staff.pk, "admin")
    assert row.data == {"fieldworker_id": fieldworker.pk, "fieldworker": fieldworker.name}
    [event] = published.all()
    assert type(event) is events.BookingUnassigned
    assert (event.event_id, event.fieldworker_id) == (row.pk, fieldworker.pk)


def test_unassign_refusals(booking, fieldworker, actor_for, staff_actor, published):
    offer(booking, fieldworker, accept=True)
    assert_refused(lambda: services.booking_unassign(actor=staff_actor, channel=Channel.GRAPHQL,
                                                     booking_id=booking.pk, fieldworker_id=10**9),
                   "not_found", field="fieldworkerId", published=published)
    worker = Actor.for_fieldworker(fieldworker)
    assert_refused(lambda: services.booking_unassign(actor=worker, channel=Channel.TELEGRAM, booking_id=booking.pk,
                                                     fieldworker_id=fieldworker.pk), "forbidden", published=published)
    customer = actor_for("own_customer", booking)
    assert_refused(lambda: services.booking_unassign(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk,
                                                     fieldworker_id=fieldworker.pk), "forbidden", published=published)
    for step in ("confirmed", "in_progress", "completed"):
        services.booking_set_status(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, status=step)
    assert_refused(lambda: services.booking_unassign(actor=staff_actor, channel=Channel.GRAPHQL,
                                                     booking_id=booking.pk, fieldworker_id=fieldworker.pk),
                   "not_open", published=published)


@pytest.mark.parametrize(("status", "code"), [(FieldworkerStatus.BLOCKED, "fieldworker_blocked"),
                                              (FieldworkerStatus.INACTIVE, "fieldworker_inactive")])
def test_a_fieldworker_who_is_no_longer_active_cannot_accept_an_old_offer(status, code, booking, fieldworker,
                                                                          fieldworker_actor, staff_actor, published):
    offer(booking, fieldworker)
    Fieldworker.objects.filter(pk=fieldworker.pk).update(status=status)
    assert_refused(lambda: respond(fieldworker_actor, booking, accept=True), code, field="fieldworkerId",
                   published=published)
    assert_refused(lambda: respond(staff_actor, booking, accept=True, fieldworker_id=fieldworker.pk), code,
                   published=published)
    respond(fieldworker_actor, booking, accept=False, reason="leaving")  # declining still works
    assert BookingAssignment.objects.get(booking=booking, fieldworker=fieldworker).status == "declined"


def test_staff_answer_for_a_fieldworker_without_an_offer_is_not_found(booking, staff_actor, published):
    stranger = factories.fieldworker()
    assert_refused(lambda: respond(staff_actor, booking, accept=True, fieldworker_id=stranger.pk), "not_found",
                   field="fieldworkerId", published=published)


# --- working hours and time off (decision 0141) ----------------------------------------------------


def _weekday_job(weekday: int, hour: int, hours: float = 2):
    return job(next_weekday(weekday, hour=hour), hours=hours)


@pytest.fixture
def nine_to_five(db):
    return weekdays_9_to_5(factories.fieldworker(hours=()))


@pytest.mark.parametrize(("weekday", "hour", "hours"), [
    (5, 10, 2),  # Saturday: no hours at all that day
    (1, 7, 2),  # before the day starts
    (1, 16, 2),  # runs past 17:00
])
def test_outside_working_hours_is_refused(weekday, hour, hours, nine_to_five, staff_actor, published):
    booking = _weekday_job(weekday, hour, hours)
    published.clear()
    err = assert_refused(lambda: assign(staff_actor, booking, nine_to_five), "outside_working_hours",
                         field="fieldworkerId", published=published)
    assert err.data == {"fieldworker_id": nine_to_five.pk}


def test_inside_working_hours_is_offered(nine_to_five, staff_actor):
    booking = _weekday_job(1, 15, 2)  # 15:00-17:00, to the minute
    assert assign(staff_actor, booking, nine_to_five).status == AssignmentStatus.OFFERED
    assert "override_availability" not in last_row(booking).data


def test_no_hours_at_all_is_outside_working_hours(staff_actor, published):
    """As the availability finder reads it: a fieldworker with no hours works none."""
    booking = _weekday_job(1, 10)
    idle_week = factories.fieldworker(hours=())
    assert_refused(lambda: assign(staff_actor, booking, idle_week), "outside_working_hours", published=published)


def test_time_off_is_refused_and_named(nine_to_five, staff_actor, published):
    booking = _weekday_job(1, 10)
    workforce_services.time_off_add(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=nine_to_five.pk,
                                    starts_at=booking.scheduled_start + timedelta(hours=1),
                                    ends_at=booking.scheduled_start + timedelta(days=1), kind="sick")
    published.clear()
    assert_refused(lambda: assign(staff_actor, booking, nine_to_five), "on_time_off", field="fieldworkerId",
                   published=published)


@pytest.mark.parametrize("actor_kind", ["staff", "system"])
def test_an_explicit_override_assigns_and_is_recorded(actor_kind, nine_to_five, published):
    actor = factories.staff_actor() if actor_kind == "staff" else Actor.system()
    booking = _weekday_job(5, 10)
    published.clear()
    assignment = services.booking_assign(actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                         fieldworker_id=nine_to_five.pk, override_availability=True)
    assert assignment.status == AssignmentStatus.OFFERED and assignment.busy_from == booking.scheduled_start
    assert last_row(booking).data == {"fieldworker_id": nine_to_five.pk, "fieldworker": nine_to_five.name,
                                      "override_availability": True, "overridden": "outside_working_hours"}
    assert published.names == ["BookingAssigned"]


def test_an_override_does_not_allow_a_double_booking(nine_to_five, staff_actor, published):
    first, second = _weekday_job(5, 10), _weekday_job(5, 11)
    services.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=first.pk,
                            fieldworker_id=nine_to_five.pk, override_availability=True)
    published.clear()
    assert_refused(lambda: services.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=second.pk,
                                                   fieldworker_id=nine_to_five.pk, override_availability=True),
                   "fieldworker_conflict", published=published)


def test_offering_again_after_a_decline_checks_the_hours_again(nine_to_five, staff_actor, published):
    booking = _weekday_job(1, 10)
    assign(staff_actor, booking, nine_to_five)
    respond(Actor.for_fieldworker(nine_to_five), booking, accept=False, reason="Dentist")
    workforce_services.time_off_add(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=nine_to_five.pk,
                                    starts_at=booking.scheduled_start, ends_at=booking.scheduled_end)
    published.clear()
    assert_refused(lambda: assign(staff_actor, booking, nine_to_five), "on_time_off", published=published)
