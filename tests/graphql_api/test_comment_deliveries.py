"""addBookingComment over HTTP: a customer-visible message reaches the customer (SMS, else e-mail,
else a not-sent status), internal notes go nowhere, and staff read each delivery's status on the
comment (``deliveries``), at a constant number of queries."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.outreach.models import EmailMessage
from core.sms import backends
from core.sms.models import CommentDelivery, SmsOptOut
from tests import factories
from tests.core.outreach.support import deliver

from .conftest import bearer, gid

URL = "/graphql/"
ADD = """mutation($input: AddBookingCommentInput!) {
  addBookingComment(input: $input) { comment { id body visibleToCustomer } errors { code field } }
}"""
THREAD = """query($id: ID!) { booking(id: $id) { comments {
  body visibleToCustomer deliveries { channel status updatedAt error }
} } }"""

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield
    backends.outbox.clear()


def post(user, query: str, **variables) -> dict:
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=bearer(user))
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
def staff(db):
    return factories.staff_user()


def booking_for(**customer_fields):
    customer = factories.customer(with_login=True, **customer_fields)
    booking = factories.booking(cust=customer)
    deliver()
    backends.outbox.clear()
    mail.outbox = []
    return booking


def add(staff, booking, body: str, visible: bool | None) -> dict:
    data = post(staff, ADD, input={"bookingId": gid("Booking", booking.pk), "body": body,
                                   "visibleToCustomer": visible})["addBookingComment"]
    assert data["errors"] == []
    deliver()  # the request's commit: the event, then the delivery task
    return data["comment"]


def thread(user, booking) -> list[dict]:
    return post(user, THREAD, id=gid("Booking", booking.pk))["booking"]["comments"]


def test_a_customer_visible_comment_is_texted_and_staff_see_the_delivery_on_the_comment(staff):
    booking = booking_for()
    add(staff, booking, "We will arrive at 9, please leave the gate open.", True)

    assert len(backends.outbox) == 1
    assert backends.outbox[0].to == booking.customer.mobile
    assert "We will arrive at 9, please leave the gate open." in backends.outbox[0].body
    assert mail.outbox == []
    [comment] = thread(staff, booking)
    [delivery] = comment["deliveries"]
    assert (delivery["channel"], delivery["status"], delivery["error"]) == ("SMS", "QUEUED", "")
    assert delivery["updatedAt"]
    # the customer reads the message, not how it reached them
    [own_view] = thread(booking.customer.user, booking)
    assert own_view["body"] == "We will arrive at 9, please leave the gate open." and own_view["deliveries"] == []


def test_an_opted_out_customer_gets_an_e_mail_instead(staff):
    booking = booking_for()
    SmsOptOut.objects.create(number=booking.customer.mobile, source="keyword")
    add(staff, booking, "Your quote is ready.", True)
    assert backends.outbox == []
    assert len(mail.outbox) == 1 and "Your quote is ready." in mail.outbox[0].body
    assert mail.outbox[0].to == [booking.customer.email]
    assert [(d["channel"], d["status"]) for d in thread(staff, booking)[0]["deliveries"]] == [("EMAIL", "SENT")]


def test_no_mobile_and_no_e_mail_is_not_sent_no_contact(staff):
    booking = booking_for(mobile="", email="")
    add(staff, booking, "Please call us back.", True)
    assert backends.outbox == [] and mail.outbox == []
    [delivery] = thread(staff, booking)[0]["deliveries"]
    assert delivery["status"] == "NOT_SENT_NO_CONTACT"
    assert "no_mobile" in delivery["error"] and "no_address" in delivery["error"]


@pytest.mark.parametrize("visible", [False, None])
def test_an_internal_note_goes_nowhere(staff, visible):
    booking = booking_for()
    emails = EmailMessage.objects.count()
    add(staff, booking, "internal: the customer was rude", visible)
    assert backends.outbox == [] and mail.outbox == []
    assert EmailMessage.objects.count() == emails and not CommentDelivery.objects.exists()
    assert thread(staff, booking)[0]["deliveries"] == []
    assert thread(booking.customer.user, booking) == []


def test_a_fieldworker_sees_the_thread_without_deliveries(staff):
    booking = booking_for()
    worker = factories.fieldworker()
    booking_services.booking_assign(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    deliver()
    add(staff, booking, "We will arrive at 9.", True)
    assert [c["deliveries"] for c in thread(worker.user, booking)] == [[]]
    assert CommentDelivery.objects.count() == 1


def test_reading_deliveries_costs_the_same_queries_for_two_comments_as_for_eight(staff):
    booking = booking_for()

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            thread(staff, booking)
        return len(captured)

    for n in range(2):
        add(staff, booking, f"Message {n}", True)
    two = count()
    for n in range(6):
        add(staff, booking, f"More {n}", n % 2 == 0)
    assert len(thread(staff, booking)) == 8
    assert count() == two
