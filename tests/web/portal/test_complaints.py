"""A customer raises a complaint from the booking page (portal session or signed e-mail link): a POST
with CSRF lands it for staff, customer-visible, through the portal or e-mail link channel; the page
lists the customer's own complaints and never an internal one; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core.actors import Channel
from core.complaints import services
from core.complaints.defaults import ensure_lists
from core.complaints.models import Complaint, ComplaintEvent, ComplaintType
from tests import factories
from tests.core.complaints.support import db_state

from .support import link, portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists(db) -> None:
    ensure_lists()


def text(response) -> str:
    return response.content.decode()


def csrf_from(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(response))
    assert match, "the page has no CSRF token"
    return match.group(1)


def ways(booking, way: str):
    client = portal_client(booking.customer, enforce_csrf_checks=True) if way == "portal" else \
        Client(enforce_csrf_checks=True)
    page_url = f"/portal/bookings/{booking.pk}/" if way == "portal" else link(booking)
    post_url = f"/portal/bookings/{booking.pk}/complaint" if way == "portal" else link(booking, "complaint")
    return client, page_url, post_url


@pytest.mark.parametrize("way, channel", [("portal", "portal"), ("email_link", "email_link")])
def test_the_customer_raises_a_complaint_from_the_booking_page(way, channel):
    booking = factories.booking(cust=factories.customer(with_login=True))
    client, page_url, post_url = ways(booking, way)
    page = client.get(page_url)
    assert f'action="{post_url}"' in text(page) and 'id="complaint-description"' in text(page)
    damage = ComplaintType.objects.get(name="Damage")
    assert f'<option value="{damage.pk}">Damage</option>' in text(page)

    response = client.post(post_url, {"description": "The fence <gate> was left broken.", "type": str(damage.pk),
                                      "csrfmiddlewaretoken": csrf_from(page)})
    assert response.status_code == 303 and response["Location"].endswith("?complained=1#complaints")
    complaint = Complaint.objects.get()
    assert (complaint.booking_id, complaint.customer_id, complaint.type_id, complaint.channel) == (
        booking.pk, booking.customer_id, damage.pk, channel)
    assert complaint.visible_to_customer and complaint.raised_by_kind == "customer"
    assert ComplaintEvent.objects.get(complaint=complaint).channel == channel

    after = text(client.get(response["Location"]))
    assert "Thank you for telling us." in after
    assert "The fence &lt;gate&gt; was left broken." in after and "<gate>" not in after
    assert '<span class="complaint-status">Open</span>' in after


def test_the_page_lists_only_the_customers_own_visible_complaints_with_their_resolution():
    booking = factories.booking(cust=factories.customer(with_login=True))
    staff = factories.staff_actor()
    services.complaint_raise(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                             description="internal: third time this month", visible_to_customer=False)
    shown = services.complaint_raise(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                     description="Late arrival")
    services.complaint_resolve(actor=staff, channel=Channel.GRAPHQL, complaint_id=shown.pk,
                               resolution="We took 10% off.")
    page = text(portal_client(booking.customer).get(f"/portal/bookings/{booking.pk}/"))
    assert "Late arrival" in page and "We took 10% off." in page
    assert "third time this month" not in page


@pytest.mark.parametrize("way", ["portal", "email_link"])
def test_a_post_without_csrf_without_words_or_with_a_bad_type_changes_nothing(way):
    booking = factories.booking(cust=factories.customer(with_login=True))
    client, page_url, post_url = ways(booking, way)
    page = client.get(page_url)
    token = csrf_from(page)
    before = db_state()
    assert client.post(post_url, {"description": "Hello"}).status_code == 403
    empty = client.post(post_url, {"description": "  ", "csrfmiddlewaretoken": token})
    assert empty.status_code == 400 and "Please tell us what went wrong." in text(empty)
    long = client.post(post_url, {"description": "x" * 5001, "csrfmiddlewaretoken": token})
    assert long.status_code == 400 and "At most 5,000 characters." in text(long)
    for bad in ("abc", "987654"):
        wrong = client.post(post_url, {"description": "Broken", "type": bad, "csrfmiddlewaretoken": token})
        assert wrong.status_code == 400 and "Please choose a kind of problem from the list." in text(wrong)
        assert "Broken</textarea>" in text(wrong)  # what they wrote is kept
    assert client.get(post_url).status_code == 405
    assert db_state() == before


def test_someone_elses_booking_is_not_found_and_changes_nothing():
    mine = factories.booking(cust=factories.customer(with_login=True))
    theirs = factories.booking(cust=factories.customer(with_login=True))
    client = portal_client(mine.customer)
    before = db_state()
    response = client.post(f"/portal/bookings/{theirs.pk}/complaint", {"description": "x"})
    missing = client.post("/portal/bookings/987654321/complaint", {"description": "x"})
    assert response.status_code == missing.status_code == 404
    assert db_state() == before
