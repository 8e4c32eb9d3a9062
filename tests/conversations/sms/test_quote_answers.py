"""A quote texted to the customer is answered by SMS: ``ACCEPT Q-1042`` / ``DECLINE Q-1042`` through
the signed Twilio webhook, from the number it was texted to only; another number, a quote that was
e-mailed only, and an answered quote get a reply and change nothing."""

from __future__ import annotations

import pytest

from conversations.sms.intents import parse_quote_answer
from core.actors import Actor, Channel
from core.outreach.models import BookingRequest
from core.sales import quotes
from core.sales.quote_models import Quote, QuoteEvent
from tests import factories
from tests.core.outreach.support import deliver
from tests.core.sales.support import db_state

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM


def texted(customer, *, send_sms: bool = True) -> Quote:
    staff = Actor.from_user(factories.staff_user())
    quote = quotes.quote_create(actor=staff, channel=SYSTEM, customer_id=customer.pk, lines=[
        quotes.QuoteLineInput(description="Gutter clean", unit_price="150", tax_rate="10")])
    quote = quotes.quote_send(actor=staff, channel=SYSTEM, quote_id=quote.pk, send_email=False, send_sms=send_sms)
    deliver()
    return quote


def test_the_quote_text_carries_the_link_and_the_words_that_answer_it(twilio_sms):
    customer = factories.customer()
    quote = texted(customer)
    (text,) = [entry for entry in twilio_sms if entry.to == customer.mobile]
    assert f"ACCEPT {quote.number}" in text.body and f"DECLINE {quote.number}" in text.body
    assert "/q/" in text.body and "AUD 165.00" in text.body


def test_accept_by_sms_accepts_through_the_signed_webhook(sms):
    customer = factories.customer()
    quote = texted(customer)
    reply = sms(f"accept {quote.number.lower()}", customer.mobile)
    assert reply.status == 200 and f"quote {quote.number} is accepted" in reply.text
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.decided_channel == "sms"
    assert BookingRequest.objects.get(pk=quote.booking_request_id).channel == "sms"
    row = QuoteEvent.objects.get(quote_id=quote.pk, action="accepted")
    assert (row.channel, row.actor_kind) == ("sms", "customer")
    again = sms(f"ACCEPT {quote.number}", customer.mobile)
    assert "accepted already" in again.text


def test_decline_by_sms_and_the_number_without_its_prefix(sms):
    customer = factories.customer()
    quote = texted(customer)
    reply = sms(f"DECLINE {quote.issued_number.number}", customer.mobile)
    assert "declined" in reply.text
    assert Quote.objects.get(pk=quote.pk).status == "declined"


def test_another_number_or_an_emailed_quote_reads_as_no_such_quote(sms):
    customer = factories.customer()
    quote = texted(customer)
    emailed = texted(customer, send_sms=False)
    stranger = factories.customer()
    before = db_state()
    for body, sender in ((f"ACCEPT {quote.number}", stranger.mobile), (f"ACCEPT {emailed.number}", customer.mobile),
                         ("ACCEPT Q-999999", customer.mobile)):
        reply = sms(body, sender)
        assert reply.status == 200 and "could not find quote" in reply.text
    after = db_state()
    quotes_before = {row["id"]: row["status"] for row in before["sales.Quote"]}
    assert {row["id"]: row["status"] for row in after["sales.Quote"]} == quotes_before
    assert after["sales.QuoteEvent"] == before["sales.QuoteEvent"]


@pytest.mark.parametrize(("body", "expected"), [
    ("ACCEPT Q-1042", (True, "Q-1042")),
    ("decline q-1042.", (False, "Q-1042")),
    ("Accept #HQ-77 please", (True, "HQ-77")),
    ("ACCEPT", None),
    ("accept it", None),
    ("I accept Q-1042", None),
])
def test_reading_the_answer(body, expected):
    found = parse_quote_answer(body)
    assert (None if found is None else (found.accept, found.number)) == expected
