"""Answers by e-mail, through the mail provider's signed inbound webhook (decision 0614).

A fake provider here does what a real one does: it reads the Reply-To of the e-mail we sent, and POSTs
the customer's answer to ``/webhooks/email/inbound/`` as form fields, signed with the webhook key."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from conversations.email.signing import sign
from core.bookings.models import BookingComment, BookingEvent
from core.crm.models import Inquiry
from core.outreach import replies
from core.outreach.inbound import reply_text
from core.outreach.models import InboundEmail
from core.sms.models import CommentDelivery
from graphql_api.ids import encode_id
from tests import factories
from tests.graphql_api import conftest as _graphql_conftest  # noqa: F401  (loads before over_http)
from tests.graphql_api.over_http import gql

PATH = "/webhooks/email/inbound/"
ADD_COMMENT = """mutation($input: AddBookingCommentInput!) {
  addBookingComment(input: $input) { comment { id } errors { code message } }
}"""
QUOTED = """Tuesday suits better, and the side gate will be open.

On Mon, 7 Dec 2026 at 09:12, Fieldops <no-reply@fieldops.local> wrote:
> Staff 1 wrote about booking #1042:
> Can we come on Monday?
"""


class FakeProvider:
    """Signs and posts inbound e-mails the way the mail provider's inbound route does."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def fields(self, *, sender: str, recipient: str, text: str, subject: str = "Re: your booking",
               token: str | None = None, timestamp: int | None = None, key: str | None = None) -> dict[str, str]:
        token = token or secrets.token_hex(25)
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {"recipient": recipient, "sender": sender, "from": f"Jo Bloggs <{sender}>", "subject": subject,
                "body-plain": text, "Message-Id": f"<{token[:12]}@mail.example.com>", "timestamp": stamp,
                "token": token, "signature": sign(stamp, token, key)}

    def post(self, fields: dict[str, Any]):
        return self.client.post(PATH, fields)


@pytest.fixture
def provider(client) -> FakeProvider:
    return FakeProvider(client)


def state() -> dict[str, list]:
    """Every row the webhook could write."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in (
        InboundEmail, BookingComment, BookingEvent, Inquiry, CommentDelivery)}


@pytest.fixture
def booking(db):
    customer = factories.customer(name="Jo Bloggs", email="jo@example.com", mobile="")
    return factories.booking(cust=customer)


def staff_says(booking, body: str) -> None:
    staff = factories.staff_user()
    data = gql(staff, ADD_COMMENT, input={"bookingId": encode_id("Booking", booking.pk), "body": body,
                                          "visibleToCustomer": True})
    assert data["addBookingComment"]["errors"] == []


def test_an_answer_to_a_discussion_email_joins_the_thread(booking, provider, django_capture_on_commit_callbacks):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        staff_says(booking, "Can we come on Monday?")
    sent = [message for message in mail.outbox if "Can we come on Monday?" in message.body]
    assert len(sent) == 1 and sent[0].to == ["jo@example.com"]
    reply_to = sent[0].reply_to[0]
    assert reply_to == replies.reply_address(booking.pk) and reply_to.endswith("@reply.fieldops.local")

    with django_capture_on_commit_callbacks(execute=True):
        response = provider.post(provider.fields(sender="Jo@Example.com", recipient=reply_to, text=QUOTED))
    assert response.status_code == 200
    assert response.json() == {"outcome": "comment", "replayed": False}
    thread = list(BookingComment.objects.filter(booking=booking).order_by("pk").values_list(
        "author_kind", "channel", "visible_to_customer", "body"))
    assert thread == [("staff", "graphql", True, "Can we come on Monday?"),
                      ("customer", "email", True, "Tuesday suits better, and the side gate will be open.")]
    assert BookingEvent.objects.filter(booking=booking, action="comment_added", channel="email").count() == 1
    assert not Inquiry.objects.exists()
    # the customer's own words are not sent back to them
    assert not any("side gate" in message.body for message in mail.outbox)



def test_a_customer_who_answered_by_email_is_answered_by_email(db, twilio_sms, provider, django_capture_on_commit_callbacks):
    customer = factories.customer(name="Jo Bloggs", email="jo@example.com", mobile="+61400000999")
    booking = factories.booking(cust=customer)
    with django_capture_on_commit_callbacks(execute=True):
        staff_says(booking, "Can we come on Monday?")  # never wrote to us: by text first
    with django_capture_on_commit_callbacks(execute=True):
        provider.post(provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk),
                                      text="Tuesday please"))
    with django_capture_on_commit_callbacks(execute=True):
        staff_says(booking, "Tuesday it is.")  # last wrote by e-mail: by e-mail first
    assert list(CommentDelivery.objects.order_by("pk").values_list("comment__body", "channel")) == [
        ("Can we come on Monday?", "sms"), ("Tuesday it is.", "email")]
    answer = [message for message in mail.outbox if "Tuesday it is." in message.body]
    assert len(answer) == 1 and answer[0].reply_to == [replies.reply_address(booking.pk)]


def test_staff_read_the_emailed_answer_in_the_booking_discussion(booking, provider):
    staff = factories.staff_user()
    address = replies.reply_address(booking.pk)
    assert provider.post(provider.fields(sender="jo@example.com", recipient=address, text="Thanks!")).status_code == 200
    data = gql(staff, """query($id: ID!) { node(id: $id) { ... on Booking {
        comments { body channel authorName visibleToCustomer } } } }""", id=encode_id("Booking", booking.pk))
    assert data["node"]["comments"] == [
        {"body": "Thanks!", "channel": "EMAIL", "authorName": "Jo Bloggs", "visibleToCustomer": True}]


def test_a_replayed_call_changes_nothing(booking, provider):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="See you then")
    assert provider.post(fields).json() == {"outcome": "comment", "replayed": False}
    before = state()
    again = provider.post(fields)
    assert again.status_code == 200 and again.json() == {"outcome": "comment", "replayed": True}
    assert state() == before
    assert BookingComment.objects.filter(body="See you then").count() == 1


@pytest.mark.parametrize("case", ["forged", "wrong key", "no signature", "stale", "from the future"])
def test_a_forged_or_stale_call_is_refused_and_changes_nothing(booking, provider, case):
    address = replies.reply_address(booking.pk)
    now = int(time.time())
    fields = provider.fields(sender="jo@example.com", recipient=address, text="Cancel it all",
                             timestamp={"stale": now - 3600, "from the future": now + 3600}.get(case, now),
                             key="not-the-key" if case == "wrong key" else None)
    if case == "forged":
        fields["body-plain"] = "Something else"
        fields["token"] = secrets.token_hex(25)  # signature no longer matches timestamp + token
    if case == "no signature":
        del fields["signature"]
    before = state()
    response = provider.post(fields)
    assert response.status_code == 403
    expected = "Stale call" if case in ("stale", "from the future") else "Bad or missing signature"
    assert expected in response.content.decode()
    assert state() == before


def test_an_oversized_email_is_refused_before_parsing_and_changes_nothing(booking, provider, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 50_000
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk),
                             text="x" * 60_000)
    before = state()
    response = provider.post(fields)
    assert response.status_code == 413
    assert state() == before


def test_without_a_key_the_webhook_is_not_there(booking, provider, settings):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="hello")
    settings.INBOUND_EMAIL_SIGNING_KEY = ""
    before = state()
    assert provider.post(fields).status_code == 404
    assert state() == before


def test_a_call_without_a_sender_is_refused_and_changes_nothing(booking, provider):
    fields = provider.fields(sender="", recipient=replies.reply_address(booking.pk), text="hello")
    fields["from"] = ""
    before = state()
    response = provider.post(fields)
    assert response.status_code == 400 and "sender" in response.content.decode()
    assert state() == before


def test_an_altered_reply_address_is_filed_in_the_inbox_not_in_another_booking(booking, provider):
    other = factories.booking()
    # the mac of this booking on the other booking's number: not a reply address of either
    forged = replies.reply_address(booking.pk).replace(f"reply+{booking.pk}.", f"reply+{other.pk}.")
    assert replies.booking_of(forged) is None
    response = provider.post(provider.fields(sender="jo@example.com", recipient=forged, text="Move it please"))
    assert response.json()["outcome"] == "inquiry"
    assert not BookingComment.objects.exists()
    inquiry = Inquiry.objects.get()
    assert (inquiry.channel, inquiry.customer_id, inquiry.contact) == ("email", booking.customer_id, "jo@example.com")
    assert "Move it please" in inquiry.body and inquiry.lead_source.door == "email"
    assert list(inquiry.bookings.all()) == []


def test_someone_else_answering_a_booking_email_reaches_the_inbox_and_the_timeline(booking, provider):
    address = replies.reply_address(booking.pk)
    response = provider.post(provider.fields(sender="neighbour@example.net", recipient=address,
                                             text="I think you have the wrong house", subject="Re: booking"))
    assert response.json() == {"outcome": "inquiry", "replayed": False}
    assert not BookingComment.objects.exists()  # a stranger never writes in the customer's thread
    inquiry = Inquiry.objects.get()
    assert inquiry.customer_id is None and inquiry.prospect_email == "neighbour@example.net"
    assert list(inquiry.bookings.values_list("pk", flat=True)) == [booking.pk]
    assert inquiry.body == "Re: booking\n\nI think you have the wrong house"
    assert BookingEvent.objects.filter(booking=booking, action="inquiry_received").count() == 1


def test_an_email_with_only_the_quoted_text_is_recorded_and_files_nothing(booking, provider):
    address = replies.reply_address(booking.pk)
    response = provider.post(provider.fields(sender="jo@example.com", recipient=address,
                                             text="\n> Can we come on Monday?\n"))
    assert response.json()["outcome"] == "empty"
    assert InboundEmail.objects.get().body == ""
    assert not BookingComment.objects.exists() and not Inquiry.objects.exists()


def test_nul_characters_from_outside_are_dropped_not_stored(booking, provider):
    address = replies.reply_address(booking.pk)
    response = provider.post(provider.fields(sender="jo@example.com", recipient=address, text="Gate\x00 code 12"))
    assert response.json()["outcome"] == "comment"
    assert BookingComment.objects.get().body == "Gate code 12"


@pytest.mark.parametrize(("text", "words"), [
    ("Yes please\n\nOn Tue, 8 Dec 2026, Fieldops <a@b.c>\nwrote:\n> old", "Yes please"),
    ("Fine\n-----Original Message-----\nFrom: Fieldops\nold", "Fine"),
    ("Fine\n\nFrom: Fieldops <no-reply@fieldops.local>\nSent: Monday\nold", "Fine"),
    ("Fine by me\n-- \nJo Bloggs\n0400 000 000", "Fine by me"),
    ("> quoted first\nMy answer\n> more quoted", "My answer"),
    ("Line one\r\nLine two", "Line one\nLine two"),
])
def test_the_quoted_email_and_the_signature_are_taken_off(text, words):
    assert reply_text(text) == words


def test_a_long_email_is_cut_to_a_discussion_message(booking, provider):
    address = replies.reply_address(booking.pk)
    provider.post(provider.fields(sender="jo@example.com", recipient=address, text="word " * 2000))
    body = BookingComment.objects.get().body
    assert len(body) == 5000 and body.endswith("[…]")


def test_the_response_is_json_the_provider_can_log(booking, provider):
    response = provider.post(provider.fields(sender="jo@example.com", recipient="someone@else.example",
                                             text="Hello there"))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"outcome": "inquiry", "replayed": False}
