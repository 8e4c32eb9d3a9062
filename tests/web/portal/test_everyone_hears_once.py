"""Whoever cancels, from whichever front, everyone hears once: the customer's e-mail (and SMS
unless they cancelled by SMS), each assigned fieldworker's in-app notice and chat message, the
dashboards' event; the pending reminder is withdrawn. Then a duplicate from every other front
changes nothing and notifies no one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.chat.models import ChatBinding, ChatMessage, MessageKind
from core.outreach.models import EmailKind, EmailMessage, EmailReminder, FieldworkerNotification
from core.sms.models import Direction, SmsKind, SmsMessage
from tests import factories
from tests.conversations.sms.conftest import SMS_PATH, inbound_params, post_signed
from tests.core.outreach.support import db_state, deliver
from tests.graphql_api.conftest import gid, run

from .support import link, portal_client

pytestmark = pytest.mark.django_db

CANCEL = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { errors { code } } }"""
FRONTS = ("portal", "email_link", "sms", "staff")


@pytest.fixture(autouse=True)
def _sms(twilio_sms):
    return twilio_sms


def cancel_via(front: str, booking, staff: Actor) -> None:
    if front == "portal":
        portal_client(booking.customer).post(f"/portal/bookings/{booking.pk}/cancel",
                                             {"reason": "Away", "accept_fee": "0.00"})
    elif front == "email_link":
        Client().post(link(booking, "cancel"), {"reason": "Away", "accept_fee": "0.00"})
    elif front == "sms":
        post_signed(Client(), SMS_PATH, inbound_params(f"CANCEL {booking.number}", booking.customer.mobile))
    else:
        run(staff, CANCEL, input={"id": gid("Booking", booking.pk), "reason": "Away"})
    deliver()


@pytest.mark.parametrize("front", FRONTS)
def test_one_cancel_everyone_hears_once(front, published):
    booking = factories.booking(start=timezone.now() + timedelta(days=3), workers_required=2)
    staff = factories.staff_actor()
    workers = [factories.fieldworker(), factories.fieldworker()]
    for n, worker in enumerate(workers):
        ChatBinding.objects.create(fieldworker=worker, telegram_user_id=9000 + n, chat_id=9000 + n)
        booking_services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        fieldworker_id=worker.pk)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                            booking_id=booking.pk, accept=True)
    deliver()
    assert EmailReminder.objects.get(booking=booking).status == "pending"
    published.clear()
    mail.outbox = []

    cancel_via(front, booking, staff)

    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert [e.booking_id for e in published.of(events.BookingCancelled)] == [booking.pk]  # dashboards' feed
    assert len(mail.outbox) == 1 and "is cancelled" in mail.outbox[0].subject
    assert EmailMessage.objects.filter(booking=booking, kind=EmailKind.CANCELLATION, status="sent").count() == 1
    assert sorted(FieldworkerNotification.objects.filter(booking=booking).values_list("fieldworker_id", flat=True)) \
        == sorted(w.pk for w in workers)
    assert ChatMessage.objects.filter(booking=booking, kind=MessageKind.CANCELLED).count() == 2
    notices = SmsMessage.objects.filter(booking=booking, kind=SmsKind.CANCELLATION, direction=Direction.OUTBOUND)
    assert notices.count() == (0 if front == "sms" else 1)  # by SMS the reply is the notice
    assert EmailReminder.objects.get(booking=booking).status == "withdrawn"

    for other in FRONTS:
        published.clear()
        mail.outbox = []
        before = db_state()
        cancel_via(other, booking, staff)
        after = db_state()
        if other == "sms":  # the SMS front logs the inbound text and its reply, nothing else
            before = {k: v for k, v in before.items() if not k.startswith("sms.")}
            after = {k: v for k, v in after.items() if not k.startswith("sms.")}
        assert after == before, other
        assert published.names == [] and mail.outbox == []
