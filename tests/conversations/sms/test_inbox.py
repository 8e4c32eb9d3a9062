"""Nothing a customer texts is lost: what the conversation cannot act on lands in the staff inbox,
which staff read and answer over GraphQL (HTTP), and on the timeline of every booking it concerns."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.actors import Actor, Channel
from core.bookings.models import BookingEvent
from core.crm.models import Inquiry
from core.sms import backends
from core.sms.services import sms_opt_out
from tests import factories
from tests.graphql_api.conftest import bearer, gid

from .conftest import prompted_booking

pytestmark = pytest.mark.django_db
STRANGER = "+61499111222"

INBOX = """query Inbox($filter: InquiryFilter) { inquiries(filter: $filter, first: 10) { totalCount edges { node {
  id kind status channel contact body customer { name } bookings { number }
  history { action actorKind channel } } } } }"""
HISTORY = "query($id: ID!) { bookingHistory(bookingId: $id) { action channel data } }"
REPLY = """mutation($input: ReplyToInquiryInput!) { replyToInquiry(input: $input) {
  reply { action body data deliveryStatus } errors { code field message } } }"""


def graphql(query: str, token: str, **variables):
    response = Client().post("/graphql/", json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_a_text_from_an_unknown_number_is_in_the_staff_inbox_and_nobody_elses(sms):
    staff, customer = factories.staff_user(), factories.customer(with_login=True)
    reply = sms("Hi, do you also clean windows?", STRANGER)
    assert "passed it to our team" in reply.text

    inbox = graphql(INBOX, bearer(staff), filter={"status": "OPEN", "channel": "SMS"})["inquiries"]
    assert inbox["totalCount"] == 1
    node = inbox["edges"][0]["node"]
    assert node["id"] == gid("Inquiry", Inquiry.objects.get().pk)
    assert (node["kind"], node["status"], node["channel"], node["contact"]) == ("INQUIRY", "OPEN", "SMS", STRANGER)
    assert node["body"].endswith("Hi, do you also clean windows?")
    assert (node["customer"], node["bookings"]) == (None, [])
    assert node["history"] == [{"action": "OPENED", "actorKind": "SYSTEM", "channel": "SMS"}]

    assert graphql(INBOX, bearer(customer.user))["inquiries"] == {"totalCount": 0, "edges": []}
    assert graphql(INBOX, bearer(factories.fieldworker().user))["inquiries"] == {"totalCount": 0, "edges": []}


def test_a_bare_cancel_with_two_open_bookings_leaves_a_row_on_each_timeline(sms):
    staff, customer = factories.staff_user(), factories.customer()
    first, second = prompted_booking(customer, days=2), prompted_booking(customer, days=5)
    assert sms("CANCEL", customer.mobile).messages == []  # the carrier's opt-out word: it answers, not us

    inquiry = Inquiry.objects.get()
    assert sorted(b.pk for b in inquiry.bookings.all()) == [first.pk, second.pk]
    token = bearer(staff)
    for booking in (first, second):
        rows = [row for row in graphql(HISTORY, token, id=gid("Booking", booking.pk))["bookingHistory"]
                if row["action"] == "cancellation_requested"]
        assert len(rows) == 1
        assert (rows[0]["channel"], rows[0]["data"]["inquiry_id"]) == ("SMS", inquiry.pk)
    inbox = graphql(INBOX, token, filter={"kind": "CANCELLATION_REQUEST",
                                          "bookingId": gid("Booking", second.pk)})["inquiries"]
    assert [sorted(b["number"] for b in edge["node"]["bookings"]) for edge in inbox["edges"]] == [
        sorted([first.number, second.number])]


def test_a_text_from_an_opted_out_customer_is_linked_to_their_open_booking(sms):
    customer = factories.customer()
    booking = prompted_booking(customer)
    sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    assert sms("Running late, is 10 ok?", customer.mobile).messages == []
    inquiry = Inquiry.objects.get()
    assert (inquiry.customer_id, list(inquiry.bookings.all())) == (customer.pk, [booking])
    assert BookingEvent.objects.filter(booking=booking, action="inquiry_received", channel="sms").count() == 1


def test_staff_answer_an_unknown_sender_by_sms(sms, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    sms("Do you clean gutters?", STRANGER)
    backends.outbox.clear()
    inquiry = Inquiry.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        result = graphql(REPLY, bearer(staff), input={"id": gid("Inquiry", inquiry.pk), "body": "We do, from $90."})
    assert result["replyToInquiry"] == {"reply": {"action": "REPLIED", "body": "We do, from $90.",
                                                  "data": {"via": "sms", "to": STRANGER}, "deliveryStatus": "QUEUED"},
                                        "errors": []}
    assert [(m.to, m.body) for m in backends.outbox] == [(STRANGER, "We do, from $90.")]
    assert inquiry.entries.get(action="replied").delivery_status == "sent"
