"""The review pages with the test client (decision 0631): the portal's completed booking offers
"Rate this job" while the company asks for reviews, the portal review page takes the review for the
signed-in customer only, a poor rating thanks without the public link; the public page and feed
show nothing unpublished."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.crm.models import Inquiry
from core.reviews.models import Review
from tests import factories
from tests.core.outreach.support import db_state, deliver, set_company

from .support import link, portal_client

pytestmark = pytest.mark.django_db


def _completed(customer):
    staff = Actor.from_user(factories.staff_user())
    booking = factories.booking(cust=customer, start=timezone.now() - timedelta(hours=3))
    for step in (bookings.booking_confirm, bookings.booking_start, bookings.booking_complete):
        step(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)
    deliver()
    return booking


def test_the_portal_offers_rate_this_job_on_a_completed_booking_only_while_reviews_are_on():
    customer = factories.customer()
    booking = _completed(customer)
    upcoming = factories.booking(cust=customer)
    client = portal_client(customer)
    assert 'id="rate-job"' not in client.get(f"/portal/bookings/{booking.pk}/").content.decode()
    set_company(review_requests_enabled=True, review_public_url="https://reviews.example/acme")
    page = client.get(f"/portal/bookings/{booking.pk}/").content.decode()
    assert f'href="/portal/bookings/{booking.pk}/review"' in page
    assert 'id="rate-job"' not in client.get(f"/portal/bookings/{upcoming.pk}/").content.decode()
    assert 'href="/r/' in client.get(link(booking)).content.decode()  # the booking's link: the review link


def test_a_poor_rating_in_the_portal_reaches_the_inbox_and_offers_no_public_link():
    set_company(review_requests_enabled=True, review_public_url="https://reviews.example/acme")
    customer = factories.customer()
    booking = _completed(customer)
    client = portal_client(customer)
    answer = client.post(f"/portal/bookings/{booking.pk}/review", {"rating": "2", "comment": "Left a mess"})
    assert answer.status_code == 303
    thanks = client.get(answer["Location"]).content.decode()
    assert "Our office will be in touch" in thanks and "reviews.example" not in thanks
    assert Review.objects.get().channel == "portal"
    assert "Left a mess" in Inquiry.objects.get().body


def test_someone_elses_booking_is_not_found_and_an_open_one_cannot_be_rated():
    set_company(review_requests_enabled=True)
    booking = _completed(factories.customer())
    stranger = factories.customer()
    client = portal_client(stranger)
    before = db_state()
    assert client.post(f"/portal/bookings/{booking.pk}/review", {"rating": "5"}).status_code == 404
    assert db_state() == before
    mine = factories.booking(cust=stranger)
    before = db_state()
    answer = client.post(f"/portal/bookings/{mine.pk}/review", {"rating": "5"})
    assert answer.status_code == 400 and "once it is completed" in answer.content.decode()
    assert db_state() == before


def test_the_public_page_and_feed_show_only_published_reviews(client):
    set_company(review_requests_enabled=True)
    customer = factories.customer(name="Kim Lee")
    booking = _completed(customer)
    portal_client(customer).post(f"/portal/bookings/{booking.pk}/review",
                                 {"rating": "4", "comment": "Nice", "may_publish": "1"})
    deliver()
    assert client.get("/reviews/feed.json").json() == {"average": None, "count": 0, "reviews": []}
    assert "No reviews to show yet." in client.get("/reviews/").content.decode()
