"""Multi-step conversations and the carrier opt-out configurations."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail

from core import events
from core.bookings.models import Booking, BookingEvent, BookingStatus
from core.company.models import FeeType
from core.company.selectors import get_company
from core.crm.models import Inquiry, InquiryKind
from core.sms import backends
from core.sms.links import read_booking_cancel_token
from core.sms.models import SmsKind, SmsMessage, SmsOptOut
from tests import factories

from .conftest import prompted_booking


@pytest.fixture
def customer_with_email(db):
    return factories.customer(email="pat@example.com")


def test_bare_cancel_under_default_carrier_rules_opts_out_files_a_request_and_emails_a_link(
        customer_with_email, sms, django_capture_on_commit_callbacks):
    booking = prompted_booking(customer_with_email)
    with django_capture_on_commit_callbacks(execute=True):
        reply = sms("CANCEL", customer_with_email.mobile)

    assert reply.messages == []  # the carrier answered; it would block ours anyway
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING  # never cancelled silently
    assert SmsOptOut.objects.get(number=customer_with_email.mobile).opted_out
    request = Inquiry.objects.get()
    assert (request.kind, list(request.bookings.all()), request.customer_id) == (
        InquiryKind.CANCELLATION_REQUEST, [booking], customer_with_email.pk)
    assert BookingEvent.objects.filter(booking=booking, action="cancellation_requested", channel="sms").exists()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["pat@example.com"]
    link = re.search(r"http://127\.0\.0\.1:8000/b/([^/\s]+)/cancel", email.body)
    assert link, email.body
    assert read_booking_cancel_token(link.group(1)) == booking.pk
    assert read_booking_cancel_token(link.group(1)[:-2] + "xx") is None


def test_after_a_bare_cancel_automated_texts_stop(customer_with_email, sms):
    booking = prompted_booking(customer_with_email)
    sms("Cancel", customer_with_email.mobile)
    from core.sms.tasks import send_booking_sms

    backends.outbox.clear()
    message = SmsMessage.objects.get(pk=send_booking_sms.call(SmsKind.REMINDER, booking.pk))
    assert (message.status, message.error_message) == ("skipped", "opted_out")
    assert backends.outbox == []


def test_cancel_with_a_number_is_not_a_carrier_word_and_cancels(customer_with_email, sms):
    booking = prompted_booking(customer_with_email)
    reply = sms(f"CANCEL {booking.number}", customer_with_email.mobile)
    assert f"Booking #{booking.number}" in reply.text and "is cancelled" in reply.text
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    assert not SmsOptOut.objects.exists()
    assert mail.outbox == []


def test_bare_cancel_is_a_cancel_when_the_business_removed_it_from_the_opt_out_list(
        customer_with_email, sms, settings):
    settings.SMS_CANCEL_IS_CARRIER_OPT_OUT = False
    booking = prompted_booking(customer_with_email)
    reply = sms("cancel", customer_with_email.mobile)
    assert "is cancelled" in reply.text
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    assert not SmsOptOut.objects.exists()
    assert not Inquiry.objects.exists()


def test_stop_always_opts_out_even_when_cancel_is_not_a_carrier_word(customer_with_email, sms, settings):
    settings.SMS_CANCEL_IS_CARRIER_OPT_OUT = False
    prompted_booking(customer_with_email)
    assert sms("stop", customer_with_email.mobile).messages == []
    assert SmsOptOut.objects.get(number=customer_with_email.mobile).opted_out
    assert sms("UNSTOP", customer_with_email.mobile).messages == []
    assert not SmsOptOut.objects.get(number=customer_with_email.mobile).opted_out


def test_help_gives_the_business_contact_details(db, sms):
    company = get_company()
    company.name, company.phone, company.email = "Sparkle Cleaning", "+61290001111", "hi@sparkle.example"
    company.save()
    customer = factories.customer()
    reply = sms("help", customer.mobile)
    assert "Sparkle Cleaning" in reply.text
    assert "+61290001111" in reply.text and "hi@sparkle.example" in reply.text


@pytest.fixture
def fee_booking(db):
    company = get_company()
    company.cancellation_fee_type = FeeType.FIXED
    company.cancellation_fee_amount = Decimal("40.00")
    company.cancellation_notice_hours = 48
    company.save()
    return prompted_booking(factories.customer(), hours=20)


def test_inside_the_fee_window_the_fee_is_stated_and_yes_cancels_with_that_fee(fee_booking, sms):
    mobile = fee_booking.customer.mobile
    ask = sms(f"cancel {fee_booking.number}", mobile)
    assert "fee of 40.00 AUD" in ask.text and "YES" in ask.text
    assert Booking.objects.get(pk=fee_booking.pk).status == BookingStatus.PENDING
    done = sms("YES", mobile)
    assert "is cancelled" in done.text and "40.00" in done.text
    booking = Booking.objects.get(pk=fee_booking.pk)
    assert (booking.status, booking.cancellation_fee, booking.cancel_channel) == (
        BookingStatus.CANCELLED, Decimal("40.00"), "sms")
    # the question is answered: a second YES confirms nothing and cancels nothing again
    again = sms("YES", mobile)
    assert "is cancelled" not in again.text
    assert BookingEvent.objects.filter(booking=booking, action="cancelled").count() == 1


def test_inside_the_fee_window_no_keeps_the_booking(fee_booking, sms):
    mobile = fee_booking.customer.mobile
    sms(f"cancel {fee_booking.number}", mobile)
    reply = sms("no", mobile)
    assert "stays booked" in reply.text
    assert Booking.objects.get(pk=fee_booking.pk).status == BookingStatus.PENDING


def test_a_fee_that_changed_since_it_was_stated_is_refused(fee_booking, sms):
    mobile = fee_booking.customer.mobile
    sms(f"cancel {fee_booking.number}", mobile)
    company = get_company()
    company.cancellation_fee_amount = Decimal("55.00")
    company.save()
    reply = sms("yes", mobile)
    assert "changed to 55.00" in reply.text
    assert Booking.objects.get(pk=fee_booking.pk).status == BookingStatus.PENDING


@pytest.fixture
def two_bookings(db):
    customer = factories.customer()
    return [prompted_booking(customer, days=2), prompted_booking(customer, days=6)]


def test_several_open_bookings_ask_which_and_a_number_picks_one(two_bookings, sms):
    first, second = two_bookings
    mobile = first.customer.mobile
    ask = sms("please cancel", mobile)
    assert f"1 for #{first.number}" in ask.text and f"2 for #{second.number}" in ask.text
    wrong = sms("7", mobile)
    assert "number from 1 to 2" in wrong.text
    done = sms("2", mobile)
    assert f"#{second.number}" in done.text and "is cancelled" in done.text
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.PENDING
    assert Booking.objects.get(pk=second.pk).status == BookingStatus.CANCELLED


def test_several_open_bookings_accept_the_booking_number_as_the_answer(two_bookings, sms):
    first, second = two_bookings
    mobile = first.customer.mobile
    sms("yes", mobile)
    reply = sms(str(first.number), mobile)
    assert "is confirmed" in reply.text
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.CONFIRMED
    assert Booking.objects.get(pk=second.pk).status == BookingStatus.PENDING


def test_free_text_with_several_bookings_lands_on_the_chosen_one_and_is_published_live(two_bookings, sms, published):
    first, _second = two_bookings
    mobile = first.customer.mobile
    sms("Can you bring a ladder?", mobile)
    published.clear()
    sms("1", mobile)
    comments = published.of(events.CommentAdded)
    assert [(c.booking_id, c.body, c.channel) for c in comments] == [(first.pk, "Can you bring a ladder?", "sms")]


def test_another_customers_booking_number_is_not_found(db, sms):
    mine = prompted_booking(factories.customer())
    theirs = prompted_booking(factories.customer())
    reply = sms(f"CANCEL {theirs.number}", mine.customer.mobile)
    assert f"could not find booking #{theirs.number}" in reply.text
    assert Booking.objects.get(pk=theirs.pk).status == BookingStatus.PENDING


def test_a_cancel_by_sms_sends_no_extra_cancellation_text(db, sms, django_capture_on_commit_callbacks):
    booking = prompted_booking(factories.customer())
    backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = sms(f"CANCEL {booking.number}", booking.customer.mobile)
    assert "is cancelled" in reply.text
    assert backends.outbox == []
    assert not SmsMessage.objects.filter(kind=SmsKind.CANCELLATION).exists()
