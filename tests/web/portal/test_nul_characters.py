"""A NUL character in a portal or e-mail link form is bad input: a clear error, nothing stored
(decision 0151). On PostgreSQL each of these reached the database driver and ended in a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.core.outreach.support import db_state, deliver

from .support import link, portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    made = factories.booking(cust=factories.customer(with_login=True), start=timezone.now() + timedelta(days=10))
    deliver()
    mail.outbox = []
    return made


def test_a_discussion_message_with_a_nul_is_refused(booking):
    client = portal_client(booking.customer)
    before = db_state()
    response = client.post(f"/portal/bookings/{booking.pk}/discussion", {"body": "Gate code\x00 4411"})
    assert response.status_code == 400
    assert "Text cannot contain NUL characters." in response.content.decode()
    assert db_state() == before


def test_a_cancellation_reason_with_a_nul_is_refused(booking):
    before = db_state()
    response = Client().post(link(booking, "cancel"), {"reason": "Moving\x00", "accept_fee": "0.00"})
    assert response.status_code == 400
    assert "Text cannot contain NUL characters." in response.content.decode()
    assert db_state() == before


def test_a_sign_in_address_with_a_nul_is_refused(booking):
    before = db_state()
    response = Client().post("/portal/login/", {"email": f"{booking.customer.email}\x00"})
    assert response.status_code == 400
    assert "Enter your e-mail address." in response.content.decode()
    assert db_state() == before and mail.outbox == []


def test_an_appointment_request_with_a_nul_is_refused(booking):
    Client().post(link(booking, "cancel"), {"reason": "x", "accept_fee": "0.00"})
    before = db_state()
    when = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = Client().post(link(booking, "request"), {"preferred_date": when, "notes": "Mornings\x00"})
    assert response.status_code == 400
    assert db_state() == before
