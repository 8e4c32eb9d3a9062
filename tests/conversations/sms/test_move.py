"""MOVE by SMS over the signed webhook: "MOVE 1042" is answered with up to three free times in the
booking's time zone, "Reply 1, 2 or 3"; the answer moves the booking (decision 0420)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking, BookingEvent
from core.sms.messages import when
from core.sms.models import SmsKind
from core.sms.tasks import send_booking_sms
from tests import factories
from tests.core.outreach.support import set_company
from tests.core.support import db_state
from tests.scheduling_support import job, next_weekday, weekdays_9_to_5

pytestmark = pytest.mark.django_db
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
SYSTEM = Actor.system()


@pytest.fixture
def worker(db):
    return weekdays_9_to_5(factories.fieldworker(hours=()))


@pytest.fixture
def tuesday(worker):
    """A Sydney business letting customers move bookings; next Tuesday 10:00 Sydney, accepted by a
    weekday 9-to-5 worker, its confirmation texted."""
    set_company(time_zone="Australia/Sydney", customers_may_reschedule=True, reschedule_notice_hours=24)
    booking = job(next_weekday(1, hour=10, tz=SYDNEY), cust=factories.customer())
    booking_services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)
    send_booking_sms.call(SmsKind.CONFIRMATION, booking.pk)
    return booking


def free_times(booking) -> list:
    return booking_services.booking_reschedule_options(actor=Actor.for_customer(booking.customer),
                                                       channel=Channel.SMS, booking_id=booking.pk, limit=3).slots


def local(booking, moment) -> str:
    return when(Booking(scheduled_start=moment, time_zone=booking.time_zone))


def test_move_offers_three_times_and_the_answer_moves_the_booking(tuesday, sms):
    mobile = tuesday.customer.mobile
    slots = free_times(tuesday)
    assert len(slots) == 3
    before = db_state()
    offer = sms(f"MOVE {tuesday.number}", mobile)
    assert db_state() == before  # a question only
    for i, slot in enumerate(slots, 1):
        assert f"{i} {local(tuesday, slot.start)}" in offer.text  # Sydney wall-clock time
    assert "Reply 1, 2 or 3" in offer.text and f"#{tuesday.number}" in offer.text
    assert slots[0].start.astimezone(SYDNEY).hour >= 9

    done = sms("2", mobile)
    tuesday.refresh_from_db()
    assert tuesday.scheduled_start == slots[1].start
    assert done.text == f"Done: booking #{tuesday.number} is now on {local(tuesday, slots[1].start)}. Thank you!"
    row = BookingEvent.objects.filter(booking=tuesday).latest("id")
    assert (row.action, row.channel, row.actor_kind) == ("rescheduled", "sms", "customer")

    again = sms("3", mobile)  # the question was answered: a number now answers nothing
    assert "is now on" not in again.text
    assert Booking.objects.get(pk=tuesday.pk).scheduled_start == slots[1].start


def test_reschedule_without_a_number_asks_about_the_one_open_booking(tuesday, sms):
    offer = sms("please reschedule my booking", tuesday.customer.mobile)
    assert "Reply 1, 2 or 3" in offer.text


def test_no_keeps_the_time_and_a_wrong_number_asks_again(tuesday, sms):
    mobile = tuesday.customer.mobile
    before = db_state()
    sms(f"move {tuesday.number}", mobile)
    assert "number from 1 to 3" in sms("7", mobile).text
    assert f"stays on {when(tuesday)}" in sms("no", mobile).text
    assert db_state() == before


def test_a_time_taken_meanwhile_is_refused_and_nothing_moves(tuesday, worker, sms):
    mobile = tuesday.customer.mobile
    first = free_times(tuesday)[0]
    sms(f"MOVE {tuesday.number}", mobile)
    other = job(first.start)
    booking_services.booking_assign(actor=SYSTEM, channel=Channel.SYSTEM, booking_id=other.pk,
                                    fieldworker_id=worker.pk)
    before = db_state()
    reply = sms("1", mobile)
    assert "no longer free" in reply.text and f"MOVE {tuesday.number}" in reply.text
    assert db_state() == before


def test_when_customers_may_not_move_bookings_the_reply_says_whom_to_call(tuesday, sms):
    set_company(customers_may_reschedule=False, phone="+61290001111", name="Sparkle")
    before = db_state()
    reply = sms(f"MOVE {tuesday.number}", tuesday.customer.mobile)
    assert "cannot be moved by text" in reply.text and "+61290001111" in reply.text
    assert db_state() == before


def test_inside_the_cut_off_the_reply_says_it_is_too_late(worker, sms):
    set_company(customers_may_reschedule=True, reschedule_notice_hours=48)
    customer = factories.customer()
    soon = factories.booking(cust=customer, start=timezone.now() + timedelta(hours=30))
    before = db_state()
    reply = sms(f"MOVE {soon.number}", customer.mobile)
    assert re.search(rf"#{soon.number} can no longer be moved by text", reply.text)
    assert db_state() == before


def test_someone_elses_booking_number_is_not_found(tuesday, sms):
    stranger = factories.customer()
    factories.booking(cust=stranger)
    reply = sms(f"MOVE {tuesday.number}", stranger.mobile)
    assert f"could not find booking #{tuesday.number}" in reply.text


def test_help_mentions_move_when_customers_may_move(tuesday, sms):
    assert "MOVE and the number to change the time" in sms("help", tuesday.customer.mobile).text
    set_company(customers_may_reschedule=False)
    assert "MOVE" not in sms("help", tuesday.customer.mobile).text
