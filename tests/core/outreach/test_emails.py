"""Confirmation, cancellation and reminder e-mails: content, links, pauses, the log, idempotency."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.company.models import FeeType
from core.crm import services as crm_services
from core.outreach import links, services
from core.outreach.models import EmailKind, EmailMessage, EmailReminder, EmailStatus, ReminderStatus
from tests import factories

from .support import cancel_links_to, deliver, set_company, view_links_to

pytestmark = pytest.mark.django_db


def html_of(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def urls_in(text: str) -> list[str]:
    return re.findall(r"https://fieldops\.example/b/[^\s\"<]+", text)


def make_booking(**kw):
    booking = factories.booking(**kw)
    deliver()
    return booking


def test_confirmation_email_has_html_text_name_logo_and_both_links(settings):
    settings.OUTREACH_LOGO_URL = "https://cdn.example/logo.png"
    set_company(name="Sparkle Cleaning", phone="+61290000000", customers_may_cancel=True)
    booking = make_booking()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [booking.customer.email]
    assert f"#{booking.number}" in message.subject and "Sparkle Cleaning" in message.subject
    html = html_of(message)
    assert 'src="https://cdn.example/logo.png"' in html and "Sparkle Cleaning" in html
    for body in (message.body, html):
        assert view_links_to(booking, body)
        assert cancel_links_to(booking, body)
    row = EmailMessage.objects.get(booking=booking)
    assert (row.kind, row.status, row.to_address, row.attempts) == ("confirmation", "sent", booking.customer.email, 1)
    assert row.message_id and message.extra_headers["Message-ID"] == row.message_id
    assert row.sent_at is not None


def test_flag_off_confirmation_has_view_link_and_no_cancel_link():
    set_company(customers_may_cancel=False)
    booking = make_booking()
    message = mail.outbox[0]
    for body in (message.body, html_of(message)):
        assert view_links_to(booking, body)
        assert "/cancel" not in body and "Cancel this booking" not in body


def test_customer_pause_skips_confirmation_and_logs_why():
    customer = factories.customer()
    crm_services.customer_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                         customer_id=customer.pk, email_paused=True)
    booking = make_booking(cust=customer)
    assert mail.outbox == []
    row = EmailMessage.objects.get(booking=booking)
    assert (row.status, row.skip_reason) == ("skipped", "paused_for_customer")


def test_booking_pause_skips_the_cancellation_notice():
    booking = make_booking()
    mail.outbox = []
    booking_services.booking_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                            booking_id=booking.pk, email_paused=True)
    booking_services.booking_cancel(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    reason="Weather")
    deliver()
    assert mail.outbox == []
    row = EmailMessage.objects.get(booking=booking, kind=EmailKind.CANCELLATION)
    assert (row.status, row.skip_reason) == ("skipped", "paused_for_booking")


def test_customer_without_email_is_logged_not_sent():
    booking = make_booking(cust=factories.customer(email=""))
    assert mail.outbox == []
    assert EmailMessage.objects.get(booking=booking).skip_reason == "no_address"


def test_cancellation_notice_links_to_the_view_and_mentions_the_fee():
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("25.00"),
                cancellation_notice_hours=48)
    customer = factories.customer()
    booking = make_booking(cust=customer, start=timezone.now() + timedelta(hours=5))
    mail.outbox = []
    booking_services.booking_cancel(actor=Actor.for_customer(customer), channel=Channel.PORTAL,
                                    booking_id=booking.pk, reason="Sick", accept_fee=Decimal("25.00"))
    deliver()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "cancelled" in message.subject
    assert "25.00" in message.body and "Cancelled" in message.body
    # the signed token carries a timestamp, so compare what it opens rather than the exact string
    (url,) = urls_in(message.body)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert url == links.booking_view_url(booking, token)
    assert links.read_booking_token(token) == booking
    assert "/cancel" not in html_of(message)


def test_a_replayed_event_and_a_replayed_task_send_nothing_more():
    booking = make_booking()
    assert len(mail.outbox) == 1
    row = EmailMessage.objects.get(booking=booking)
    # The same BookingCreated delivered again (at-least-once delivery): the key refuses a second row.
    event = events.BookingCreated(event_id=booking.history.get(action="created").pk, booking_id=booking.pk,
                                  channel="system", actor_kind="system", number=str(booking.number),
                                  status=booking.status, customer_id=booking.customer_id,
                                  scheduled_start="", scheduled_end="")
    events.dispatch(event)
    deliver()
    # The task run again for the same row: it is no longer queued, so nothing is sent.
    from core.outreach.tasks import deliver_email

    assert deliver_email.call(row.pk) == "sent"
    assert len(mail.outbox) == 1
    assert EmailMessage.objects.filter(booking=booking).count() == 1


def test_transport_failure_is_recorded_on_the_row(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    booking = make_booking()
    row = EmailMessage.objects.get(booking=booking)
    assert row.status == EmailStatus.QUEUED and row.error and row.sent_at is None  # to be tried again
    assert row.next_attempt_at is not None and row.attempts == 1  # (retries: tests/core/test_delivery_retries.py)


def test_only_the_system_queues_email(customer_actor):
    booking = make_booking()
    from tests.core.support import assert_refused

    assert_refused(lambda: services.email_queue(actor=customer_actor, channel=Channel.PORTAL,
                                                kind=EmailKind.CONFIRMATION, booking_id=booking.pk), "forbidden")


# --- reminders ------------------------------------------------------------------------------------


def test_reminder_scheduled_moved_sent_once_and_withdrawn(settings):
    settings.OUTREACH_REMINDER_HOURS = 24
    start = timezone.now() + timedelta(days=3)
    booking = make_booking(start=start)
    reminder = EmailReminder.objects.get(booking=booking)
    assert reminder.status == ReminderStatus.PENDING and reminder.due_at == start - timedelta(hours=24)

    later = start + timedelta(days=1)
    booking_services.booking_update(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    scheduled_start=later)
    deliver()
    assert list(EmailReminder.objects.filter(booking=booking).values_list("status", "due_at")) == [
        ("pending", later - timedelta(hours=24))]

    mail.outbox = []
    system = Actor.system()
    assert services.reminders_send_due(actor=system, channel=Channel.SYSTEM, now=later - timedelta(hours=25)) == 0
    assert services.reminders_send_due(actor=system, channel=Channel.SYSTEM, now=later - timedelta(hours=23)) == 1
    deliver()
    assert services.reminders_send_due(actor=system, channel=Channel.SYSTEM, now=later - timedelta(hours=22)) == 0
    deliver()
    assert len(mail.outbox) == 1 and "reminder" in mail.outbox[0].subject


def test_cancelling_withdraws_the_pending_reminder_and_nothing_is_sent_later():
    booking = make_booking(start=timezone.now() + timedelta(days=3))
    booking_services.booking_cancel(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    reason="Weather")
    deliver()
    reminder = EmailReminder.objects.get(booking=booking)
    assert (reminder.status, reminder.withdrawn_reason) == ("withdrawn", "cancelled")
    mail.outbox = []
    assert services.reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM,
                                       now=timezone.now() + timedelta(days=2, hours=1)) == 0
    deliver()
    assert mail.outbox == []


def test_the_reminder_command_sends_what_is_due(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.OUTREACH_REMINDER_HOURS = 48
    booking = make_booking(start=timezone.now() + timedelta(hours=47))  # already inside the lead time
    assert not EmailReminder.objects.filter(booking=booking).exists()  # nothing pending: its moment has passed
    later = make_booking(start=timezone.now() + timedelta(days=5))
    EmailReminder.objects.filter(booking=later).update(due_at=timezone.now() - timedelta(minutes=1))
    mail.outbox = []
    out = StringIO()
    call_command("outreach_send_reminders", stdout=out)
    deliver()
    assert "reminders: 1" in out.getvalue()
    assert [m.to for m in mail.outbox] == [[later.customer.email]]
    assert EmailReminder.objects.get(booking=later).status == ReminderStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_key_outside_any_transaction_is_refused_and_keeps_one_row():
    # after commit the subscribers run in autocommit: the insert is its own transaction there
    booking = make_booking()
    first = services.email_queue(actor=Actor.system(), channel=Channel.SYSTEM, kind=EmailKind.CANCELLATION,
                                 booking_id=booking.pk, dedupe_key="replayed:1")
    again = services.email_queue(actor=Actor.system(), channel=Channel.SYSTEM, kind=EmailKind.CANCELLATION,
                                 booking_id=booking.pk, dedupe_key="replayed:1")
    assert first is not None and again is None
    assert EmailMessage.objects.filter(dedupe_key="replayed:1").count() == 1
    assert Booking.objects.filter(pk=booking.pk).exists()  # the connection is usable after the refused insert
