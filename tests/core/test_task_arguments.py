"""Task rows carry ids (and plain words such as a message kind), never personal data (decision
0037): after the typical flows, each met the way its user meets it (the portal's sign-in form, a
booking made by staff, a comment added over GraphQL, SMS replies through the signed webhook, a job
offer to a fieldworker's chat), no stored task argument holds an e-mail address, a phone number, a
name or a token."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from core.accounts.services import token_create
from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.chat.models import ChatBinding
from core.outreach.models import EmailKind, EmailMessage, EmailStatus
from tests import factories
from tests.conversations.sms.conftest import inbound_params, parse_reply, post_signed, prompted_booking
from tests.core.outreach.support import deliver

pytestmark = pytest.mark.django_db(transaction=False)

SMS_PATH = "/webhooks/twilio/sms/"
PLAIN_WORD = re.compile(r"[a-z_]{1,40}")  # a kind or a status, e.g. "confirmation"


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _not_an_id(value: Any) -> bool:
    if value is None or isinstance(value, bool | int):
        return False
    return not (isinstance(value, str) and PLAIN_WORD.fullmatch(value))


def _sms(client, body: str, sender: str):
    reply = parse_reply(post_signed(client, SMS_PATH, inbound_params(body, sender)))
    deliver()
    return reply


def test_no_task_argument_holds_personal_data_after_the_typical_flows(client, twilio_sms, mailoutbox):
    secret_words = []
    # the customer portal's sign-in form: the e-mail with the one-time link
    ann = factories.customer(name="Annabel Quist", email="annabel.quist@example.com", mobile="+61412000111")
    response = client.post("/portal/login/", {"email": "annabel.quist@example.com"})
    assert response.status_code == 200
    deliver()  # (tests never commit: the on-commit work runs here, as a commit would run it)
    [link_mail] = [m for m in mailoutbox if "sign-in link" in m.subject]
    raw_token = link_mail.body.split("/portal/login/")[1].split("/")[0]
    assert len(raw_token) > 20 and "Annabel Quist" in link_mail.body
    secret_words.append(raw_token)

    # a booking made by staff: its confirmation e-mail and text
    staff = factories.staff_user()
    booking = prompted_booking(ann)
    deliver()
    assert EmailMessage.objects.filter(kind=EmailKind.CONFIRMATION, booking=booking).exists()

    # a comment for the customer, added over GraphQL by staff: its delivery
    token = token_create(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, name="test").raw
    secret_words.append(token)
    mutation = """mutation($input: AddBookingCommentInput!) {
      addBookingComment(input: $input) { errors { code } } }"""
    from strawberry import relay

    answer = client.post("/graphql/", json.dumps({"query": mutation, "variables": {"input": {
        "bookingId": relay.to_base64("Booking", booking.pk), "body": "Bring the ladder, Annabel",
        "visibleToCustomer": True}}}), content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    deliver()
    assert answer.json()["data"]["addBookingComment"]["errors"] == [], answer.json()

    # SMS replies through the signed webhook: YES, then a bare CANCEL (the cancellation-links e-mail)
    assert "confirmed" in _sms(client, "YES", ann.mobile).text
    _sms(client, "CANCEL", ann.mobile)
    assert EmailMessage.objects.filter(kind=EmailKind.CANCEL_LINKS, status=EmailStatus.SENT).count() == 1

    # a job offer to a fieldworker's chat
    felix = factories.fieldworker(name="Felix Fieldman", mobile="+61412000222")
    ChatBinding.objects.create(fieldworker=felix, telegram_user_id=4711, chat_id=4711)
    other = factories.booking(cust=factories.customer(name="Bertram Other", email="bertram@example.com"))
    bookings.booking_assign(actor=factories.staff_actor(staff), channel=Channel.ADMIN, booking_id=other.pk,
                            fieldworker_id=felix.pk)
    deliver()

    # a quote sent by e-mail and text over GraphQL, with its owner's follow-up reminder due today
    from core.sales import quote_tasks, quotes

    quote = quotes.quote_create(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, customer_id=ann.pk,
                                follow_up_date=quotes.today(),
                                lines=[quotes.QuoteLineInput(description="Gutters for Annabel", unit_price="90")])
    sent = client.post("/graphql/", json.dumps({"query": """mutation($i: ID!) { sendQuote(input: {id: $i,
        sendSms: true}) { errors { code } } }""", "variables": {"i": relay.to_base64("Quote", quote.pk)}}),
        content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert sent.json()["data"]["sendQuote"]["errors"] == [], sent.json()
    assert quote_tasks.send_follow_up_reminders_now() == 1
    deliver()

    rows = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    paths = {path for path, _ in rows}
    # the flows above did enqueue the kinds of task this test is about
    assert {"core.outreach.sending.deliver_email", "core.sms.tasks.deliver_comment",
            "core.chat.outbox.deliver_message", "core.sales.quote_tasks.send_quote_sms",
            "core.sales.quote_tasks.send_follow_up"} <= paths, paths
    personal = ["annabel", "quist", "staff", "felix", "bertram", "@", "+614", "61412", *secret_words]
    for path, stored in rows:
        arguments = {"args": stored["args"], "kwargs": stored["kwargs"]}  # (the request id is no argument)
        text = json.dumps(arguments).lower()
        found = [word for word in personal if word.lower() in text]
        assert not found, f"{path} carries {found}: {arguments}"
        assert not [leaf for leaf in _leaves(arguments) if _not_an_id(leaf)], f"{path}: {arguments}"
