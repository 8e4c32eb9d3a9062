"""The portal's "How we reach you" page (decision 0615): the signed-in customer chooses the channel our
messages come by, through ``customer_update`` with its history row; a value that is not a channel is
refused with nothing stored; without a session the page sends to sign in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core.company.selectors import get_company
from core.crm.models import Customer, CustomerLog
from tests import factories
from tests.core.support import db_state

from .support import portal_client

URL = "/portal/contact/"


@pytest.fixture
def customer(db):
    return factories.customer(with_login=True, email="jo@example.com")


def test_the_customer_chooses_e_mail_and_the_change_has_its_history_row(customer):
    client = portal_client(customer, enforce_csrf_checks=True)
    assert b'id="how-we-reach-you"' in client.get("/portal/").content
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "jo@example.com" in html and customer.mobile in html
    assert re.search(r'<input type="radio" name="preferred_channel" value=""[^>]*checked', html)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    saved = client.post(URL, {"preferred_channel": "email", "csrfmiddlewaretoken": token})
    assert saved.status_code == 200 and b'id="contact-saved"' in saved.content
    assert re.search(r'value="email"[^>]*checked', saved.content.decode())
    assert Customer.objects.get(pk=customer.pk).preferred_channel == "email"
    row = CustomerLog.objects.get(customer=customer)
    assert (row.action, row.channel, row.actor_kind, row.changes) == (
        "updated", "portal", "customer", {"preferred_channel": ["", "email"]})

    cleared = client.post(URL, {"preferred_channel": "", "csrfmiddlewaretoken": token})
    assert cleared.status_code == 200
    assert Customer.objects.get(pk=customer.pk).preferred_channel == ""
    assert CustomerLog.objects.filter(customer=customer).count() == 2


def test_the_page_says_when_the_chosen_channel_cannot_be_used(db):
    customer = factories.customer(with_login=True, email="")
    response = portal_client(customer).post(URL, {"preferred_channel": "email"})
    assert b"no e-mail address for you, so for now they come by text" in response.content


@pytest.mark.parametrize("value", ["fax", "EMAIL ", "sms,email"])
def test_a_value_that_is_not_a_channel_is_refused_and_nothing_is_stored(customer, value):
    client = portal_client(customer)
    get_company()  # created on first read: not a change the refusal made
    before = db_state()
    response = client.post(URL, {"preferred_channel": value})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    assert db_state() == before


def test_without_a_session_the_page_sends_to_sign_in(customer):
    for response in (Client().get(URL), Client().post(URL, {"preferred_channel": "sms"})):
        assert response.status_code == 302 and response.url == "/portal/login/"
    assert Customer.objects.get(pk=customer.pk).preferred_channel == ""
