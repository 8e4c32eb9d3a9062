"""No double booking: the conflict check, the travel buffer, and (on PostgreSQL) the exclusion
constraint under real concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from core.actors import Actor, Channel
from core.bookings import conflicts, services
from core.bookings.models import AssignmentStatus, BookingAssignment
from core.errors import DomainError
from core.workforce import services as workforce_services
from tests import factories
from tests.core.support import assert_refused
from tests.scheduling_support import assign, job, next_weekday

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
needs_postgres = pytest.mark.skipif(not settings.IS_POSTGRES,
                                    reason="the exclusion constraint exists on PostgreSQL only")


def set_buffer(minutes: int) -> None:
    workforce_services.scheduling_settings_update(actor=SYSTEM, channel=Channel.SYSTEM,
                                                  travel_buffer_minutes=minutes)


def test_an_overlapping_second_job_is_refused_and_nothing_changes(staff_actor, published):
    fw = factories.fieldworker()
    start = next_weekday(1, hour=9)
    first, second = job(start), job(start + timedelta(hours=1))
    assign(first, fw)
    error = assert_refused(lambda: services.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL,
                                                           booking_id=second.pk, fieldworker_id=fw.pk),
                           "fieldworker_conflict", published=published, field="fieldworkerId")
    assert error.data["booking_ids"] == [first.pk]
    assert error.data["numbers"] == [first.number]
    assert f"#{first.number}" in error.message


def test_back_to_back_jobs_are_fine_without_a_buffer():
    fw = factories.fieldworker()
    start = next_weekday(1, hour=9)
    first, second = job(start, hours=2), job(start + timedelta(hours=2))
    assign(first, fw)
    assert assign(second, fw).status == AssignmentStatus.OFFERED


@pytest.mark.parametrize(("gap_minutes", "clash"), [(0, True), (29, True), (30, False), (45, False)])
def test_the_travel_buffer_applies_on_both_sides(gap_minutes, clash):
    set_buffer(30)
    fw = factories.fieldworker()
    start = next_weekday(2, hour=9)
    middle = job(start, hours=2)
    assign(middle, fw)
    after = job(start + timedelta(hours=2, minutes=gap_minutes), hours=1)
    before = job(start - timedelta(hours=1, minutes=gap_minutes), hours=1)
    for other in (after, before):
        if clash:
            with pytest.raises(DomainError) as caught:
                assign(other, fw)
            assert caught.value.code == "fieldworker_conflict"
        else:
            assert assign(other, fw).busy_until == other.scheduled_end + timedelta(minutes=30)


def test_other_fieldworkers_and_declined_or_cancelled_jobs_do_not_block():
    fw, other = factories.fieldworker(), factories.fieldworker()
    start = next_weekday(3, hour=10)
    first, second, third = job(start), job(start), job(start)
    assign(first, other)  # someone else's job
    assign(first, fw)
    with pytest.raises(DomainError):
        assign(second, fw)
    services.assignment_respond(actor=Actor.for_fieldworker(fw), channel=Channel.TELEGRAM, booking_id=first.pk,
                                accept=False, reason="Car broke down")
    row = BookingAssignment.objects.get(booking=first, fieldworker=fw)
    assert (row.busy_from, row.busy_until) == (None, None)
    assign(second, fw)  # the decline freed the time
    services.booking_cancel(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=second.pk, reason="Customer away")
    assert BookingAssignment.objects.get(booking=second, fieldworker=fw).busy_from is None
    assign(third, fw)  # the cancel freed it again
    # re-offering the declined job now clashes with the third
    with pytest.raises(DomainError) as caught:
        assign(first, fw)
    assert caught.value.code == "fieldworker_conflict"
    assert BookingAssignment.objects.get(booking=first, fieldworker=fw).status == AssignmentStatus.DECLINED


def test_rescheduling_into_a_clash_is_refused_and_a_free_move_moves_the_busy_range(staff_actor, published):
    fw = factories.fieldworker()
    start = next_weekday(4, hour=9)
    first, second = job(start), job(start + timedelta(hours=4))
    assign(first, fw)
    assign(second, fw)
    assert_refused(lambda: services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=second.pk,
                                                   scheduled_start=start + timedelta(hours=1)),
                   "fieldworker_conflict", published=published)
    moved = start + timedelta(hours=6)
    services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=second.pk, scheduled_start=moved)
    row = BookingAssignment.objects.get(booking=second)
    assert (row.busy_from, row.busy_until) == (moved, moved + timedelta(hours=2))
    # the old slot is free now
    assign(job(start + timedelta(hours=4)), fw)


def test_a_job_ending_in_a_long_booking_is_found_however_early_that_booking_started():
    fw = factories.fieldworker()
    start = next_weekday(0, hour=8)
    long_job = job(start, hours=24 * 5)
    assign(long_job, fw)
    with pytest.raises(DomainError) as caught:
        assign(job(start + timedelta(days=4, hours=3)), fw)
    assert caught.value.code == "fieldworker_conflict"


@needs_postgres
def test_the_database_itself_refuses_an_overlap_that_skips_the_check():
    fw = factories.fieldworker()
    start = next_weekday(1, hour=9)
    first, second = job(start), job(start + timedelta(hours=1))
    assign(first, fw)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        BookingAssignment.objects.create(booking=second, fieldworker=fw, busy_from=second.scheduled_start,
                                         busy_until=second.scheduled_end)
    assert "assignment_no_overlap" in str(caught.value)
    # a declined row may overlap: the constraint only covers active assignments
    BookingAssignment.objects.create(booking=second, fieldworker=fw, status=AssignmentStatus.DECLINED,
                                     busy_from=second.scheduled_start, busy_until=second.scheduled_end)


def _race(fieldworker, bookings) -> list[str]:
    """Assign ``fieldworker`` to every booking at once, one thread and one connection each."""
    barrier = threading.Barrier(len(bookings))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(booking_id: int) -> None:
        try:
            connection.ensure_connection()  # connect first, so the attempts really overlap
            barrier.wait(timeout=30)
            services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=booking_id,
                                    fieldworker_id=fieldworker.pk)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:  # anything else is a failure of the feature (a 500)
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(b.pk,)) for b in bookings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_attempts_exactly_one_wins():
    fw = factories.fieldworker()
    start = next_weekday(2, hour=9)
    outcomes = _race(fw, [job(start + timedelta(minutes=n)) for n in range(50)])
    assert len(outcomes) == 50
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("fieldworker_conflict") == 49, [o for o in outcomes if o != "fieldworker_conflict"]
    assert BookingAssignment.objects.filter(fieldworker=fw).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_pre_check_the_constraint_alone_lets_exactly_one_win(monkeypatch):
    """The friendly check is only for the message: with it switched off, every loser hits the exclusion
    constraint, and its IntegrityError still reaches callers as fieldworker_conflict."""
    monkeypatch.setattr(conflicts, "ensure_free", lambda *args, **kwargs: None)
    fw = factories.fieldworker()
    start = next_weekday(3, hour=9)
    outcomes = _race(fw, [job(start + timedelta(minutes=n)) for n in range(50)])
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("fieldworker_conflict") == 49, [o for o in outcomes if o != "fieldworker_conflict"]
    assert BookingAssignment.objects.filter(fieldworker=fw).count() == 1
