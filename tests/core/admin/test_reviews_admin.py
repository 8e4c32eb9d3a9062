"""Reviews in the Django admin (decision 0632): the company form saves the review settings through
``company_update``; reviews are a read-only list with search and filters whose actions publish and
unpublish through the services (a review without consent is refused per row and nothing changes);
review requests are withdrawn through ``review_request_withdraw``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.company.selectors import get_company
from core.reviews import services as review_services
from core.reviews.models import Review, ReviewRequest
from tests import factories
from tests.core.outreach.support import set_company

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db


def _reviewed(name: str, rating: int, *, may_publish: bool) -> Review:
    staff = factories.staff_actor()
    customer = factories.customer(name=name)
    booking = factories.booking(cust=customer, start=timezone.now() - timedelta(hours=3))
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)
    return review_services.review_submit(actor=Actor.for_customer(customer), channel=Channel.PORTAL,
                                         booking_id=booking.pk, rating=rating, comment=f"From {name}",
                                         may_publish=may_publish)


def test_the_company_form_saves_the_review_settings_through_the_service(browser):
    url = "/admin/company/company/1/change/"
    get_company()
    response = submit(browser, url, "company_form", review_requests_enabled="on", review_request_delay_minutes="60",
                      review_public_min_rating="5")
    assert response.status_code == 302
    company = get_company()
    assert (company.review_requests_enabled, company.review_request_delay_minutes,
            company.review_public_min_rating) == (True, 60, 5)
    before = whole_state()
    assert "review_public_min_rating" in errors_of(submit(browser, url, "company_form", review_public_min_rating="6"))
    assert whole_state() == before


def test_the_list_searches_filters_and_publishes_through_the_services(browser):
    allowed = _reviewed("Ada Allowed", 5, may_publish=True)
    private = _reviewed("Pip Private", 2, may_publish=False)
    page = browser.get("/admin/reviews/review/", {"q": "Ada"})
    assert list(page.context["cl"].queryset) == [allowed]
    page = browser.get("/admin/reviews/review/", {"rating__exact": "2"})
    assert list(page.context["cl"].queryset) == [private]
    assert browser.get("/admin/reviews/review/add/").status_code == 403
    assert browser.post("/admin/reviews/review/", {"action": "publish", "_selected_action": [allowed.pk]}
                        ).status_code == 302
    allowed.refresh_from_db()
    assert allowed.published_at is not None
    before = whole_state()
    browser.post("/admin/reviews/review/", {"action": "publish", "_selected_action": [private.pk]})
    assert whole_state() == before
    browser.post("/admin/reviews/review/", {"action": "unpublish", "_selected_action": [allowed.pk]})
    allowed.refresh_from_db()
    assert allowed.published_at is None


def test_a_pending_request_is_withdrawn_from_the_admin(browser):
    set_company(review_requests_enabled=True)
    staff = factories.staff_actor()
    booking = factories.booking(start=timezone.now() - timedelta(hours=3))
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)
    request = ReviewRequest.objects.get()
    assert browser.post("/admin/reviews/reviewrequest/", {"action": "withdraw", "_selected_action": [request.pk]}
                        ).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.reason) == ("withdrawn", "by_staff")
