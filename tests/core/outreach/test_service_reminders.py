"""Reminders to book a service again (decision 0625): a completion schedules one per customer and
service with the setting, the periodic job's task sends the due ones once by one channel (the
customer's order: preference, last used, SMS), or skips them with the reason; the link opens the
appointment request form with the service chosen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings import zones
from core.crm import services as crm_services
from core.errors import DomainError, ValidationFailed
from core.outreach import services
from core.outreach.models import BookingRequest, EmailMessage, ServiceReminder
from core.outreach.tasks import send_due_service_reminders
from core.sms import services as sms_services
from core.sms.models import SmsMessage
from core.sms.text import is_gsm7, segments
from tests import factories

from .support import db_state, deliver, run_job_at, set_company

pytestmark = pytest.mark.django_db

G = Channel.GRAPHQL


@pytest.fixture
def staff():
    return factories.staff_actor()


@pytest.fixture
def termite(db):
    return factories.service(name="Termite inspection", rebook_reminder_days=180)


def complete(staff, booking) -> None:
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=staff, channel=G, booking_id=booking.pk)


def done_booking(staff, termite, cust=None, *, days_ago: int = 1):
    booking = factories.booking(cust=cust, svc=termite, start=timezone.now() - timedelta(days=days_ago, hours=3))
    complete(staff, booking)
    deliver()
    return booking


def quiet() -> None:
    """Deliver what the setting up sent (confirmations, cancellations) and forget it."""
    deliver()
    mail.outbox = []


def test_a_completion_schedules_one_reminder_per_service_with_the_setting(staff, termite):
    plain = factories.service(name="Window cleaning")  # no setting: no reminder
    booking = factories.booking(svc=termite)
    booking_services.booking_update(actor=staff, channel=G, booking_id=booking.pk, lines=[
        booking_services.LineInput(service_id=termite.pk), booking_services.LineInput(service_id=plain.pk),
        booking_services.LineInput(service_id=termite.pk)])
    assert not ServiceReminder.objects.exists()  # not before it is completed
    complete(staff, booking)
    booking.refresh_from_db()
    [reminder] = ServiceReminder.objects.all()
    assert (reminder.customer_id, reminder.service_id, reminder.booking_id, reminder.status) == (
        booking.customer_id, termite.pk, booking.pk, "pending")
    assert reminder.completed_at == booking.completed_at
    assert reminder.due_at == booking.completed_at + timedelta(days=180)


def test_a_cancelled_booking_schedules_nothing(staff, termite):
    booking = factories.booking(svc=termite)
    booking_services.booking_cancel(actor=staff, channel=G, booking_id=booking.pk, reason="moved away")
    assert not ServiceReminder.objects.exists()


def test_a_newer_completion_replaces_the_pending_reminder(staff, termite):
    first = done_booking(staff, termite, days_ago=3)
    second = done_booking(staff, termite, first.customer, days_ago=1)
    other_customer = done_booking(staff, termite)
    rows = {row.booking_id: (row.status, row.reason) for row in ServiceReminder.objects.all()}
    assert rows == {first.pk: ("withdrawn", "replaced"), second.pk: ("pending", ""),
                    other_customer.pk: ("pending", "")}
    # the same completion heard again changes nothing
    assert services.service_reminders_schedule(actor=Actor.system(), channel=Channel.SYSTEM,
                                               booking_id=second.pk) == []
    assert ServiceReminder.objects.filter(status="pending").count() == 2


def emailer():
    """A customer with a mobile who asked for e-mail (decision 0615)."""
    return factories.customer(preferred_channel="email")


def test_the_job_sends_a_due_reminder_once_with_the_service_the_date_and_a_link(staff, termite, monkeypatch):
    set_company(name="Bug Busters", time_zone="Australia/Sydney")
    booking = done_booking(staff, termite, emailer())
    reminder = ServiceReminder.objects.get()
    quiet()
    assert run_job_at(monkeypatch, reminder.due_at - timedelta(minutes=1)) == 0  # not due yet
    assert mail.outbox == []
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=3)) == 1
    [sent] = mail.outbox
    done = reminder.completed_at.astimezone(zones.zone_of(booking))
    assert sent.to == [booking.customer.email]
    assert sent.subject == "Bug Busters: time to book your Termite inspection again"
    assert "Termite inspection" in sent.body and f"{done:%A} {done.day} {done:%B %Y}" in sent.body
    assert "https://fieldops.example/again/" in sent.body
    html = sent.alternatives[0][0]
    assert "Bug Busters" in html and "Book it again" in html
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel, reminder.sms) == ("sent", "email", None)
    assert reminder.email.status == "sent" and not SmsMessage.objects.filter(kind="book_again").exists()
    assert reminder.email.kind == "service_reminder" and reminder.email.customer_id == booking.customer_id
    # the next periods find nothing more to send
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=8)) == 0
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(days=30)) == 0
    assert len(mail.outbox) == 1 and EmailMessage.objects.filter(kind="service_reminder").count() == 1


def test_a_reminder_whose_email_was_logged_already_gets_no_second_one(staff, termite, monkeypatch):
    """Another worker logged its e-mail (the unique ``dedupe_key``) and this run still read the
    reminder pending: the run takes that e-mail as the reminder's and logs no second one."""
    booking = done_booking(staff, termite, emailer())
    reminder = ServiceReminder.objects.get()
    first = services.email_queue(actor=Actor.system(), channel=Channel.SYSTEM, kind="service_reminder",
                                 customer_id=booking.customer_id, dedupe_key=f"service_reminder:{reminder.pk}",
                                 enqueue=False)
    quiet()
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=1)) == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.email_id) == ("sent", first.pk)
    assert EmailMessage.objects.filter(kind="service_reminder").count() == 1 and mail.outbox == []


def test_a_customer_who_booked_again_is_skipped_without_an_email(staff, termite, monkeypatch):
    done = done_booking(staff, termite)
    factories.booking(cust=done.customer, svc=termite, start=timezone.now() + timedelta(days=150))
    reminder = ServiceReminder.objects.get()
    quiet()
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=1)) == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason, reminder.email) == ("skipped", "rebooked", None)
    assert mail.outbox == [] and not EmailMessage.objects.filter(kind="service_reminder").exists()


def test_a_cancelled_later_booking_is_no_rebooking(staff, termite, monkeypatch):
    done = done_booking(staff, termite, emailer())
    later = factories.booking(cust=done.customer, svc=termite, start=timezone.now() + timedelta(days=150))
    booking_services.booking_cancel(actor=staff, channel=G, booking_id=later.pk, reason="changed mind")
    reminder = ServiceReminder.objects.get()
    quiet()
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=1)) == 1
    assert ServiceReminder.objects.get().status == "sent" and len(mail.outbox) == 1


def test_paused_email_without_a_mobile_or_no_contact_at_all_skips_it_with_the_reason(staff, termite, monkeypatch,
                                                                                       twilio_sms):
    paused = done_booking(staff, termite, factories.customer(mobile="", preferred_channel="email"))
    crm_services.customer_set_automation(actor=staff, channel=G, customer_id=paused.customer_id, email_paused=True)
    silent = done_booking(staff, termite, factories.customer(email="", mobile=""))
    quiet()
    twilio_sms.clear()
    due = max(ServiceReminder.objects.values_list("due_at", flat=True))
    assert run_job_at(monkeypatch, due + timedelta(minutes=1)) == 0
    reasons = {row.customer_id: (row.status, row.reason, row.channel) for row in ServiceReminder.objects.all()}
    assert reasons == {paused.customer_id: ("skipped", "paused_for_customer", ""),
                       silent.customer_id: ("skipped", "no_contact", "")}
    assert mail.outbox == [] and twilio_sms == []
    assert not EmailMessage.objects.filter(kind="service_reminder").exists()
    assert not SmsMessage.objects.filter(kind="book_again").exists()


# --- by SMS when the customer's order puts SMS first (decisions 0615, 0625) ----------------------


def _due_run(monkeypatch, sms_outbox) -> ServiceReminder:
    """Forget what the setting up sent, then run the job once the reminder is due."""
    reminder = ServiceReminder.objects.get()
    quiet()
    sms_outbox.clear()
    run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=1))
    reminder.refresh_from_db()
    return reminder


def test_an_sms_preferring_customer_gets_one_text_with_the_service_and_the_link_and_no_email(
        staff, termite, monkeypatch, twilio_sms):
    set_company(name="Bug Busters", time_zone="Australia/Sydney")
    customer = factories.customer(preferred_channel="sms")
    booking = done_booking(staff, termite, customer)
    reminder = _due_run(monkeypatch, twilio_sms)
    [text] = twilio_sms
    done = reminder.completed_at.astimezone(zones.zone_of(booking))
    assert text.to == customer.mobile
    assert text.body.startswith("Bug Busters: your Termite inspection is due again")
    assert f"{done.day} {done:%b %Y}" in text.body and "STOP to opt out" in text.body
    assert is_gsm7(text.body) and segments(text.body) <= 2
    assert mail.outbox == [] and not EmailMessage.objects.filter(kind="service_reminder").exists()
    assert (reminder.status, reminder.channel, reminder.email) == ("sent", "sms", None)
    assert (reminder.sms.kind, reminder.sms.status, reminder.sms.customer_id, reminder.sms.booking_id) == (
        "book_again", "queued", customer.pk, None)  # the locmem backend accepts it queued, as Twilio does
    assert reminder.sms.dedupe_key == f"service_reminder:{reminder.pk}"
    # the next periods send nothing more
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=8)) == 0
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(days=30)) == 0
    assert len(twilio_sms) == 1 and SmsMessage.objects.filter(kind="book_again").count() == 1
    # the text's link is the whole signed link: it opens the request form with the service chosen
    page = Client().get(_book_again_link(text.body))
    assert page.status_code == 200
    assert re.search(rf'<option value="{termite.pk}" selected>Termite inspection</option>', page.content.decode())


def test_a_customer_with_a_mobile_and_no_email_gets_the_text(staff, termite, monkeypatch, twilio_sms):
    customer = factories.customer(email="")
    done_booking(staff, termite, customer)
    reminder = _due_run(monkeypatch, twilio_sms)
    assert [text.to for text in twilio_sms] == [customer.mobile] and "Termite inspection" in twilio_sms[0].body
    assert (reminder.status, reminder.channel, reminder.reason) == ("sent", "sms", "")


def test_a_long_service_name_is_cut_but_the_link_never_is(staff, monkeypatch, twilio_sms):
    name = ("Termite and borer inspection " * 5)[:120]  # as long as a service's name may be
    long_one = factories.service(name=name, rebook_reminder_days=30)
    done_booking(staff, long_one, factories.customer(preferred_channel="sms"))
    _due_run(monkeypatch, twilio_sms)
    [text] = twilio_sms
    assert segments(text.body) <= 2 and text.body.endswith("STOP to opt out.")
    assert name not in text.body and name[:20] in text.body  # the name was cut, not the link
    assert Client().get(_book_again_link(text.body)).status_code == 200


@pytest.mark.parametrize("block", ["opted_out", "paused_for_customer"])
def test_a_customer_who_sent_stop_or_whose_texts_are_paused_and_has_no_email_is_skipped(
        staff, termite, monkeypatch, twilio_sms, block):
    customer = factories.customer(email="", preferred_channel="sms")
    done_booking(staff, termite, customer)
    if block == "opted_out":
        sms_services.sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    else:
        crm_services.customer_set_automation(actor=staff, channel=G, customer_id=customer.pk, sms_paused=True)
    reminder = _due_run(monkeypatch, twilio_sms)
    assert (reminder.status, reminder.reason, reminder.channel, reminder.sms, reminder.email) == (
        "skipped", block, "", None, None)
    assert twilio_sms == [] and mail.outbox == []
    assert not SmsMessage.objects.filter(kind="book_again").exists()
    assert not EmailMessage.objects.filter(kind="service_reminder").exists()


def test_an_sms_preferring_customer_who_sent_stop_gets_the_email(staff, termite, monkeypatch, twilio_sms):
    customer = factories.customer(preferred_channel="sms")
    done_booking(staff, termite, customer)
    sms_services.sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    reminder = _due_run(monkeypatch, twilio_sms)
    assert twilio_sms == [] and [sent.to for sent in mail.outbox] == [[customer.email]]
    assert (reminder.status, reminder.channel, reminder.email.status) == ("sent", "email", "sent")


def test_a_customer_who_last_wrote_by_text_and_states_no_preference_gets_the_text(staff, termite, monkeypatch,
                                                                                  twilio_sms):
    customer = factories.customer()
    done_booking(staff, termite, customer)
    sms_services.sms_inbound_record(actor=Actor.system(), channel=Channel.SMS, sid="SM-in-1",
                                    from_number=customer.mobile, to_number="+61400000000", body="thanks",
                                    customer_id=customer.pk)
    reminder = _due_run(monkeypatch, twilio_sms)
    assert (reminder.channel, len(twilio_sms), mail.outbox) == ("sms", 1, [])


def test_a_stop_between_logging_the_text_and_sending_it_is_honoured(staff, termite, monkeypatch, twilio_sms):
    customer = factories.customer(preferred_channel="sms")
    done_booking(staff, termite, customer)
    reminder = ServiceReminder.objects.get()
    quiet()
    twilio_sms.clear()
    monkeypatch.setattr(timezone, "now", lambda: reminder.due_at + timedelta(minutes=1))
    assert send_due_service_reminders.call() == 1  # logged, its delivery task not run yet
    monkeypatch.undo()
    sms_services.sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    deliver()
    assert twilio_sms == []
    text = SmsMessage.objects.get(kind="book_again")
    assert (text.status, text.error_message, text.sid) == ("skipped", "opted_out", None)


def test_a_text_of_an_unknown_kind_is_refused_and_nothing_is_logged(staff, termite):
    customer = factories.customer()
    before = db_state()
    with pytest.raises(ValidationFailed) as refused:
        sms_services.sms_queue(actor=Actor.system(), channel=Channel.SYSTEM, to=customer.mobile, body="Hi",
                               kind="manual", customer_id=customer.pk, dedupe_key="service_reminder:1")
    assert refused.value.field == "kind"
    with pytest.raises(ValidationFailed) as refused:
        sms_services.sms_queue(actor=Actor.system(), channel=Channel.SYSTEM, to=customer.mobile, body="  ",
                               kind="book_again", customer_id=customer.pk, dedupe_key="service_reminder:1")
    assert refused.value.code == "required"
    assert db_state() == before


def test_a_reminder_whose_text_was_logged_already_gets_no_second_one(staff, termite, monkeypatch, twilio_sms):
    """Another worker logged its text (the unique ``dedupe_key``) and this run still read the
    reminder pending: the run takes that text as the reminder's and logs no second one."""
    customer = factories.customer(preferred_channel="sms")
    done_booking(staff, termite, customer)
    reminder = ServiceReminder.objects.get()
    first = sms_services.sms_queue(actor=Actor.system(), channel=Channel.SYSTEM, to=customer.mobile, body="Hello",
                                   kind="book_again", customer_id=customer.pk,
                                   dedupe_key=f"service_reminder:{reminder.pk}")
    assert sms_services.sms_queue(actor=Actor.system(), channel=Channel.SYSTEM, to=customer.mobile, body="Again",
                                  kind="book_again", customer_id=customer.pk,
                                  dedupe_key=f"service_reminder:{reminder.pk}") is None
    deliver()
    assert [text.body for text in twilio_sms] == ["Hello"]  # the first one's delivery task sent it
    reminder = _due_run(monkeypatch, twilio_sms)
    assert (reminder.status, reminder.channel, reminder.sms_id) == ("sent", "sms", first.pk)
    assert SmsMessage.objects.filter(kind="book_again").count() == 1 and twilio_sms == []


def test_staff_withdraw_a_pending_reminder_and_it_is_never_sent(staff, termite, monkeypatch):
    done_booking(staff, termite)
    reminder = ServiceReminder.objects.get()
    withdrawn = services.service_reminder_withdraw(actor=staff, channel=G, reminder_id=reminder.pk)
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "by_staff")
    before = db_state()
    with pytest.raises(DomainError) as refused:
        services.service_reminder_withdraw(actor=staff, channel=G, reminder_id=reminder.pk)
    assert refused.value.code == "not_pending"
    assert db_state() == before
    quiet()
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=1)) == 0
    assert mail.outbox == []


def _book_again_link(body: str) -> str:
    [url] = re.findall(r"https://fieldops\.example(/again/[^/\s]+/)", body)
    return url


def test_the_link_opens_the_request_form_with_the_service_and_files_the_request(staff, termite, monkeypatch):
    booking = done_booking(staff, termite, emailer())
    reminder = ServiceReminder.objects.get()
    quiet()
    run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=1))
    url = _book_again_link(mail.outbox[0].body)
    page = Client().get(url)
    assert page.status_code == 200
    assert re.search(rf'<option value="{termite.pk}" selected>Termite inspection</option>', page.content.decode())
    wanted = timezone.localdate() + timedelta(days=10)
    answer = Client().post(url, {"service": termite.pk, "preferred_date": wanted.isoformat(), "notes": "Same as last"})
    assert answer.status_code == 200
    made = BookingRequest.objects.get()
    assert (made.customer_id, made.service_id, made.follows_booking_id, made.channel, made.preferred_date) == (
        booking.customer_id, termite.pk, booking.pk, "email_link", wanted)


def test_a_forged_or_foreign_link_shows_why_and_files_nothing(staff, termite):
    done_booking(staff, termite)
    before = db_state()
    assert Client().get("/again/not-a-token/").status_code == 400
    # a booking link's token is signed for another purpose
    from core.outreach import links

    booking_token = links.booking_token(ServiceReminder.objects.get().booking)
    assert Client().post(f"/again/{booking_token}/", {"preferred_date": "2031-01-01"}).status_code == 400
    assert db_state() == before
