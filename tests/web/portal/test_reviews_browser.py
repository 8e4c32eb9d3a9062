"""A review in headless Chromium against the live server (decision 0631): the job is completed, the
real periodic job sends the request e-mail once the clock is past due, the customer opens its link,
picks a rating, writes a comment, allows publishing and sends it without any script; the thank-you
page offers the public review page; staff publish it and the public page shows it. Skips when
Chromium or its driver is absent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.bookings.models import BookingEvent
from core.reviews import services as reviews
from core.reviews.models import Review, ReviewRequest
from core.reviews.tasks import send_due_review_requests
from tests import factories
from tests.core.outreach.support import run_job_at, set_company

from .test_browser import CHROMIUM, DRIVER, _wait_for_text, browser, site  # noqa: F401  the shared fixtures

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_customer_reviews_the_job_from_the_email_link(site, browser, monkeypatch):  # noqa: F811
    from selenium.webdriver.common.by import By

    set_company(review_requests_enabled=True, review_public_url="https://reviews.example/acme")
    staff = Actor.from_user(factories.staff_user())
    booking = factories.booking(cust=factories.customer(name="Robin Browser", preferred_channel="email"),
                                start=timezone.now() - timedelta(hours=3))
    for step in (bookings.booking_confirm, bookings.booking_start, bookings.booking_complete):
        step(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)
    request = ReviewRequest.objects.get()
    mail.outbox = []
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=1), send_due_review_requests) == 1
    [message] = mail.outbox
    url = re.search(r"http://\S+/r/\S+/", message.body).group(0)

    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == f"How did job #{booking.number} go?"
    browser.find_element(By.CSS_SELECTOR, "label[for=rating-5]").click()
    browser.find_element(By.ID, "review-comment").send_keys("Quick and <careful>")
    browser.find_element(By.CSS_SELECTOR, "label[for=review-may-publish]").click()
    browser.find_element(By.ID, "review-submit").click()

    _wait_for_text(browser, "Thank you for your review")
    assert browser.find_element(By.ID, "public-review-link").get_attribute("href") == "https://reviews.example/acme"
    review = Review.objects.get()
    assert (review.rating, review.comment, review.may_publish, review.channel) == (
        5, "Quick and <careful>", True, "email_link")
    assert BookingEvent.objects.filter(booking=booking, action="review_received").count() == 1

    reviews.review_publish(actor=staff, channel=Channel.GRAPHQL, review_id=review.pk)
    browser.get(f"{site.url}/reviews/")
    listed = browser.find_element(By.CSS_SELECTOR, "li.review").text
    assert "Robin B." in listed and "Quick and <careful>" in listed and "Browser" not in listed
