"""Automated SMS: triggered by domain events after commit, sent through the Tasks API, and held
back by the pause flags (booking, customer) and by opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.crm import services as crm_services
from core.sms import backends
from core.sms import services as sms_services
from core.sms.models import PromptKind, SmsKind, SmsMessage, SmsPrompt, SmsStatus
from core.sms.selectors import prompted_open_booking_ids
from core.sms.tasks import due_reminder_ids, send_booking_sms, send_due_reminders
from core.sms.text import is_gsm7, segments
from tests import factories

from .conftest import OUR_NUMBER


@pytest.fixture
def customer(db):
    return factories.customer(name="Robin Ng")


def test_a_new_booking_sends_a_confirmation_with_reply_options_after_commit(customer, published):
    booking = factories.booking(cust=customer)
    assert backends.outbox == []  # nothing before commit
    assert published.names == ["BookingCreated"]  # reading the recorder runs the commit callbacks
    [sent] = backends.outbox
    assert sent.to == customer.mobile
    assert f"#{booking.number}" in sent.body
    assert f"CANCEL {booking.number}" in sent.body and "YES" in sent.body
    assert is_gsm7(sent.body) and segments(sent.body) <= 2
    assert sent.status_callback.startswith("http://127.0.0.1:8000/webhooks/twilio/status/?m=")
    row = SmsMessage.objects.get(kind=SmsKind.CONFIRMATION)
    assert (row.sid, row.status, row.booking_id, row.customer_id) == (sent.sid, "queued", booking.pk, customer.pk)
    # replies on this number pair now answer for this booking
    assert prompted_open_booking_ids(customer.mobile, OUR_NUMBER) == [booking.pk]


def test_a_rolled_back_booking_sends_nothing(customer, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        factories.booking(cust=customer)
        raise RuntimeError("rolled back")
    assert backends.outbox == []
    assert not SmsMessage.objects.exists()


def test_pausing_sms_for_the_booking_holds_back_its_reminder(customer, published):
    booking = factories.booking(cust=customer)
    published.clear()
    booking_services.booking_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                            booking_id=booking.pk, sms_paused=True)
    backends.outbox.clear()
    row = SmsMessage.objects.get(pk=send_booking_sms.call(SmsKind.REMINDER, booking.pk))
    assert (row.status, row.error_message) == (SmsStatus.SKIPPED, "paused_for_booking")
    assert backends.outbox == []
    booking_services.booking_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                            booking_id=booking.pk, sms_paused=False)
    row = SmsMessage.objects.get(pk=send_booking_sms.call(SmsKind.REMINDER, booking.pk))
    assert row.status == SmsStatus.QUEUED
    assert len(backends.outbox) == 1


def test_pausing_sms_for_the_customer_holds_back_every_automated_text(customer, published):
    crm_services.customer_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                         customer_id=customer.pk, sms_paused=True)
    booking = factories.booking(cust=customer)
    published.clear()
    booking_services.booking_cancel(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    reason="Rain")
    published.clear()
    assert backends.outbox == []
    assert list(SmsMessage.objects.order_by("pk").values_list("kind", "status", "error_message")) == [
        (SmsKind.CONFIRMATION, SmsStatus.SKIPPED, "paused_for_customer"),
        (SmsKind.CANCELLATION, SmsStatus.SKIPPED, "paused_for_customer"),
    ]


def test_an_opted_out_number_gets_no_automated_text(customer, published):
    sms_services.sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    booking = factories.booking(cust=customer)
    published.clear()
    assert backends.outbox == []
    row = SmsMessage.objects.get(booking=booking)
    assert (row.status, row.error_message) == (SmsStatus.SKIPPED, "opted_out")
    assert not SmsPrompt.objects.exists()


def test_a_staff_cancellation_sends_the_cancellation_notice(customer, published):
    booking = factories.booking(cust=customer)
    published.clear()
    backends.outbox.clear()
    booking_services.booking_cancel(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    reason="Fieldworker ill")
    published.clear()
    [sent] = backends.outbox
    assert f"#{booking.number}" in sent.body and "cancelled" in sent.body
    assert SmsMessage.objects.get(kind=SmsKind.CANCELLATION).booking_id == booking.pk
    # a cancellation notice is not a question: it opens no prompt, and the booking's prompt is over
    assert prompted_open_booking_ids(customer.mobile, OUR_NUMBER) == []


def test_a_customer_without_a_mobile_is_logged_as_not_sent(published, db):
    customer = factories.customer(mobile="")
    booking = factories.booking(cust=customer)
    published.clear()
    row = SmsMessage.objects.get(booking=booking)
    assert (row.status, row.error_message) == (SmsStatus.SKIPPED, "no_mobile")
    assert backends.outbox == []


def test_a_send_refused_with_21610_is_permanent_and_records_the_opt_out(customer, published):
    backends.blocked.add(customer.mobile)
    booking = factories.booking(cust=customer)
    published.clear()
    row = SmsMessage.objects.get(booking=booking)
    assert (row.status, row.error_code, row.permanent_failure) == (SmsStatus.FAILED, 21610, True)
    backends.blocked.clear()
    again = SmsMessage.objects.get(pk=send_booking_sms.call(SmsKind.REMINDER, booking.pk))
    assert (again.status, again.error_message) == (SmsStatus.SKIPPED, "opted_out")


def test_reminders_go_once_to_open_bookings_inside_the_lead_time(customer, settings):
    settings.SMS_REMINDER_HOURS = 24
    now = timezone.now()
    soon = factories.booking(cust=customer, start=now + timedelta(hours=20))
    later = factories.booking(cust=customer, start=now + timedelta(days=5))
    paused = factories.booking(cust=customer, start=now + timedelta(hours=10))
    cancelled = factories.booking(cust=customer, start=now + timedelta(hours=12))
    staff = factories.staff_actor()
    booking_services.booking_set_automation(actor=staff, channel=Channel.GRAPHQL, booking_id=paused.pk,
                                            sms_paused=True)
    booking_services.booking_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=cancelled.pk, reason="x")
    assert due_reminder_ids() == [soon.pk]
    assert later.pk not in due_reminder_ids(now + timedelta(days=1))
    from config.tasks import run_ready

    assert send_due_reminders.call() == 1  # one task per due booking
    assert send_due_reminders.call() == 1  # run again before a worker sent it: enqueued again...
    backends.outbox.clear()
    run_ready()  # (the bookings' confirmations too: this test never committed)
    assert send_due_reminders.call() == 0  # ...but sent once, and never due again
    [sent] = [entry for entry in backends.outbox if "reminder" in entry.body]
    assert f"#{soon.number}" in sent.body and "reminder" in sent.body
    assert SmsPrompt.objects.filter(kind=PromptKind.BOOKING, booking=soon).exists()


def test_the_reminder_command_runs_the_task(customer, settings, capsys):
    from django.core.management import call_command

    factories.booking(cust=customer, start=timezone.now() + timedelta(hours=3))
    call_command("sms_send_reminders")
    assert "1 reminder" in capsys.readouterr().out
    assert len(backends.outbox) == 1


def test_a_retried_confirmation_task_does_not_text_twice(customer, published):
    booking = factories.booking(cust=customer)
    published.clear()
    first = SmsMessage.objects.get(kind=SmsKind.CONFIRMATION, booking=booking)
    assert send_booking_sms.call(SmsKind.CONFIRMATION, booking.pk) == first.pk
    assert len(backends.outbox) == 1
