"""Reviews from the outside (decisions 0630-0632): staff complete a booking over GraphQL over HTTP,
the real periodic job with the clock past due sends the request once (e-mail, or a text by the
customer's channel), the link opens the review page with the test client, the customer submits,
staff see the review, the timeline row and the fieldworker's rating, publish it and the public page
and feed show it; every refusal answers its error and changes nothing; a page of reviews and of
fieldworkers with ratings costs a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.reviews import services as review_services
from core.reviews.models import Review, ReviewRequest
from core.reviews.tasks import send_due_review_requests
from tests import factories
from tests.core.outreach.support import db_state, deliver, run_job_at, set_company
from tests.graphql_api.conftest import gid
from tests.graphql_api.over_http import gql

pytestmark = pytest.mark.django_db

SUBMIT = """mutation($bookingId: ID!, $rating: Int!, $comment: String!, $mayPublish: Boolean!) {
  submitReview(bookingId: $bookingId, rating: $rating, comment: $comment, mayPublish: $mayPublish) {
    review { id rating comment mayPublish published } errors { code field message } } }"""
PUBLISH = """mutation($id: ID!) { publishReview(id: $id) { review { id published publishedAt }
  errors { code message } } }"""
UNPUBLISH = """mutation($id: ID!) { unpublishReview(id: $id) { review { id published } errors { code } } }"""
WITHDRAW = """mutation($id: ID!) { withdrawReviewRequest(id: $id) { reviewRequest { id status reason }
  errors { code message } } }"""
REVIEWS = """query($filter: ReviewFilter) { reviews(filter: $filter, first: 50) { edges { node {
  id rating comment publicName published booking { number review { rating } }
  customer { name } } } } }"""
REQUESTS = """{ reviewRequests(first: 20) { edges { node { id status reason channel booking { number }
  email { kind status } sms { kind body } } } } }"""
FIELDWORKERS = """{ fieldworkers(first: 20) { edges { node { name ratingAverage ratingCount } } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Booking { history { action } review { rating comment } } } }"""


@pytest.fixture(autouse=True)
def _env(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    mail.outbox = []
    cache.clear()
    set_company(review_requests_enabled=True, review_public_url="https://reviews.example/acme",
                review_public_min_rating=4)
    yield
    cache.clear()


@pytest.fixture
def staff_user(db):
    return factories.staff_user()


def _complete_over_http(user, booking, fieldworker=None) -> None:
    if fieldworker is not None:
        staff = Actor.from_user(user)
        booking_services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        fieldworker_id=fieldworker.pk)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(fieldworker), channel=Channel.TELEGRAM,
                                            booking_id=booking.pk, accept=True)
    for op in ("confirmBooking", "startBooking", "completeBooking"):
        result = gql(user, f"mutation($id: ID!) {{ {op}(id: $id) {{ booking {{ status }} errors {{ code }} }} }}",
                     id=gid("Booking", booking.pk))[op]
        assert result["errors"] == [], result
    deliver()


def _token(text: str) -> str:
    [token] = re.findall(r"https://fieldops\.example/r/([^/\s\"<]+)/", text)
    return token


def test_the_whole_path_by_email_link_then_public(staff_user, monkeypatch):
    worker = factories.fieldworker(name="Sam Worker")
    cust = factories.customer(name="Jane Citizen", preferred_channel="email")
    booking = factories.booking(cust=cust, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking, worker)
    [node] = [e["node"] for e in gql(staff_user, REQUESTS)["reviewRequests"]["edges"]]
    assert (node["status"], node["channel"], node["email"]) == ("PENDING", None, None)
    request = ReviewRequest.objects.get()
    mail.outbox = []
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=1), send_due_review_requests) == 1
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=6), send_due_review_requests) == 0
    [message] = mail.outbox
    token = _token(message.body)
    node = gql(staff_user, REQUESTS)["reviewRequests"]["edges"][0]["node"]
    assert (node["status"], node["channel"], node["email"]) == ("SENT", "EMAIL", {"kind": "review_request",
                                                                                  "status": "sent"})

    client = Client()
    page = client.get(f"/r/{token}/")
    assert page.status_code == 200 and f"How did job #{booking.number} go?" in page.content.decode()
    assert 'name="rating"' in page.content.decode() and 'id="review-may-publish"' in page.content.decode()
    done = client.post(f"/r/{token}/", {"rating": "5", "comment": "Spotless, thank you", "may_publish": "1"})
    assert done.status_code == 303
    thanks = client.get(done["Location"]).content.decode()
    assert "Thank you for your review" in thanks and "https://reviews.example/acme" in thanks

    data = gql(staff_user, HISTORY, id=gid("Booking", booking.pk))["node"]
    assert "review_received" in [row["action"] for row in data["history"]]
    assert data["review"] == {"rating": 5, "comment": "Spotless, thank you"}
    [edge] = gql(staff_user, REVIEWS)["reviews"]["edges"]
    assert (edge["node"]["publicName"], edge["node"]["published"]) == ("Jane C.", False)
    assert gql(staff_user, FIELDWORKERS)["fieldworkers"]["edges"][0]["node"] == {
        "name": "Sam Worker", "ratingAverage": 5.0, "ratingCount": 1}

    assert "Spotless" not in client.get("/reviews/").content.decode()
    published = gql(staff_user, PUBLISH, id=edge["node"]["id"])["publishReview"]
    deliver()  # the commit: the public page's cache is dropped after it
    assert published["errors"] == [] and published["review"]["published"] is True
    public = client.get("/reviews/")
    body = public.content.decode()
    assert public.status_code == 200 and "Spotless, thank you" in body and "Jane C." in body
    assert "Citizen" not in body and cust.email not in body and cust.mobile not in body
    assert "public" in public["Cache-Control"]
    feed = client.get("/reviews/feed.json").json()
    assert feed["average"] == 5.0 and feed["count"] == 1
    [item] = feed["reviews"]
    assert set(item) == {"name", "service", "month", "rating", "comment"} and item["name"] == "Jane C."
    gql(staff_user, UNPUBLISH, id=edge["node"]["id"])
    deliver()
    assert client.get("/reviews/feed.json").json()["count"] == 0


def test_an_sms_customer_is_texted_the_link_once(staff_user, monkeypatch, twilio_sms):
    cust = factories.customer(preferred_channel="sms")
    booking = factories.booking(cust=cust, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    request = ReviewRequest.objects.get()
    twilio_sms.clear()
    mail.outbox = []
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=1), send_due_review_requests) == 1
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=6), send_due_review_requests) == 0
    [text] = twilio_sms
    assert text.to == cust.mobile and f"#{booking.number}" in text.body and mail.outbox == []
    assert Client().get(f"/r/{_token(text.body)}/").status_code == 200
    node = gql(staff_user, REQUESTS)["reviewRequests"]["edges"][0]["node"]
    assert (node["status"], node["channel"], node["sms"]["kind"]) == ("SENT", "SMS", "review")


def test_the_customer_submits_over_graphql_for_their_own_completed_booking_only(staff_user):
    cust = factories.customer(with_login=True)
    booking = factories.booking(cust=cust, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    other = factories.booking(start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, other)
    still_open = factories.booking(cust=cust)
    refusals = [
        (other, 5, "", "not_found"), (still_open, 5, "", "not_reviewable"), (booking, 0, "", "out_of_range"),
        (booking, 6, "", "out_of_range"), (booking, 5, "x" * 2001, "too_long"),
    ]
    gql(cust.user, "{ me { kind } }")
    for target, rating, comment, code in refusals:
        before = db_state()
        result = gql(cust.user, SUBMIT, bookingId=gid("Booking", target.pk), rating=rating, comment=comment,
                     mayPublish=False)["submitReview"]
        assert (result["review"], [e["code"] for e in result["errors"]]) == (None, [code]), (target, rating)
        assert db_state() == before
    result = gql(cust.user, SUBMIT, bookingId=gid("Booking", booking.pk), rating=4, comment="Good",
                 mayPublish=False)["submitReview"]
    assert result["errors"] == [] and result["review"]["rating"] == 4
    review = Review.objects.get()
    before = db_state()
    refused = gql(staff_user, PUBLISH, id=gid("Review", review.pk))["publishReview"]
    assert [e["code"] for e in refused["errors"]] == ["not_publishable"] and db_state() == before
    refused = gql(cust.user, PUBLISH, id=gid("Review", review.pk))["publishReview"]
    assert [e["code"] for e in refused["errors"]] == ["forbidden"] and db_state() == before


def test_tampered_expired_and_late_links(staff_user, monkeypatch, settings):
    from core.reviews import links

    cust = factories.customer(preferred_channel="email")
    booking = factories.booking(cust=cust, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    token = links.review_token(booking)
    client = Client()
    before = db_state()
    tampered = client.post(f"/r/{token[:-2]}xy/", {"rating": "5"})
    assert tampered.status_code == 400 and "not valid" in tampered.content.decode()
    settings.REVIEWS_LINK_DAYS = 0
    expired = client.post(f"/r/{token}/", {"rating": "5"})
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert db_state() == before
    settings.REVIEWS_LINK_DAYS = 60
    for rating, comment, text in (("0", "", "rating from 1 to 5"), ("6", "", "rating from 1 to 5"),
                                  ("5", "a" * 2001, "2000 characters")):
        answer = client.post(f"/r/{token}/", {"rating": rating, "comment": comment})
        assert answer.status_code == 400 and text in answer.content.decode()
        assert db_state() == before
    assert client.post(f"/r/{token}/", {"rating": "3", "comment": "Fine"}).status_code == 303
    review = Review.objects.get()
    later = review.submitted_at + timedelta(days=15)
    monkeypatch.setattr(timezone, "now", lambda: later)
    before = db_state()
    page = client.get(f"/r/{token}/").content.decode()
    assert "You rated it 3 out of 5." in page and 'name="rating"' not in page
    late = client.post(f"/r/{token}/", {"rating": "5"})
    assert late.status_code == 400 and "can no longer be changed" in late.content.decode()
    assert db_state() == before


def test_staff_withdraw_a_pending_request_and_others_are_refused(staff_user, monkeypatch):
    cust = factories.customer(with_login=True, preferred_channel="email")
    booking = factories.booking(cust=cust, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    request = ReviewRequest.objects.get()
    gql(cust.user, "{ me { kind } }")  # signed in before the snapshot
    before = db_state()
    refused = gql(cust.user, WITHDRAW, id=gid("ReviewRequest", request.pk))["withdrawReviewRequest"]
    assert [e["code"] for e in refused["errors"]] == ["forbidden"] and db_state() == before
    done = gql(staff_user, WITHDRAW, id=gid("ReviewRequest", request.pk))["withdrawReviewRequest"]
    assert done["reviewRequest"]["status"] == "WITHDRAWN"
    before = db_state()
    again = gql(staff_user, WITHDRAW, id=gid("ReviewRequest", request.pk))["withdrawReviewRequest"]
    assert [e["code"] for e in again["errors"]] == ["request_not_pending"] and db_state() == before
    mail.outbox = []
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=1), send_due_review_requests) == 0
    assert mail.outbox == []


def test_filters_and_fixed_query_counts(staff_user):
    workers = [factories.fieldworker(name=f"Worker {n}") for n in range(3)]
    kinds = [factories.service(name=f"Service {n}") for n in range(2)]
    for n in range(6):
        cust = factories.customer()
        booking = factories.booking(cust=cust, svc=kinds[n % 2], start=timezone.now() - timedelta(hours=3 + n))
        _complete_over_http(staff_user, booking, workers[n % 3])
        review_services.review_submit(actor=Actor.for_customer(cust), channel=Channel.PORTAL, booking_id=booking.pk,
                                      rating=1 + n % 5, may_publish=n % 2 == 0)
    gql(staff_user, "{ me { kind } }")

    def count(query, **variables) -> int:
        with CaptureQueriesContext(connection) as ctx:
            gql(staff_user, query, **variables)
        return len(ctx.captured_queries)

    page_of_six = count(REVIEWS)
    assert count(REVIEWS, filter={"ratingMax": 2}) == page_of_six
    ratings = {e["node"]["name"]: (e["node"]["ratingAverage"], e["node"]["ratingCount"])
               for e in gql(staff_user, FIELDWORKERS)["fieldworkers"]["edges"]}
    assert ratings == {"Worker 0": (2.5, 2), "Worker 1": (3.5, 2), "Worker 2": (2.0, 2)}
    few = count(FIELDWORKERS)
    for n in range(3):
        factories.fieldworker(name=f"Extra {n}")
    assert count(FIELDWORKERS) == few
    low = gql(staff_user, REVIEWS, filter={"ratingMin": 1, "ratingMax": 2})["reviews"]["edges"]
    assert sorted(e["node"]["rating"] for e in low) == [1, 1, 2]
    by_worker = gql(staff_user, REVIEWS, filter={"fieldworkerId": gid("Fieldworker", workers[0].pk)})
    assert sorted(e["node"]["rating"] for e in by_worker["reviews"]["edges"]) == [1, 4]
    by_service = gql(staff_user, REVIEWS, filter={"serviceId": gid("Service", kinds[1].pk)})
    assert sorted(e["node"]["rating"] for e in by_service["reviews"]["edges"]) == [1, 2, 4]
    unpublished = gql(staff_user, REVIEWS, filter={"published": False})["reviews"]["edges"]
    assert len(unpublished) == 6
    for n in range(3):  # more reviews, with their bookings and customers: the same statements
        cust = factories.customer()
        booking = factories.booking(cust=cust, start=timezone.now() - timedelta(days=2 + n))
        _complete_over_http(staff_user, booking, workers[0])
        review_services.review_submit(actor=Actor.for_customer(cust), channel=Channel.PORTAL, booking_id=booking.pk,
                                      rating=5)
    assert count(REVIEWS) == page_of_six
    assert count(FIELDWORKERS) == few
    future = gql(staff_user, REVIEWS, filter={"submittedFrom": (timezone.now() + timedelta(days=1)).isoformat()})
    assert future["reviews"]["edges"] == []


SETTINGS = """mutation($input: UpdateCompanySettingsInput!) { updateCompanySettings(input: $input) {
  settings { reviewRequestsEnabled reviewRequestDelayMinutes reviewPublicUrl reviewPublicMinRating }
  errors { code field } } }"""
BRAND = """mutation($input: UpdateTradingNameInput!) { updateTradingName(input: $input) {
  tradingName { id reviewUrl } errors { code field } } }"""


def test_staff_set_the_review_settings_and_a_brand_link_wins_for_its_jobs(staff_user):
    from decimal import Decimal

    from core.company import services as company_services
    from core.reviews import selectors
    from core.sales import quotes
    from core.sales.quotes import QuoteLineInput

    set_company(review_requests_enabled=False)
    gql(staff_user, "{ me { kind } }")
    done = gql(staff_user, SETTINGS, input={"reviewRequestsEnabled": True, "reviewRequestDelayMinutes": 30,
                                            "reviewPublicUrl": "https://reviews.example/all",
                                            "reviewPublicMinRating": 5})["updateCompanySettings"]
    assert done == {"settings": {"reviewRequestsEnabled": True, "reviewRequestDelayMinutes": 30,
                                 "reviewPublicUrl": "https://reviews.example/all", "reviewPublicMinRating": 5},
                    "errors": []}
    for bad, field in (({"reviewPublicMinRating": 6}, "reviewPublicMinRating"),
                       ({"reviewRequestDelayMinutes": 20000}, "reviewRequestDelayMinutes"),
                       ({"reviewPublicUrl": "not a link"}, "reviewPublicUrl")):
        before = db_state()
        refused = gql(staff_user, SETTINGS, input=bad)["updateCompanySettings"]
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("invalid", field)]
        assert db_state() == before

    staff = Actor.from_user(staff_user)
    brand = company_services.trading_name_create(actor=staff, channel=Channel.GRAPHQL, name="Gutter Pros")
    set_brand = gql(staff_user, BRAND, input={"id": gid("TradingName", brand.pk),
                                              "reviewUrl": "https://reviews.example/gutters"})["updateTradingName"]
    assert set_brand["tradingName"]["reviewUrl"] == "https://reviews.example/gutters"
    customer = factories.customer()
    svc = factories.service(price=Decimal("90"), tax_rate=Decimal("10"))
    quote = quotes.quote_create(actor=staff, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                trading_name_id=brand.pk, lines=[QuoteLineInput(service_id=svc.pk)],
                                agreed_start=timezone.now() + timedelta(hours=1))
    quotes.quote_send(actor=staff, channel=Channel.GRAPHQL, quote_id=quote.pk, send_email=False)
    quotes.quote_accept(actor=Actor.for_customer(customer), channel=Channel.PORTAL, quote_id=quote.pk)
    quote.refresh_from_db()
    branded = quote.booking
    _complete_over_http(staff_user, branded)
    plain = factories.booking(start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, plain)
    good = review_services.review_submit(actor=Actor.for_customer(customer), channel=Channel.PORTAL,
                                         booking_id=branded.pk, rating=5)
    assert selectors.offers_public_link(good, branded) == "https://reviews.example/gutters"
    fine = review_services.review_submit(actor=Actor.for_customer(plain.customer), channel=Channel.PORTAL,
                                         booking_id=plain.pk, rating=4)
    assert selectors.offers_public_link(fine, plain) == ""  # under the threshold of 5
    best = review_services.review_submit(actor=Actor.for_customer(plain.customer), channel=Channel.PORTAL,
                                         booking_id=plain.pk, rating=5)
    assert selectors.offers_public_link(best, plain) == "https://reviews.example/all"
