"""booking_reschedule and its options: who may move a booking, until when, to which times, and what
happens to the fieldworkers on it (decision 0142)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import AssignmentStatus, Booking, BookingAssignment, BookingStatus
from core.workforce import services as workforce_services
from tests import factories
from tests.core.outreach.support import set_company
from tests.core.support import assert_refused
from tests.scheduling_support import job, next_weekday, weekdays_9_to_5

from .conftest import last_row, new_rows

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()


@pytest.fixture
def svc(db):
    return factories.service(name="Oven clean", duration_minutes=120)


@pytest.fixture
def allowed(company):
    return set_company(customers_may_reschedule=True, reschedule_notice_hours=24, cancellation_notice_hours=24)


@pytest.fixture
def worker(svc):
    fw = weekdays_9_to_5(factories.fieldworker(hours=()))
    fw.services.set([svc])
    return fw


@pytest.fixture
def tuesday(customer, svc, worker, published):
    """Next week's Tuesday 10:00-12:00 for ``customer``, accepted by ``worker``."""
    booking = job(next_weekday(1, hour=10), hours=2, svc=svc, cust=customer)
    services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=booking.pk, fieldworker_id=worker.pk)
    services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                booking_id=booking.pk, accept=True)
    published.clear()
    return booking


def options(actor, booking, channel=Channel.PORTAL):
    return services.booking_reschedule_options(actor=actor, channel=channel, booking_id=booking.pk)


def move(actor, booking, start, channel=Channel.PORTAL):
    return services.booking_reschedule(actor=actor, channel=channel, booking_id=booking.pk, new_start=start)


# --- what a customer is offered ----------------------------------------------------------------------


def test_customers_are_offered_the_times_their_fieldworker_is_free(allowed, tuesday, worker, customer_actor, svc):
    wednesday = next_weekday(2, hour=10)
    job(wednesday, hours=2, svc=svc)  # another job of the same worker, Wednesday 10:00-12:00
    services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=Booking.objects.latest("pk").pk,
                            fieldworker_id=worker.pk)
    assert 0 < len(options(customer_actor, tuesday).slots) <= 20
    offer = services.booking_reschedule_options(actor=customer_actor, channel=Channel.PORTAL, booking_id=tuesday.pk,
                                                limit=200)
    assert offer.allowed and offer.code == ""
    cut_off = timezone.now() + timedelta(hours=24)
    for slot in offer.slots:
        assert slot.start >= cut_off and slot.end - slot.start == timedelta(hours=2)
        assert worker.pk in slot.fieldworker_ids
        local = slot.start.astimezone(wednesday.tzinfo)
        assert local.weekday() < 5 and time(9) <= local.time() and (local + timedelta(hours=2)).time() <= time(17)
        assert not (slot.start < wednesday + timedelta(hours=2) and wednesday < slot.end)  # the other job
        assert slot.start != tuesday.scheduled_start
    # its own time does not count as busy: an hour earlier overlaps it and is offered
    assert tuesday.scheduled_start - timedelta(hours=1) in {slot.start for slot in offer.slots}


def test_with_nobody_on_the_job_enough_fieldworkers_of_the_service_must_be_free(allowed, customer, customer_actor,
                                                                                 svc, worker):
    booking = job(next_weekday(1, hour=10), hours=2, svc=svc, cust=customer)
    assert options(customer_actor, booking).slots  # the one worker who offers the service
    Booking.objects.filter(pk=booking.pk).update(workers_required=2)
    assert options(customer_actor, booking).slots == []


def test_a_booking_with_neither_service_nor_fieldworker_has_no_times_online(allowed, customer, customer_actor):
    start = next_weekday(1, hour=10)
    booking = services.booking_create(actor=SYSTEM, channel=Channel.SYSTEM, customer_id=customer.pk,
                                      scheduled_start=start, lines=[services.LineInput(description="Odd job",
                                                                                       unit_price=50)])
    assert options(customer_actor, booking).slots == []


# --- customers move ------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.PORTAL, Channel.EMAIL_LINK, Channel.SMS, Channel.GRAPHQL])
def test_a_customer_moves_to_an_offered_time_and_keeps_the_fieldworker(channel, allowed, tuesday, worker, customer,
                                                                        customer_actor, published):
    slot = options(customer_actor, tuesday, channel).slots[3]
    old_start, old_end = tuesday.scheduled_start, tuesday.scheduled_end
    move(customer_actor, tuesday, slot.start, channel)
    tuesday.refresh_from_db()
    assert (tuesday.scheduled_start, tuesday.scheduled_end, tuesday.status) == (slot.start, slot.end, "pending")
    assignment = BookingAssignment.objects.get(booking=tuesday)
    assert (assignment.fieldworker_id, assignment.status) == (worker.pk, AssignmentStatus.ACCEPTED)
    assert (assignment.busy_from, assignment.busy_until) == (slot.start, slot.end)
    row = last_row(tuesday)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == (
        "rescheduled", "customer", customer.user_id, channel)
    assert row.changes == {"scheduled_start": [old_start.isoformat().replace("+00:00", "Z"),
                                               slot.start.isoformat().replace("+00:00", "Z")],
                           "scheduled_end": [old_end.isoformat().replace("+00:00", "Z"),
                                             slot.end.isoformat().replace("+00:00", "Z")]}
    [event] = published.all()
    assert type(event) is events.BookingUpdated
    assert (event.event_id, event.changed) == (row.pk, ("scheduled_end", "scheduled_start"))


def test_a_time_not_offered_is_refused(allowed, tuesday, customer_actor, published):
    saturday = next_weekday(5, hour=10)
    assert_refused(lambda: move(customer_actor, tuesday, saturday), "slot_unavailable", field="newStart",
                   published=published)
    taken = options(customer_actor, tuesday).slots[0].start + timedelta(minutes=7)  # off the slot grid
    assert_refused(lambda: move(customer_actor, tuesday, taken), "slot_unavailable", published=published)


def test_a_time_taken_since_it_was_offered_is_refused(allowed, tuesday, worker, customer_actor, svc, published):
    slot = options(customer_actor, tuesday).slots[0]
    other = job(slot.start, hours=2, svc=svc)
    services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=other.pk, fieldworker_id=worker.pk)
    published.clear()
    assert_refused(lambda: move(customer_actor, tuesday, slot.start), "slot_unavailable", published=published)


def test_customers_may_not_move_when_the_company_does_not_allow_it(company, tuesday, customer_actor, staff_actor,
                                                                   published):
    set_company(customers_may_reschedule=False, name="Sparkle Co", phone="+61 2 9999 0000")
    offer = options(customer_actor, tuesday)
    assert (offer.allowed, offer.code, offer.slots) == (False, "reschedule_disabled", [])
    err = assert_refused(lambda: move(customer_actor, tuesday, tuesday.scheduled_start + timedelta(days=1)),
                         "reschedule_disabled", published=published)
    assert "Sparkle Co" in err.message and "+61299990000" in err.message  # stored and shown in E.164
    move(staff_actor, tuesday, tuesday.scheduled_start + timedelta(days=1))  # the office still can


def test_the_reschedule_cut_off_is_its_own(company, customer, customer_actor, svc, worker, published):
    """Moving closes reschedule_notice_hours before the start, whatever the cancellation window says."""
    set_company(customers_may_reschedule=True, reschedule_notice_hours=72, cancellation_notice_hours=1)
    soon = job(timezone.now() + timedelta(hours=48), svc=svc, cust=customer)
    published.clear()
    assert options(customer_actor, soon).code == "too_late"
    err = assert_refused(lambda: move(customer_actor, soon, soon.scheduled_start + timedelta(days=7)), "too_late",
                         published=published)
    assert "72 hours" in err.message
    quote = services.booking_cancellation_quote(actor=customer_actor, channel=Channel.PORTAL, booking_id=soon.pk)
    assert (quote.allowed, quote.inside_window) == (True, False)  # cancelling is still open and free

    set_company(reschedule_notice_hours=1, cancellation_notice_hours=72)
    assert options(customer_actor, soon).allowed


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.ADMIN, Channel.SYSTEM])
def test_customers_cannot_move_through_other_channels(channel, allowed, tuesday, customer_actor, published):
    assert_refused(lambda: move(customer_actor, tuesday, tuesday.scheduled_start + timedelta(days=1), channel),
                   "forbidden", published=published)


@pytest.mark.parametrize(("kind", "code"), [("offered_fw", "forbidden"), ("unassigned_fw", "not_found"),
                                            ("other_customer", "not_found"), ("anonymous", "not_found")])
def test_others_cannot_move_it(kind, code, allowed, tuesday, actor_for, published):
    actor = actor_for(kind, tuesday)
    assert_refused(lambda: move(actor, tuesday, tuesday.scheduled_start + timedelta(days=1)), code,
                   published=published)


def test_the_fieldworker_on_the_job_cannot_move_it(allowed, tuesday, worker, published):
    assert_refused(lambda: move(Actor.for_fieldworker(worker), tuesday, tuesday.scheduled_start + timedelta(days=1),
                                Channel.TELEGRAM), "forbidden", published=published)


def test_closed_or_started_bookings_stay_where_they_are(allowed, tuesday, staff_actor, published):
    services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=tuesday.pk)
    services.booking_start(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=tuesday.pk)
    published.clear()
    assert_refused(lambda: move(staff_actor, tuesday, tuesday.scheduled_start + timedelta(days=1)), "too_late",
                   published=published)
    services.booking_complete(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=tuesday.pk)
    published.clear()
    assert_refused(lambda: move(staff_actor, tuesday, tuesday.scheduled_start + timedelta(days=1)), "not_open",
                   published=published)


def test_bad_times_are_refused(allowed, tuesday, staff_actor, published):
    assert_refused(lambda: move(staff_actor, tuesday, tuesday.scheduled_start), "same_time", field="newStart",
                   published=published)
    assert_refused(lambda: move(staff_actor, tuesday, "tomorrow"), "invalid_datetime", field="newStart",
                   published=published)
    far = tuesday.scheduled_start.replace(year=3001)
    assert_refused(lambda: move(staff_actor, tuesday, far), "invalid_datetime", published=published)


# --- staff move anywhere ---------------------------------------------------------------------------------


def test_staff_move_keeps_a_fieldworker_who_is_free_then(tuesday, worker, staff_actor, published):
    thursday = next_weekday(3, hour=13)
    move(staff_actor, tuesday, thursday, Channel.GRAPHQL)
    assignment = BookingAssignment.objects.get(booking=tuesday)
    assert (assignment.fieldworker_id, assignment.status, assignment.busy_from) == (
        worker.pk, AssignmentStatus.ACCEPTED, thursday)
    assert published.names == ["BookingUpdated"]


def test_staff_move_replaces_a_fieldworker_who_is_not_free_then(tuesday, worker, staff, staff_actor, svc,
                                                                 published):
    weekender = factories.fieldworker(name="Weekend Wendy")  # works every day
    weekender.services.set([svc])
    since = last_row(tuesday).pk
    saturday = next_weekday(5, hour=10)
    move(staff_actor, tuesday, saturday, Channel.GRAPHQL)
    assert [(a.fieldworker_id, a.status) for a in BookingAssignment.objects.filter(booking=tuesday)] == [
        (weekender.pk, AssignmentStatus.OFFERED)]
    rows = new_rows(tuesday, since)
    assert [(r.action, r.actor_user_id) for r in rows] == [("rescheduled", staff.pk), ("unassigned", staff.pk),
                                                           ("assigned", staff.pk)]
    assert rows[1].data == {"fieldworker_id": worker.pk, "fieldworker": worker.name, "reason": "rescheduled",
                            "code": "outside_working_hours"}
    assert rows[2].data["fieldworker_id"] == weekender.pk
    assert published.names == ["BookingUpdated", "BookingUnassigned", "BookingAssigned"]


def test_a_fieldworker_booked_elsewhere_is_taken_off_and_nobody_free_leaves_the_place_open(tuesday, worker,
                                                                                           staff_actor, svc,
                                                                                           published):
    thursday = next_weekday(3, hour=10)
    other = job(thursday + timedelta(hours=1), svc=svc)
    services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=other.pk, fieldworker_id=worker.pk)
    published.clear()
    move(staff_actor, tuesday, thursday, Channel.GRAPHQL)  # ``worker`` is the only one who offers the service
    assert not BookingAssignment.objects.filter(booking=tuesday).exists()
    assert last_row(tuesday).data["code"] == "fieldworker_conflict"
    assert published.names == ["BookingUpdated", "BookingUnassigned"]
    assert Booking.objects.get(pk=tuesday.pk).status == BookingStatus.PENDING  # still open, now unassigned


def test_time_off_at_the_new_time_takes_the_fieldworker_off(tuesday, worker, staff_actor, published):
    thursday = next_weekday(3, hour=10)
    workforce_services.time_off_add(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=worker.pk,
                                    starts_at=thursday, ends_at=thursday + timedelta(days=1))
    published.clear()
    move(staff_actor, tuesday, thursday, Channel.GRAPHQL)
    assert not BookingAssignment.objects.filter(booking=tuesday).exists()
    assert last_row(tuesday).data["code"] == "on_time_off"


def test_a_declined_fieldworker_is_not_offered_the_moved_job_again(tuesday, worker, staff_actor, svc, published):
    decliner = factories.fieldworker()
    decliner.services.set([svc])
    services.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=tuesday.pk,
                            fieldworker_id=decliner.pk)
    services.assignment_respond(actor=Actor.for_fieldworker(decliner), channel=Channel.TELEGRAM,
                                booking_id=tuesday.pk, accept=False, reason="No")
    move(staff_actor, tuesday, next_weekday(6, hour=10), Channel.GRAPHQL)
    assert list(BookingAssignment.objects.filter(booking=tuesday).values_list("fieldworker_id", "status")) == [
        (decliner.pk, AssignmentStatus.DECLINED)]
