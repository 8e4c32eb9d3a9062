"""A customer answers a discussion text by SMS (signed webhook): the answer joins the same booking's
discussion as a reply, even when they have other open bookings; it is not texted back to them; the
fieldworker on the job reads it in their chat and staff in the thread."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingComment
from core.chat import backends as chat_backends
from core.chat.models import ChatBinding
from core.sms import backends
from core.sms.models import CommentDelivery, Direction, SmsKind, SmsMessage
from tests import factories
from tests.graphql_api.conftest import gid, run

from .conftest import prompted_booking

pytestmark = pytest.mark.django_db

THREAD = """query($id: ID!) { booking(id: $id) { comments { body authorKind channel visibleToCustomer } } }"""


def commit() -> None:
    while connection.run_on_commit:
        pending, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in pending:
            func()


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.CHAT_BACKEND = "core.chat.backends.LocmemChatBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    chat_backends.reset()
    mail.outbox = []
    yield
    chat_backends.reset()


@pytest.fixture
def job(db):
    """A customer with two open bookings (both texted, so both are prompted); a fieldworker with a
    linked chat on the second."""
    customer = factories.customer()
    first = prompted_booking(customer, days=2)
    second = prompted_booking(customer, days=5)
    staff = factories.staff_actor()
    worker = factories.fieldworker()
    ChatBinding.objects.create(fieldworker=worker, telegram_user_id=7001, chat_id=7001)
    booking_services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=second.pk,
                                    fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                        booking_id=second.pk, accept=True)
    commit()
    backends.outbox.clear()
    chat_backends.reset()
    mail.outbox = []  # the booking confirmations
    return customer, first, second, staff, worker


def chat_texts(chat_id: int) -> list[str]:
    return [entry.params.get("text", "") for entry in chat_backends.outbox if entry.params.get("chat_id") == chat_id]


def test_an_sms_answer_to_a_discussion_text_joins_that_bookings_thread_and_reaches_the_job(job, sms):
    customer, first, second, staff, _worker = job
    asked = booking_services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=second.pk,
                                         body="Is there parking in front of the house?", visible_to_customer=True)
    commit()
    assert [entry.to for entry in backends.outbox] == [customer.mobile]
    outbound = len(backends.outbox)
    chat_backends.reset()

    reply = sms("Yes, the driveway is free all day", customer.mobile)

    assert f"booking #{second.number}" in reply.text  # not "which booking?" although two are open
    answer = BookingComment.objects.get(body="Yes, the driveway is free all day")
    assert (answer.booking_id, answer.author_kind, answer.channel, answer.visible_to_customer,
            answer.reply_to_id) == (second.pk, "customer", "sms", True, asked.pk)
    commit()
    # not sent back to the customer: no new text, no e-mail, no delivery row of its own
    assert len(backends.outbox) == outbound and mail.outbox == []
    assert not CommentDelivery.objects.filter(comment=answer).exists()
    assert not SmsMessage.objects.filter(direction=Direction.OUTBOUND, kind=SmsKind.COMMENT,
                                         body__contains="driveway").exists()
    # the fieldworker on the job reads it in their chat
    assert [t for t in chat_texts(7001) if "Yes, the driveway is free all day" in t]
    # staff read one thread: the question and the answer
    out = run(staff, THREAD, id=gid("Booking", second.pk))
    assert [(c["body"], c["authorKind"], c["channel"]) for c in out["data"]["booking"]["comments"]] == [
        ("Is there parking in front of the house?", "STAFF", "GRAPHQL"),
        ("Yes, the driveway is free all day", "CUSTOMER", "SMS")]
    assert not BookingComment.objects.filter(booking=first).exists()


def test_without_a_discussion_text_a_free_text_with_two_open_bookings_still_asks_which(job, sms):
    customer, *_ = job
    reply = sms("Is the job still on?", customer.mobile)
    assert "Which booking" in reply.text
    assert not BookingComment.objects.exists()


def test_a_yes_after_a_discussion_text_is_still_a_confirmation_of_a_named_booking(job, sms):
    customer, _first, second, staff, _worker = job
    booking_services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=second.pk,
                                 body="Can you confirm?", visible_to_customer=True)
    commit()
    reply = sms(f"YES {second.number}", customer.mobile)
    second.refresh_from_db()
    assert second.status == "confirmed" and "is confirmed" in reply.text
    assert BookingComment.objects.filter(author_kind="customer").count() == 0
