"""The staff inbox services: open, assign, reply, resolve, reopen, link. Each change writes an
inquiry history entry and its event; each refusal has its code and leaves nothing behind."""

from __future__ import annotations

import pytest
from django.core import mail

from core import events
from core.accounts.models import Role
from core.actors import Actor, Channel
from core.bookings.models import BookingEvent
from core.crm import events as inbox_events
from core.crm import services
from core.crm.models import DeliveryStatus, Inquiry, InquiryKind
from core.sms import backends
from core.sms.models import SmsKind, SmsMessage
from core.sms.services import sms_opt_out
from tests import factories
from tests.core.support import assert_refused

STRANGER = "+61499888777"


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture
def stranger_inquiry(db) -> Inquiry:
    return services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="Do you clean gutters?",
                                 contact=STRANGER)


def _sent(published) -> None:
    """Run what waits for the commit (events, the delivery task), then forget what the setup sent."""
    published.clear()
    backends.outbox.clear()
    mail.outbox.clear()


# --- open ---------------------------------------------------------------------------------------


def test_a_cancellation_request_about_two_bookings_is_linked_to_both_and_on_both_timelines(db, published):
    customer = factories.customer()
    first, second = factories.booking(cust=customer), factories.booking(cust=customer)
    _sent(published)
    inquiry = services.inquiry_open(actor=Actor.for_customer(customer), channel=Channel.SMS,
                                    kind=InquiryKind.CANCELLATION_REQUEST, body="CANCEL",
                                    customer_id=customer.pk, booking_ids=[first.pk, second.pk],
                                    contact=customer.mobile)
    assert sorted(inquiry.bookings.values_list("pk", flat=True)) == [first.pk, second.pk]
    for booking in (first, second):
        row = BookingEvent.objects.get(booking=booking, action="cancellation_requested")
        assert (row.channel, row.actor_kind, row.data["inquiry_id"]) == ("sms", "customer", inquiry.pk)
    [entry] = inquiry.entries.all()
    assert (entry.action, entry.actor_kind, entry.body) == ("opened", "customer", "CANCEL")
    [opened] = published.of(inbox_events.InquiryOpened)
    assert (opened.event_id, opened.inquiry_id, opened.kind) == (entry.pk, inquiry.pk, "cancellation_request")
    assert opened.booking_ids == (first.pk, second.pk)
    # each timeline row leaves as a live event too (house rule 11)
    noted = published.of(events.TimelineNoted)
    assert sorted((e.booking_id, e.action) for e in noted) == [
        (first.pk, "cancellation_requested"), (second.pk, "cancellation_requested")]


def test_a_plain_question_concerning_one_booking_leaves_an_inquiry_received_row(db):
    booking = factories.booking()
    inquiry = services.inquiry_open(actor=Actor.for_customer(booking.customer), channel=Channel.SMS,
                                    body="Can you bring a ladder?", customer_id=booking.customer_id,
                                    booking_ids=[booking.pk])
    row = BookingEvent.objects.get(booking=booking, action="inquiry_received")
    assert row.data == {"inquiry_id": inquiry.pk, "kind": "inquiry", "body": "Can you bring a ladder?"}


def test_a_customer_cannot_file_an_inquiry_on_someone_elses_booking(db, published):
    mine, theirs = factories.customer(), factories.booking()
    assert_refused(lambda: services.inquiry_open(
        actor=Actor.for_customer(mine), channel=Channel.PORTAL, body="hi", customer_id=mine.pk,
        booking_ids=[theirs.pk]), "not_found", field="bookingIds", published=published)


def test_a_missing_booking_or_customer_is_not_found(db, published):
    assert_refused(lambda: services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="x",
                                                 booking_ids=[987654]), "not_found", published=published)
    assert_refused(lambda: services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="x",
                                                 customer_id=987654), "not_found", published=published)


# --- assign -------------------------------------------------------------------------------------


def test_staff_assign_and_unassign(stranger_inquiry, staff_actor, published):
    colleague = factories.staff_user()
    _sent(published)
    services.inquiry_assign(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                            assignee_id=colleague.pk)
    services.inquiry_assign(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                            assignee_id=colleague.pk)  # the same again: nothing to record
    services.inquiry_assign(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                            assignee_id=None)
    stranger_inquiry.refresh_from_db()
    assert stranger_inquiry.assignee_id is None
    entries = list(stranger_inquiry.entries.filter(action="assigned").values_list("data", "actor_user_id"))
    assert entries == [({"assignee_id": [None, colleague.pk]}, staff_actor.user_id),
                       ({"assignee_id": [colleague.pk, None]}, staff_actor.user_id)]
    assert [(e.assignee_id, e.previous_assignee_id) for e in published.of(inbox_events.InquiryAssigned)] == [
        (colleague.pk, None), (None, colleague.pk)]


def test_only_a_staff_member_can_be_the_assignee(stranger_inquiry, staff_actor, fieldworker, customer, published):
    for user in (fieldworker.user, customer.user):
        assert_refused(lambda user=user: services.inquiry_assign(
            actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk, assignee_id=user.pk),
            "not_staff", field="assigneeId", published=published)
    assert_refused(lambda: services.inquiry_assign(
        actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk, assignee_id=987654),
        "not_found", field="assigneeId", published=published)


def test_an_admin_can_be_the_assignee(stranger_inquiry, staff_actor):
    admin = factories.staff_user(role=Role.ADMIN)
    inquiry = services.inquiry_assign(actor=staff_actor, channel=Channel.ADMIN, inquiry_id=stranger_inquiry.pk,
                                      assignee_id=admin.pk)
    assert inquiry.assignee_id == admin.pk


@pytest.mark.parametrize("who", ["customer", "fieldworker", "system", "anonymous"])
def test_nobody_but_staff_may_touch_an_inquiry_and_it_looks_missing(stranger_inquiry, who, customer, fieldworker,
                                                                     staff, published):
    actor = {"customer": Actor.from_user(customer.user), "fieldworker": Actor.from_user(fieldworker.user),
             "system": Actor.system(), "anonymous": Actor.anonymous()}[who]
    calls = {
        "assign": lambda pk: services.inquiry_assign(actor=actor, channel=Channel.GRAPHQL, inquiry_id=pk,
                                                     assignee_id=staff.pk),
        "reply": lambda pk: services.inquiry_reply(actor=actor, channel=Channel.GRAPHQL, inquiry_id=pk, body="hi"),
        "resolve": lambda pk: services.inquiry_resolve(actor=actor, channel=Channel.GRAPHQL, inquiry_id=pk),
        "reopen": lambda pk: services.inquiry_reopen(actor=actor, channel=Channel.GRAPHQL, inquiry_id=pk),
        "link": lambda pk: services.inquiry_link(actor=actor, channel=Channel.GRAPHQL, inquiry_id=pk,
                                                 customer_id=customer.pk),
    }
    for name, call in calls.items():
        denied = assert_refused(lambda call=call: call(stranger_inquiry.pk), "not_found", published=published)
        missing = assert_refused(lambda call=call: call(987654), "not_found", published=published)
        assert (denied.message, denied.field) == (missing.message, missing.field), name
    assert backends.outbox == [] and mail.outbox == []


# --- resolve and reopen -------------------------------------------------------------------------


def test_resolve_then_reopen(stranger_inquiry, staff_actor, published):
    _sent(published)
    inquiry = services.inquiry_resolve(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                                       note="  We do not clean gutters.  ")
    assert (inquiry.status, inquiry.resolved_by, inquiry.resolution_note) == (
        "resolved", staff_actor.user, "We do not clean gutters.")
    assert inquiry.resolved_at is not None
    assert [e.note for e in published.of(inbox_events.InquiryResolved)] == ["We do not clean gutters."]
    assert_refused(lambda: services.inquiry_resolve(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    inquiry_id=inquiry.pk), "already_resolved", published=published)

    inquiry = services.inquiry_reopen(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk)
    assert (inquiry.status, inquiry.resolved_at, inquiry.resolved_by, inquiry.resolution_note) == (
        "open", None, None, "")
    assert published.names == ["InquiryReopened"]
    assert_refused(lambda: services.inquiry_reopen(actor=staff_actor, channel=Channel.GRAPHQL,
                                                   inquiry_id=inquiry.pk), "not_resolved", published=published)
    assert list(inquiry.entries.values_list("action", "body")) == [
        ("opened", "Do you clean gutters?"), ("resolved", "We do not clean gutters."), ("reopened", "")]


def test_a_resolution_note_has_a_limit(stranger_inquiry, staff_actor, published):
    assert_refused(lambda: services.inquiry_resolve(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    inquiry_id=stranger_inquiry.pk, note="x" * 2001),
                   "too_long", field="note", published=published)


# --- reply --------------------------------------------------------------------------------------


def test_a_reply_to_a_number_goes_by_sms_after_commit(stranger_inquiry, staff_actor, published):
    _sent(published)
    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                                   body="Yes we do! Reply with your address.")
    assert backends.outbox == []  # not before the commit
    replied = published.of(inbox_events.InquiryReplied)  # runs what waited for the commit
    [sms] = backends.outbox
    assert (sms.to, sms.body) == (STRANGER, "Yes we do! Reply with your address.")
    entry.refresh_from_db()
    assert (entry.action, entry.data, entry.delivery_status) == (
        "replied", {"via": "sms", "to": STRANGER}, DeliveryStatus.SENT)
    assert entry.sms_message == SmsMessage.objects.get(to_number=STRANGER, kind=SmsKind.MANUAL)
    assert [(e.via, e.event_id) for e in replied] == [("sms", entry.pk)]


def test_the_delivery_task_sends_once_however_often_it_runs(stranger_inquiry, staff_actor):
    from core.crm.tasks import deliver_inquiry_reply

    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                                   body="Hello")  # the task waits for a commit that never comes here
    assert backends.outbox == []
    assert deliver_inquiry_reply.call(entry.pk) == "sent"
    assert deliver_inquiry_reply.call(entry.pk) == "sent"
    assert len(backends.outbox) == 1


def test_a_reply_to_an_opted_out_customer_goes_by_email_and_lands_on_the_booking_timeline(
        db, staff_actor, published):
    customer = factories.customer(email="pat@example.com")
    booking = factories.booking(cust=customer)
    sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    inquiry = services.inquiry_open(actor=Actor.for_customer(customer), channel=Channel.SMS, body="Is Tuesday ok?",
                                    customer_id=customer.pk, booking_ids=[booking.pk], contact=customer.mobile)
    _sent(published)
    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk,
                                   body="Tuesday is fine.")
    assert [e.via for e in published.of(inbox_events.InquiryReplied)] == ["email"]
    assert backends.outbox == []
    [email] = mail.outbox
    assert email.to == ["pat@example.com"]
    assert email.body.startswith("Tuesday is fine.") and "> Is Tuesday ok?" in email.body
    entry.refresh_from_db()
    assert (entry.data["via"], entry.delivery_status) == ("email", DeliveryStatus.SENT)
    row = BookingEvent.objects.get(booking=booking, action="inquiry_replied")
    assert row.data == {"inquiry_id": inquiry.pk, "via": "email", "body": "Tuesday is fine."}


def test_a_failed_email_is_recorded_on_the_reply(db, staff_actor, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    inquiry = services.inquiry_open(actor=Actor.system(), channel=Channel.EMAIL_LINK, body="Hi",
                                    contact="sam@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk,
                                       body="Hello Sam")
    entry.refresh_from_db()
    assert entry.delivery_status == DeliveryStatus.FAILED
    assert entry.delivery_error.startswith("ConnectionRefusedError")


def test_a_reply_needs_a_way_to_reach_the_sender(db, staff_actor, published):
    customer = factories.customer(email="")
    sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    inquiry = services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="x", customer_id=customer.pk,
                                    contact=customer.mobile)
    nothing = services.inquiry_open(actor=Actor.system(), channel=Channel.SYSTEM, body="x")
    for pk in (inquiry.pk, nothing.pk):
        assert_refused(lambda pk=pk: services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL,
                                                            inquiry_id=pk, body="Hello"),
                       "no_contact", published=published)
    assert backends.outbox == [] and mail.outbox == []


@pytest.mark.parametrize(("body", "code"), [("   ", "required"), ("x" * 400, "too_long"), ("x" * 2001, "too_long")])
def test_a_reply_needs_text_that_fits(stranger_inquiry, staff_actor, published, body, code):
    assert_refused(lambda: services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL,
                                                  inquiry_id=stranger_inquiry.pk, body=body),
                   code, field="body", published=published)


def test_a_resolved_inquiry_is_reopened_before_replying(stranger_inquiry, staff_actor, published):
    services.inquiry_resolve(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk)
    assert_refused(lambda: services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL,
                                                  inquiry_id=stranger_inquiry.pk, body="Hello"),
                   "inquiry_resolved", published=published)


# --- link ---------------------------------------------------------------------------------------


def test_linking_a_strangers_inquiry_to_a_booking_links_its_customer_and_notes_it_on_the_timeline(
        stranger_inquiry, staff_actor, published):
    booking = factories.booking()
    _sent(published)
    inquiry = services.inquiry_link(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                                    booking_ids=[booking.pk])
    assert inquiry.customer_id == booking.customer_id
    assert list(inquiry.bookings.all()) == [booking]
    row = BookingEvent.objects.get(booking=booking, action="inquiry_received")
    assert (row.actor_kind, row.data["linked"], row.data["inquiry_id"]) == ("staff", True, inquiry.pk)
    entry = inquiry.entries.get(action="linked")
    assert entry.data == {"customer_id": [None, booking.customer_id], "booking_ids": [booking.pk]}
    [linked] = published.of(inbox_events.InquiryLinked)
    assert (linked.customer_id, linked.booking_ids) == (booking.customer_id, (booking.pk,))

    # linking the same again changes nothing and records nothing
    services.inquiry_link(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk,
                          booking_ids=[booking.pk])
    assert inquiry.entries.filter(action="linked").count() == 1


def test_link_to_a_customer_only(stranger_inquiry, staff_actor, customer):
    inquiry = services.inquiry_link(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                                    customer_id=customer.pk)
    assert (inquiry.customer_id, list(inquiry.bookings.all())) == (customer.pk, [])


def test_link_refusals(stranger_inquiry, staff_actor, published):
    one, other = factories.booking(), factories.booking()

    def link(**kwargs):
        return lambda: services.inquiry_link(actor=staff_actor, channel=Channel.GRAPHQL,
                                             inquiry_id=stranger_inquiry.pk, **kwargs)

    assert_refused(link(), "required", field="customerId", published=published)
    assert_refused(link(booking_ids=[987654]), "not_found", field="bookingIds", published=published)
    assert_refused(link(customer_id=987654), "not_found", field="customerId", published=published)
    assert_refused(link(booking_ids=[one.pk, other.pk]), "other_customer", field="bookingIds", published=published)
    assert_refused(link(customer_id=one.customer_id, booking_ids=[other.pk]), "other_customer",
                   field="bookingIds", published=published)
    services.inquiry_link(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=stranger_inquiry.pk,
                          booking_ids=[one.pk])
    assert_refused(link(customer_id=other.customer_id), "other_customer", field="customerId", published=published)
    assert_refused(link(booking_ids=list(range(1, 30))), "too_many", field="bookingIds", published=published)

