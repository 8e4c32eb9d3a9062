"""The portal's inquiry form: a signed-in customer's request files into the staff inbox as their own
inquiry with the portal's lead source; bad input is refused with nothing stored; the customer sees
only their own inquiries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from core.actors import Actor, Channel
from core.company.selectors import get_company
from core.crm import services
from core.crm.models import Inquiry
from tests import factories
from tests.core.support import db_state

from .support import portal_client

URL = "/portal/inquiry/"


@pytest.fixture
def customer(db):
    return factories.customer(with_login=True)


def test_a_signed_in_customer_files_an_inquiry_with_the_portal_source(customer):
    svc = factories.service(name="Oven cleaning")
    client = portal_client(customer)
    page = client.get(URL)
    assert page.status_code == 200 and b"Oven cleaning" in page.content
    soon = date.today() + timedelta(days=5)
    response = client.post(URL, {"services": [svc.pk], "preferred_date_1": soon.isoformat(),
                                 "address": "9 Elm St", "city": "Perth", "message": "Before Christmas please"})
    assert response.status_code == 200 and b"We have your inquiry" in response.content
    inquiry = Inquiry.objects.get()
    assert (inquiry.customer_id, inquiry.lead_source.door, inquiry.channel) == (customer.pk, "portal", "portal")
    assert (inquiry.body, inquiry.address, inquiry.city) == ("Before Christmas please", "9 Elm St", "Perth")
    assert inquiry.preferred_dates == [soon.isoformat()]
    assert [s.name for s in inquiry.wanted_services.all()] == ["Oven cleaning"]
    entry = inquiry.entries.get()
    assert (entry.actor_kind, entry.channel) == ("customer", "portal")
    home = client.get("/portal/")
    assert b"Before Christmas please" in home.content and b"Waiting for our answer" in home.content


@pytest.mark.parametrize(("data", "text"), [
    ({"message": ""}, b"Tell us what you need."),
    ({"message": "x", "preferred_date_1": "2001-01-01"}, b"Choose dates from today on."),
    ({"message": "nul\x00here"}, b"Null characters are not allowed."),
    ({"message": "x" * 5001}, b"at most 5000 characters"),
    ({"message": "x", "services": ["987654"]}, b"Select a valid choice"),
])
def test_bad_input_is_refused_and_nothing_is_stored(customer, data, text):
    client = portal_client(customer)
    get_company()  # created on first read: not a change the refusal made
    before = db_state()
    response = client.post(URL, data)
    assert response.status_code == 400 and text in response.content, response.content[-600:]
    assert db_state() == before


def test_without_a_session_the_form_sends_to_sign_in(db):
    response = Client().post(URL, {"message": "hi"})
    assert response.status_code == 302 and response.url == "/portal/login/"
    assert not Inquiry.objects.exists()


def test_a_customer_sees_only_their_own_inquiries(customer):
    other = factories.customer(with_login=True)
    services.inquiry_create(actor=Actor.for_customer(other), channel=Channel.PORTAL, body="Someone else's question")
    services.inquiry_create(actor=Actor.for_customer(customer), channel=Channel.PORTAL, body="My question")
    home = portal_client(customer).get("/portal/")
    assert b"My question" in home.content and b"Someone else" not in home.content
    # listed once, in the page; the page's title is only its title
    assert home.content.count(b"My question") == 1
    title = home.content.split(b"<title>", 1)[1].split(b"</title>", 1)[0]
    assert title.decode().startswith("My bookings | ") and b"<" not in title
