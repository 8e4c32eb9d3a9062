"""What the customer is sent about a series (one confirmation, one cancellation notice, reminders per
occurrence), about a booking recorded after the fact (nothing), and which reply words and links the
texts offer (only what the customer may do). Decisions 0621-0623."""

from __future__ import annotations

import zoneinfo
from datetime import date, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import series as series_services
from core.bookings import services as booking_services
from core.bookings.models import Booking, BookingSeries
from core.bookings.services import LineInput
from core.company.services import company_update
from core.outreach.models import EmailKind, EmailMessage, EmailReminder, FieldworkerNotification, ReminderStatus
from core.sms import backends as sms_backends
from core.sms.models import SmsKind, SmsMessage, SmsStatus
from core.sms.tasks import send_booking_sms
from core.workforce import services as workforce_services
from tests import factories

from .support import cancel_links_to, deliver, set_company, view_links_to

pytestmark = pytest.mark.django_db
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.TWILIO_FROM_NUMBER = "+61400999999"
    sms_backends.outbox.clear()
    yield
    sms_backends.outbox.clear()


@pytest.fixture
def staff(db):
    actor = factories.staff_actor()
    company_update(actor=actor, channel=Channel.GRAPHQL, time_zone="Australia/Sydney", name="Harbour Lawns")
    return actor


def next_monday(days: int = 2) -> date:
    day = timezone.now().astimezone(SYDNEY).date() + timedelta(days=days)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def weekly(staff, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=13", *, start=None, fieldworker_ids=()):
    customer = factories.customer(name="Kim Lee")
    prop = factories.property_for(customer)
    result = series_services.series_create(
        actor=staff, channel=Channel.GRAPHQL, customer_id=customer.pk, property_id=prop.pk, rule=rule,
        start_date=start or next_monday(), start_time=time(14), duration_minutes=90,
        lines=[LineInput(service_id=factories.service(name="Mow").pk)], fieldworker_ids=list(fieldworker_ids))
    deliver()
    return result


def sms_of(kind: str) -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(kind=kind).exclude(status=SmsStatus.SKIPPED))


# --- a series is confirmed once ------------------------------------------------------------------------


def test_a_weekly_series_sends_one_email_and_one_sms_listing_its_dates_and_a_reminder_per_visit(staff, published):
    workforce_services.scheduling_settings_update(actor=staff, channel=Channel.GRAPHQL, series_horizon_days=120)
    result = weekly(staff)
    created = result.created
    assert len(created) == 13
    assert published.names.count("BookingCreated") == 13
    [booked] = published.of(events.SeriesBooked)
    assert (booked.booking_id, booked.series_id) == (created[0].pk, result.series.pk)
    assert booked.booking_ids == tuple(b.pk for b in created)

    [email] = mail.outbox
    assert "recurring" in email.subject and "13 dates" in email.subject
    for booking in created:
        assert f"#{booking.number}" in email.body and view_links_to(booking, email.body)
        assert cancel_links_to(booking, email.body)  # each date can be cancelled on its own
    assert "More dates follow" not in email.body  # COUNT=13: every date is listed
    assert not EmailMessage.objects.filter(kind=EmailKind.CONFIRMATION).exists()
    assert list(EmailMessage.objects.values_list("kind", "booking_id", "status")) == [
        (EmailKind.SERIES_CONFIRMATION, created[0].pk, "sent")]

    [text] = sms_backends.outbox
    assert text.to == created[0].customer.mobile
    assert "13 bookings" in text.body and "at 2:00pm" in text.body
    first_day = created[0].scheduled_start.astimezone(SYDNEY)
    assert f"{first_day:%a} {first_day.day} {first_day:%b}" in text.body
    assert [row.kind for row in SmsMessage.objects.all()] == [SmsKind.SERIES_CONFIRMATION]

    # reminders stay per occurrence
    assert EmailReminder.objects.filter(status=ReminderStatus.PENDING).count() == 13


def test_occurrences_added_by_the_periodic_extension_send_no_confirmation_of_their_own(staff):
    workforce_services.scheduling_settings_update(actor=staff, channel=Channel.GRAPHQL, series_horizon_days=21)
    result = weekly(staff, "FREQ=WEEKLY;BYDAY=MO", start=next_monday(1))
    assert 2 <= len(result.created) <= 3
    [email] = mail.outbox
    assert "More dates follow" in email.body  # open ended
    assert len(sms_backends.outbox) == 1 and "More dates follow" in sms_backends.outbox[0].body
    before = Booking.objects.filter(series=result.series).count()

    workforce_services.scheduling_settings_update(actor=staff, channel=Channel.GRAPHQL, series_horizon_days=63)
    call_command("extend_booking_series", stdout=StringIO())
    deliver()
    added = Booking.objects.filter(series=result.series).count() - before
    assert added >= 5
    assert len(mail.outbox) == 1 and len(sms_backends.outbox) == 1  # nothing more was sent
    assert EmailMessage.objects.count() == 1 and SmsMessage.objects.count() == 1
    assert EmailReminder.objects.filter(booking__series=result.series, status=ReminderStatus.PENDING).count() \
        == before + added  # each new occurrence still gets its reminder


def test_a_series_that_starts_beyond_the_horizon_is_confirmed_when_its_first_dates_are_booked(staff):
    workforce_services.scheduling_settings_update(actor=staff, channel=Channel.GRAPHQL, series_horizon_days=14)
    result = weekly(staff, "FREQ=WEEKLY;BYDAY=MO;COUNT=3", start=next_monday(30))
    assert result.created == [] and mail.outbox == [] and sms_backends.outbox == []
    workforce_services.scheduling_settings_update(actor=staff, channel=Channel.GRAPHQL, series_horizon_days=90)
    call_command("extend_booking_series", stdout=StringIO())
    deliver()
    assert [m.subject for m in mail.outbox] == [mail.outbox[0].subject] and "3 dates" in mail.outbox[0].subject
    assert len(sms_backends.outbox) == 1


def test_the_series_confirmation_is_held_back_by_the_pause_flags_like_any_automated_message(staff):
    from core.crm import services as crm_services

    customer = factories.customer()
    crm_services.customer_set_automation(actor=staff, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                         email_paused=True, sms_paused=True)
    series_services.series_create(actor=staff, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                  rule="FREQ=WEEKLY;COUNT=2", start_date=next_monday(), start_time=time(9),
                                  duration_minutes=60)
    deliver()
    assert mail.outbox == [] and sms_backends.outbox == []
    assert EmailMessage.objects.get().skip_reason == "paused_for_customer"
    assert SmsMessage.objects.get().error_message == "paused_for_customer"


# --- a series is cancelled with one notice -------------------------------------------------------------


@pytest.mark.parametrize("scope", ["all", "following"])
def test_cancelling_a_series_sends_one_notice_listing_the_dates(staff, scope, published):
    worker = factories.fieldworker()
    result = weekly(staff, fieldworker_ids=[worker.pk])
    created = result.created
    pivot = created[0] if scope == "all" else created[4]
    mail.outbox, published_before = [], len(published.all())
    sms_backends.outbox.clear()

    cancelled = series_services.series_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=pivot.pk, scope=scope,
                                              reason="Moving away").cancelled
    deliver()
    expected = created if scope == "all" else created[4:]
    assert [b.pk for b in cancelled] == [b.pk for b in expected]
    assert len(published.of(events.BookingCancelled)) == len(expected)  # the boards still see every one
    [notice] = published.of(events.SeriesCancelled)
    assert notice.booking_ids == tuple(b.pk for b in expected) and notice.scope == scope
    assert len(published.all()) > published_before

    [email] = mail.outbox
    assert "cancelled" in email.subject and f"({len(expected)} dates)" in email.subject
    for booking in created:
        assert (f"#{booking.number}" in email.body) == (booking in expected)
    assert not EmailMessage.objects.filter(kind=EmailKind.CANCELLATION).exists()
    assert EmailMessage.objects.filter(kind=EmailKind.SERIES_CANCELLATION).count() == 1

    [text] = sms_backends.outbox
    assert "cancelled" in text.body and "2:00pm" in text.body
    assert not sms_of(SmsKind.CANCELLATION) and len(sms_of(SmsKind.SERIES_CANCELLATION)) == 1

    # every cancelled occurrence's reminder is withdrawn; the fieldworker hears of each job
    assert not EmailReminder.objects.filter(booking__in=expected, status=ReminderStatus.PENDING).exists()
    assert FieldworkerNotification.objects.filter(fieldworker=worker).count() == len(expected)


def test_cancelling_one_occurrence_still_tells_the_customer_about_that_one(staff):
    result = weekly(staff)
    mail.outbox = []
    sms_backends.outbox.clear()
    series_services.series_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=result.created[2].pk, scope="this",
                                  reason="Away that week")
    deliver()
    [email] = mail.outbox
    assert f"booking #{result.created[2].number} is cancelled" in email.subject
    assert [row.kind for row in sms_of(SmsKind.CANCELLATION)] == [SmsKind.CANCELLATION]
    assert BookingSeries.objects.get(pk=result.series.pk).status == "active"
    # and a later single cancellation of another date, outside the cut, is its own notice too
    booking_services.booking_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=result.created[3].pk,
                                    reason="Away")
    deliver()
    assert len(mail.outbox) == 2 and len(sms_of(SmsKind.CANCELLATION)) == 2


# --- a booking recorded after the fact -------------------------------------------------------------------


def test_a_booking_that_is_over_gets_no_confirmation_only_a_logged_reason(staff):
    booking = factories.booking(start=timezone.now() - timedelta(days=10), hours=2, actor=staff)
    deliver()
    assert mail.outbox == [] and sms_backends.outbox == []
    assert list(EmailMessage.objects.values_list("kind", "status", "skip_reason")) == [
        (EmailKind.CONFIRMATION, "skipped", "booking_in_past")]
    assert list(SmsMessage.objects.values_list("kind", "status", "error_message")) == [
        (SmsKind.CONFIRMATION, "skipped", "booking_in_past")]
    assert not EmailReminder.objects.filter(booking=booking, status=ReminderStatus.PENDING).exists()


def test_a_booking_under_way_is_still_confirmed_without_a_cancel_offer(staff):
    factories.booking(start=timezone.now() - timedelta(minutes=30), hours=2, actor=staff)
    deliver()
    assert len(mail.outbox) == 1 and "/cancel" not in mail.outbox[0].body
    [text] = sms_backends.outbox
    assert "CANCEL" not in text.body


# --- the texts offer only what the customer may do --------------------------------------------------------


@pytest.mark.parametrize("may_cancel", [True, False])
def test_confirmation_and_reminder_offer_cancel_only_while_customers_may_cancel(staff, may_cancel):
    set_company(customers_may_cancel=may_cancel)
    booking = factories.booking(start=timezone.now() + timedelta(days=5), actor=staff)
    deliver()
    send_booking_sms.call(SmsKind.REMINDER, booking.pk)
    from core.outreach import services as outreach_services

    outreach_services.reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM,
                                         now=booking.scheduled_start - timedelta(hours=2))
    deliver()
    texts = [entry.body for entry in sms_backends.outbox]
    assert len(texts) == 2 and len(mail.outbox) == 2  # confirmation and reminder, each way
    for text in texts:
        assert (f"CANCEL {booking.number}" in text) is may_cancel, text
        assert "CANCEL" in text if may_cancel else "CANCEL" not in text
        assert "YES to confirm" in text  # the booking is pending: confirming is always open
    for email in mail.outbox:
        assert bool(cancel_links_to(booking, email.body)) is may_cancel
        assert bool(cancel_links_to(booking, email.alternatives[0][0])) is may_cancel


def test_a_confirmed_booking_is_not_asked_to_be_confirmed_again(staff):
    booking = factories.booking(start=timezone.now() + timedelta(days=5), actor=staff)
    booking_services.booking_confirm(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)
    deliver()
    sms_backends.outbox.clear()
    send_booking_sms.call(SmsKind.REMINDER, booking.pk)
    [text] = sms_backends.outbox
    assert "YES" not in text.body and f"CANCEL {booking.number} to cancel" in text.body
