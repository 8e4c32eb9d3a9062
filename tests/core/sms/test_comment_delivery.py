"""The booking discussion reaches the customer: which channel, what is sent, at most once, the
status of every delivery (kept in step with the signed Twilio status webhook), and what never
leaves (internal notes, the customer's own messages)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingEvent
from core.crm.models import Customer
from core.errors import DomainError
from core.outreach import links
from core.outreach.models import EmailKind, EmailMessage
from core.sms import backends
from core.sms import services as sms_services
from core.sms.models import CommentDelivery, SmsKind, SmsMessage, SmsOptOut, SmsStatus
from core.sms.tasks import deliver_comment
from tests import factories
from tests.conversations.sms.conftest import STATUS_PATH, post_signed
from tests.core.outreach.support import db_state, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    mail.outbox = []


def quiet_booking(**customer_fields):
    """A booking whose confirmations went out already: the outboxes start empty."""
    booking = factories.booking(cust=factories.customer(**customer_fields))
    deliver()
    backends.outbox.clear()
    mail.outbox = []
    return booking


def say(booking, body: str, *, actor: Actor | None = None, visible: bool | None = True, channel=Channel.GRAPHQL):
    comment = booking_services.comment_add(actor=actor or factories.staff_actor(), channel=channel,
                                           booking_id=booking.pk, body=body, visible_to_customer=visible)
    deliver()  # the commit: CommentAdded, then the delivery task
    return comment


def deliveries(comment) -> list[tuple[str, str]]:
    return [(d.channel, d.status) for d in CommentDelivery.objects.filter(comment=comment).order_by("pk")]


def thread_links(booking, text: str) -> list[str]:
    found = re.findall(r"https://fieldops\.example/b/([^/\s\"<]+)/#discussion", text)
    return [token for token in found if links.read_booking_token(token) == booking]


# --- what goes out, and how ---------------------------------------------------------------------------


def test_a_customer_visible_staff_comment_is_texted_to_the_customer_and_the_reply_answers_for_the_booking(
        published):
    booking = quiet_booking()
    staff = factories.staff_actor()
    comment = say(booking, "We will arrive at 9, please leave the gate open.", actor=staff)

    assert len(backends.outbox) == 1
    text = backends.outbox[0]
    assert text.to == booking.customer.mobile
    assert "We will arrive at 9, please leave the gate open." in text.body
    assert f"booking #{booking.number}" in text.body and staff.user.display_name in text.body
    assert mail.outbox == []
    delivery = CommentDelivery.objects.get(comment=comment)
    assert (delivery.channel, delivery.status, delivery.to) == ("sms", "queued", booking.customer.mobile)
    assert delivery.sms_message.kind == SmsKind.COMMENT and delivery.sms_message.sid == text.sid
    # the customer's answer to this text is read as being about this booking
    assert delivery.sms_message.booking_id == booking.pk
    from core.sms.models import SmsPrompt

    assert SmsPrompt.objects.filter(booking=booking, message=delivery.sms_message, closed_at__isnull=True).exists()
    # the timeline row and the live event of the delivery
    row = BookingEvent.objects.get(booking=booking, action="comment_delivery")
    assert row.data == {"comment_id": comment.pk, "delivery_id": delivery.pk, "via": "sms", "status": "queued"}
    changed = published.of(events.CommentDeliveryChanged)
    assert [(e.event_id, e.comment_id, e.via, e.status) for e in changed] == [(row.pk, comment.pk, "sms", "queued")]


def test_a_fieldworkers_customer_visible_reply_reaches_the_customer_too():
    booking = quiet_booking()
    worker = factories.fieldworker()
    booking_services.booking_assign(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)
    deliver()
    backends.outbox.clear()
    comment = say(booking, "On my way, 10 minutes.", actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM)
    assert [entry.body for entry in backends.outbox if "On my way, 10 minutes." in entry.body]
    assert deliveries(comment) == [("sms", "queued")]


def test_internal_notes_and_the_customers_own_messages_never_leave():
    booking = quiet_booking()
    customer = booking.customer
    before = {"sms": SmsMessage.objects.count(), "email": EmailMessage.objects.count()}
    note = say(booking, "internal: the customer was rude", visible=False)
    default = say(booking, "internal by default", visible=None)
    own = say(booking, "Is 10 ok instead?", actor=Actor.for_customer(customer), channel=Channel.PORTAL)
    texted = say(booking, "Gate code 4411", actor=Actor.for_customer(customer), channel=Channel.SMS)
    assert backends.outbox == [] and mail.outbox == []
    assert not CommentDelivery.objects.filter(comment__in=[note, default, own, texted]).exists()
    assert {"sms": SmsMessage.objects.count(), "email": EmailMessage.objects.count()} == before
    # even a task run for them by hand sends nothing
    for comment in (note, default, own, texted):
        assert deliver_comment.call(comment.pk) == []
    assert backends.outbox == [] and mail.outbox == []


def test_an_opted_out_customer_gets_the_message_by_e_mail_with_a_signed_link_to_the_thread():
    booking = quiet_booking()
    SmsOptOut.objects.create(number=booking.customer.mobile, source="keyword")
    comment = say(booking, "Your quote is attached to the booking.")

    assert backends.outbox == []
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [booking.customer.email]
    assert f"booking #{booking.number}" in sent.subject
    assert "Your quote is attached to the booking." in sent.body
    assert len(thread_links(booking, sent.body)) == 1
    html = sent.alternatives[0][0]
    assert "Your quote is attached to the booking." in html and len(thread_links(booking, html)) == 1
    delivery = CommentDelivery.objects.get(comment=comment)
    assert (delivery.channel, delivery.status, delivery.error) == ("email", "sent", "")
    assert delivery.email_message.kind == EmailKind.COMMENT and delivery.email_message.status == "sent"


@pytest.mark.parametrize("case, expected", [
    ("sms_paused_for_customer", [("email", "sent")]),
    ("sms_paused_for_booking", [("email", "sent")]),
    ("no_mobile", [("email", "sent")]),
    ("everything_paused", [("sms", "not_sent_paused")]),
    ("opted_out_and_no_email", [("sms", "not_sent_opted_out")]),
    ("opted_out_and_email_paused", [("sms", "not_sent_opted_out")]),
    ("no_mobile_and_no_email", [("sms", "not_sent_no_contact")]),
    ("no_mobile_and_email_paused", [("email", "not_sent_paused")]),
])
def test_the_channel_follows_mobile_opt_out_and_pause_switches(case, expected):
    fields = {"no_mobile": {"mobile": ""}, "no_mobile_and_no_email": {"mobile": "", "email": ""},
              "opted_out_and_no_email": {"email": ""}, "no_mobile_and_email_paused": {"mobile": ""}}
    booking = quiet_booking(**fields.get(case, {}))
    customer = booking.customer
    if case == "sms_paused_for_customer":
        Customer.objects.filter(pk=customer.pk).update(automated_sms_paused=True)
    if case == "sms_paused_for_booking":
        booking_services.booking_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                                booking_id=booking.pk, sms_paused=True)
    if case == "everything_paused":
        booking_services.booking_set_automation(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                                booking_id=booking.pk, sms_paused=True, email_paused=True)
    if case.startswith("opted_out"):
        SmsOptOut.objects.create(number=customer.mobile, source="keyword")
    if case.endswith("email_paused"):
        Customer.objects.filter(pk=customer.pk).update(automated_email_paused=True)

    comment = say(booking, "A word about your booking.")

    assert deliveries(comment) == expected
    _channel, status = expected[0]
    assert len(backends.outbox) == 0
    assert len(mail.outbox) == (1 if status == "sent" else 0)
    if status != "sent":
        assert CommentDelivery.objects.get(comment=comment).error  # says why, per channel


def test_the_channel_the_customer_last_wrote_through_comes_first():
    from tests.conversations.sms.conftest import OUR_NUMBER

    booking = quiet_booking()
    customer = booking.customer
    say(booking, "Can we come at 10?", actor=Actor.for_customer(customer), channel=Channel.PORTAL)
    by_mail = say(booking, "Yes, 10 is fine.")
    assert deliveries(by_mail) == [("email", "sent")] and backends.outbox == []

    inbound = sms_services.sms_inbound_record(actor=Actor.system(), channel=Channel.SMS, sid="SMlast" + "0" * 28,
                                              from_number=customer.mobile, to_number=OUR_NUMBER, body="thanks",
                                              customer_id=customer.pk)
    assert inbound.created
    by_text = say(booking, "See you then.")
    assert deliveries(by_text) == [("sms", "queued")] and len(backends.outbox) == 1


def _prefers(customer: Customer, channel: str) -> None:
    from core.crm import services as crm_services

    crm_services.customer_update(actor=factories.staff_actor(), channel=Channel.GRAPHQL, customer_id=customer.pk,
                                 preferred_channel=channel)


def _texted(customer: Customer, sid: str) -> None:
    from tests.conversations.sms.conftest import OUR_NUMBER

    assert sms_services.sms_inbound_record(actor=Actor.system(), channel=Channel.SMS, sid=sid.ljust(34, "0"),
                                           from_number=customer.mobile, to_number=OUR_NUMBER, body="thanks",
                                           customer_id=customer.pk).created


def test_a_stated_preference_comes_before_the_channel_the_customer_last_wrote_through():
    from core.sms.selectors import comment_delivery_plan

    booking = quiet_booking()
    customer = booking.customer
    _texted(customer, "SMpref")
    _prefers(customer, "email")
    customer.refresh_from_db()
    assert comment_delivery_plan(booking, customer).channels == ("email", "sms")  # the text is the fallback
    by_mail = say(booking, "Your quote is ready.")
    assert deliveries(by_mail) == [("email", "sent")] and backends.outbox == []
    assert [m.to for m in mail.outbox] == [[customer.email]]

    # and the other way round: the customer wrote in the portal, but asked for texts
    say(booking, "Thanks!", actor=Actor.for_customer(customer), channel=Channel.PORTAL)
    _prefers(customer, "sms")
    by_text = say(booking, "See you then.")
    assert deliveries(by_text) == [("sms", "queued")] and len(backends.outbox) == 1


@pytest.mark.parametrize("case", ["no_address", "email_paused"])
def test_an_e_mail_preference_that_cannot_be_used_falls_back_to_sms(case):
    booking = quiet_booking(**({"email": ""} if case == "no_address" else {}))
    customer = booking.customer
    _texted(customer, "SMfall")
    _prefers(customer, "email")
    if case == "email_paused":
        Customer.objects.filter(pk=customer.pk).update(automated_email_paused=True)
    comment = say(booking, "We will arrive at 9.")
    assert deliveries(comment) == [("sms", "queued")]
    assert [text.to for text in backends.outbox] == [customer.mobile] and mail.outbox == []


def test_an_sms_preference_of_an_opted_out_number_falls_back_to_e_mail():
    booking = quiet_booking()
    _prefers(booking.customer, "sms")
    SmsOptOut.objects.create(number=booking.customer.mobile, source="keyword")
    comment = say(booking, "We will arrive at 9.")
    assert deliveries(comment) == [("email", "sent")] and backends.outbox == []


def test_a_long_message_is_cut_to_two_segments_with_the_link_to_the_whole_thread():
    booking = quiet_booking()
    body = "Please note: " + "the side gate sticks, lift it before pushing. " * 12
    say(booking, body)
    text = backends.outbox[0].body
    from core.sms.text import segments

    assert segments(text) <= 2
    assert f"booking #{booking.number}" in text and "Please note: the side gate sticks" in text
    token = re.search(r"https://fieldops\.example/b/([^/\s]+)/#discussion$", text)
    assert token and links.read_booking_token(token.group(1)) == booking


# --- at most once -------------------------------------------------------------------------------------


def test_a_retried_delivery_task_sends_once():
    booking = quiet_booking()
    comment = say(booking, "We will arrive at 9.")
    assert len(backends.outbox) == 1
    history = BookingEvent.objects.filter(action="comment_delivery").count()
    for _ in range(2):
        assert deliver_comment.call(comment.pk) == ["queued"]
    deliver()
    assert len(backends.outbox) == 1
    assert CommentDelivery.objects.filter(comment=comment).count() == 1
    assert BookingEvent.objects.filter(action="comment_delivery").count() == history


def test_a_retried_e_mail_delivery_sends_once():
    booking = quiet_booking(mobile="")
    comment = say(booking, "We will arrive at 9.")
    assert len(mail.outbox) == 1
    assert deliver_comment.call(comment.pk) == ["sent"]
    assert len(mail.outbox) == 1
    assert EmailMessage.objects.filter(kind=EmailKind.COMMENT).count() == 1


def test_a_text_refused_at_once_falls_back_to_e_mail_once():
    booking = quiet_booking()
    backends.blocked.add(booking.customer.mobile)  # the carrier says 21610: opted out
    comment = say(booking, "We will arrive at 9.")
    assert deliveries(comment) == [("sms", "failed"), ("email", "sent")]
    failed = CommentDelivery.objects.get(comment=comment, channel="sms")
    assert failed.error.startswith("21610")
    assert len(mail.outbox) == 1
    assert deliver_comment.call(comment.pk) == ["failed", "sent"]
    assert len(mail.outbox) == 1 and backends.outbox == []
    # the next message knows the number opted out: e-mail straight away
    later = say(booking, "Running late.")
    assert deliveries(later) == [("email", "sent")]


def test_only_the_system_delivers():
    booking = quiet_booking()
    comment = booking_services.comment_add(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                           booking_id=booking.pk, body="Hello", visible_to_customer=True)
    staff = factories.staff_actor()
    before = db_state()
    with pytest.raises(DomainError) as caught:
        sms_services.comment_deliver(actor=staff, channel=Channel.GRAPHQL, comment_id=comment.pk)
    assert caught.value.code == "forbidden"
    assert db_state() == before and backends.outbox == [] and mail.outbox == []


# --- the status, kept in step with Twilio's reports -----------------------------------------------------


def report(client, message: SmsMessage, status: str, **extra):
    params = {"MessageSid": message.sid, "MessageStatus": status, "SmsSid": message.sid, "SmsStatus": status,
              "AccountSid": "AC" + "1" * 32, "From": message.from_number, "To": message.to_number,
              "ApiVersion": "2010-04-01", **extra}
    return post_signed(client, f"{STATUS_PATH}?m={message.pk}", params)


def test_the_signed_status_webhook_moves_the_delivery_to_sent_and_delivered(client, published):
    booking = quiet_booking()
    comment = say(booking, "We will arrive at 9.")
    delivery = CommentDelivery.objects.get(comment=comment)
    published.clear()

    for status in ("sending", "sent", "delivered"):
        assert report(client, delivery.sms_message, status).status_code == 204
    deliver()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.sms_message.status == SmsStatus.DELIVERED
    changed = published.of(events.CommentDeliveryChanged)
    assert [(e.status, e.channel) for e in changed] == [("sent", "sms"), ("delivered", "sms")]
    rows = list(BookingEvent.objects.filter(booking=booking, action="comment_delivery").order_by("pk"))
    assert [(r.data["status"], r.channel) for r in rows] == [("queued", "system"), ("sent", "sms"), ("delivered", "sms")]

    # late and repeated reports change nothing and announce nothing
    published.clear()
    before = db_state()
    for status in ("sent", "delivered"):
        assert report(client, delivery.sms_message, status).status_code == 204
    assert published.names == [] and db_state() == before


def test_an_undelivered_report_fails_the_delivery_and_the_customer_gets_an_e_mail_once(client):
    booking = quiet_booking()
    comment = say(booking, "We will arrive at 9.")
    delivery = CommentDelivery.objects.get(comment=comment)

    assert report(client, delivery.sms_message, "undelivered", ErrorCode="30003",
                  ErrorMessage="Unreachable destination handset").status_code == 204
    deliver()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("failed", "30003: Unreachable destination handset")
    assert deliveries(comment) == [("sms", "failed"), ("email", "sent")]
    assert len(mail.outbox) == 1 and "We will arrive at 9." in mail.outbox[0].body

    assert report(client, delivery.sms_message, "failed", ErrorCode="30003").status_code == 204
    deliver()
    assert len(mail.outbox) == 1 and len(deliveries(comment)) == 2


def test_a_forged_status_report_changes_no_delivery(client):
    booking = quiet_booking()
    comment = say(booking, "We will arrive at 9.")
    delivery = CommentDelivery.objects.get(comment=comment)
    before = db_state()
    params = {"MessageSid": delivery.sms_message.sid, "MessageStatus": "delivered"}
    assert post_signed(client, STATUS_PATH, params, signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=").status_code == 403
    deliver()
    assert db_state() == before
