"""Review requests and reviews against the services (decisions 0630-0632): scheduled once per
completed booking and not for an unreachable customer or a series asked lately, sent once by one
channel, withdrawn by staff; the review given, changed within 14 days, a poor one filed in the
inbox, published only with consent. Every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.bookings.models import BookingEvent
from core.crm.models import Inquiry
from core.reviews import services
from core.reviews.models import Review, ReviewRequest
from core.reviews.tasks import send_due_review_requests
from tests import factories
from tests.core.outreach.support import deliver, run_job_at, set_company
from tests.core.support import assert_refused

pytestmark = pytest.mark.django_db
S = Channel.GRAPHQL


@pytest.fixture(autouse=True)
def _env(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    mail.outbox = []
    set_company(review_requests_enabled=True)


def _complete(staff_actor, booking):
    bookings.booking_confirm(actor=staff_actor, channel=S, booking_id=booking.pk)
    bookings.booking_start(actor=staff_actor, channel=S, booking_id=booking.pk)
    bookings.booking_complete(actor=staff_actor, channel=S, booking_id=booking.pk)
    deliver()
    booking.refresh_from_db()
    return booking


def _done(staff_actor, **customer):
    cust = factories.customer(**customer)
    return _complete(staff_actor, factories.booking(cust=cust, start=timezone.now() - timedelta(hours=3)))



# --- requests -----------------------------------------------------------------------------------


def test_a_completion_schedules_one_request_due_after_the_delay(staff_actor):
    set_company(review_requests_enabled=True, review_request_delay_minutes=90)
    booking = _done(staff_actor)
    request = ReviewRequest.objects.get()
    assert (request.booking_id, request.customer_id, request.status) == (booking.pk, booking.customer_id, "pending")
    assert request.due_at == booking.completed_at + timedelta(minutes=90)
    # the same completion handled again writes nothing
    assert services.review_request_schedule(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk) is None
    assert ReviewRequest.objects.count() == 1


def test_no_request_when_switched_off_or_the_customer_cannot_be_reached(staff_actor):
    set_company(review_requests_enabled=False)
    _done(staff_actor)
    set_company(review_requests_enabled=True)
    _done(staff_actor, email="", mobile="")
    assert ReviewRequest.objects.count() == 0


def test_a_series_asks_a_customer_once_within_the_gap(staff_actor):
    from core.bookings.models import BookingSeries

    cust = factories.customer()
    first = factories.booking(cust=cust, start=timezone.now() - timedelta(days=8))
    second = factories.booking(cust=cust, start=timezone.now() - timedelta(days=1))
    alone = factories.booking(cust=cust, start=timezone.now() - timedelta(hours=5))
    series = BookingSeries.objects.create(
        customer=cust, rule="FREQ=WEEKLY;COUNT=2", start_date=first.scheduled_start.date(),
        start_time=first.scheduled_start.time(), duration_minutes=120, time_zone="UTC")
    for b in (first, second):
        b.series, b.series_date = series, b.scheduled_start.date()
        b.save(update_fields=["series", "series_date"])
    for b in (first, second, alone):
        _complete(staff_actor, b)
    # the second occurrence is within 30 days of the first's request; a job of its own is asked
    assert set(ReviewRequest.objects.values_list("booking_id", flat=True)) == {first.pk, alone.pk}


def test_the_job_sends_a_due_request_once_by_email_with_the_link(staff_actor, monkeypatch):
    booking = _done(staff_actor, preferred_channel="email")
    request = ReviewRequest.objects.get()
    mail.outbox = []
    assert run_job_at(monkeypatch, request.due_at - timedelta(minutes=1), send_due_review_requests) == 0
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=1), send_due_review_requests) == 1
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=6), send_due_review_requests) == 0
    [message] = mail.outbox
    assert f"job #{booking.number}" in message.subject and "https://fieldops.example/r/" in message.body
    request.refresh_from_db()
    assert (request.status, request.channel, request.email.kind) == ("sent", "email", "review_request")


def test_the_booking_pause_holds_the_request_back(staff_actor, monkeypatch):
    booking = _done(staff_actor, preferred_channel="email")
    bookings.booking_set_automation(actor=staff_actor, channel=S, booking_id=booking.pk, email_paused=True,
                                    sms_paused=True)
    mail.outbox = []
    request = ReviewRequest.objects.get()
    assert run_job_at(monkeypatch, request.due_at + timedelta(minutes=1), send_due_review_requests) == 0
    request.refresh_from_db()
    assert (request.status, request.reason, mail.outbox) == ("skipped", "paused_for_booking", [])


def test_a_reviewed_job_is_not_asked_and_a_withdrawn_request_is_not_sent(staff_actor, monkeypatch):
    booking = _done(staff_actor)
    services.review_submit(actor=Actor.for_customer(booking.customer), channel=Channel.PORTAL,
                           booking_id=booking.pk, rating=5)
    request = ReviewRequest.objects.get()
    assert (request.status, request.reason) == ("skipped", "reviewed")
    other = _done(staff_actor)
    pending = ReviewRequest.objects.get(booking=other)
    services.review_request_withdraw(actor=staff_actor, channel=S, request_id=pending.pk)
    mail.outbox = []
    assert run_job_at(monkeypatch, pending.due_at + timedelta(minutes=1), send_due_review_requests) == 0
    assert mail.outbox == []
    assert_refused(lambda: services.review_request_withdraw(actor=staff_actor, channel=S, request_id=pending.pk),
             "request_not_pending")
    assert_refused(lambda: services.review_request_withdraw(actor=Actor.for_customer(other.customer), channel=S,
                                                      request_id=pending.pk), "forbidden")


# --- reviews ------------------------------------------------------------------------------------


def test_a_review_is_a_timeline_row_and_a_change_another(staff_actor):
    booking = _done(staff_actor)
    customer = Actor.for_customer(booking.customer)
    review = services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=4,
                                    comment=" Tidy work ", may_publish=True)
    assert (review.rating, review.comment, review.may_publish) == (4, "Tidy work", True)
    services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=4,
                           comment="Tidy work", may_publish=True)  # the same again: nothing new
    services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=5,
                           comment="Tidy work", may_publish=True)
    rows = list(BookingEvent.objects.filter(booking=booking, action__startswith="review").values_list("action",
                                                                                                       "changes"))
    assert rows == [("review_received", {}), ("review_changed", {"rating": [4, 5]})]
    assert Review.objects.get().rating == 5


def test_a_poor_rating_is_filed_in_the_inbox_once(staff_actor):
    booking = _done(staff_actor)
    customer = Actor.for_customer(booking.customer)
    services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=2,
                           comment="Late and messy")
    services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=1,
                           comment="Late and messy")
    [inquiry] = Inquiry.objects.all()
    assert inquiry.customer_id == booking.customer_id and "2 of 5" in inquiry.body and "Late and messy" in inquiry.body
    assert list(inquiry.bookings.all()) == [booking]


@pytest.mark.parametrize(("rating", "comment", "code"), [
    (0, "", "out_of_range"), (6, "", "out_of_range"), ("x", "", "required"), (5, "a" * 2001, "too_long"),
    (5, "nul\x00", "invalid_characters"),
])
def test_bad_input_is_refused_and_changes_nothing(staff_actor, rating, comment, code):
    booking = _done(staff_actor)
    assert_refused(lambda: services.review_submit(actor=Actor.for_customer(booking.customer), channel=Channel.PORTAL,
                                            booking_id=booking.pk, rating=rating, comment=comment), code)


def test_someone_elses_or_an_open_booking_or_staff_areassert_refused(staff_actor):
    booking = _done(staff_actor)
    stranger = Actor.for_customer(factories.customer())
    assert_refused(lambda: services.review_submit(actor=stranger, channel=Channel.PORTAL, booking_id=booking.pk,
                                            rating=5), "not_found")
    open_booking = factories.booking(cust=booking.customer)
    assert_refused(lambda: services.review_submit(actor=Actor.for_customer(booking.customer), channel=Channel.PORTAL,
                                            booking_id=open_booking.pk, rating=5), "not_reviewable")
    assert_refused(lambda: services.review_submit(actor=staff_actor, channel=S, booking_id=booking.pk, rating=5),
             "forbidden")


def test_a_review_is_changed_only_within_14_days(staff_actor, monkeypatch):
    booking = _done(staff_actor)
    customer = Actor.for_customer(booking.customer)
    review = services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=3)
    later = review.submitted_at + timedelta(days=14, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert_refused(lambda: services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk,
                                            rating=5), "review_locked")


def test_publishing_needs_consent_and_a_change_unpublishes(staff_actor):
    booking = _done(staff_actor)
    customer = Actor.for_customer(booking.customer)
    private = services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=5)
    assert_refused(lambda: services.review_publish(actor=staff_actor, channel=S, review_id=private.pk), "not_publishable")
    assert_refused(lambda: services.review_publish(actor=customer, channel=S, review_id=private.pk), "forbidden")
    services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=5, may_publish=True)
    assert services.review_publish(actor=staff_actor, channel=S, review_id=private.pk).published_at is not None
    services.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=4, may_publish=True)
    assert Review.objects.get().published_at is None
    assert services.review_unpublish(actor=staff_actor, channel=S, review_id=private.pk).published_at is None
