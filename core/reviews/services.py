"""The only writers of review requests and reviews (decisions 0630-0632). Keyword-only, with
``actor`` and ``channel``.

* A completion schedules one request (``review_request_schedule``, a durable subscriber of the
  completion); the periodic job sends the due ones once by the customer's channel
  (``review_requests_send_due``, through ``outreach.customer_message_queue``); staff withdraw a
  pending one.
* The customer gives the review of their own completed booking and may change it for 14 days
  (``review_submit``); each is a row on the booking's timeline (``review_received``,
  ``review_changed``); a rating of 2 or less is filed in the staff inbox.
* Staff publish what the customer allowed (``review_publish``, ``review_unpublish``); the public
  page's cache is dropped after each commit that changes what it shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import history
from core.bookings.models import Booking, BookingStatus
from core.company.selectors import get_company
from core.crm import services as crm_services
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.outreach import services as outreach
from core.outreach.models import EmailKind
from core.sms import messages as sms_messages
from core.sms import selectors as sms_selectors
from core.sms.models import SmsKind
from core.text import refuse_nul

from . import links, selectors
from .models import Review, ReviewRequest, ReviewRequestStatus

MAX_COMMENT = 2000
POOR_RATING = 2  # this or less reaches the office (the staff inbox)
REQUEST_BATCH = 500


def _system_only(actor: Actor) -> None:
    if not actor.is_system:
        raise PermissionDenied("Only the system schedules and sends review requests.")


def series_gap() -> timedelta:
    """A series asks a customer at most once in this many days (``REVIEWS_SERIES_GAP_DAYS``, 30)."""
    return timedelta(days=getattr(settings, "REVIEWS_SERIES_GAP_DAYS", 30))


# --- requests ------------------------------------------------------------------------------------


def review_request_schedule(*, actor: Actor, channel: Channel, booking_id: int) -> ReviewRequest | None:
    """A completed booking: one request, due the company's delay after the completion. None (nothing
    written) when requests are off, the booking has one or a review already, the customer cannot be
    reached by any channel now (no mobile or address usable, opted out, paused for them or the
    booking), or the booking is an occurrence of a series and the customer was asked within the
    series gap (0630)."""
    _system_only(actor)
    company = get_company()
    if not company.review_requests_enabled:
        return None
    booking = Booking.objects.select_related("customer").filter(pk=booking_id, status=BookingStatus.COMPLETED).first()
    if booking is None or ReviewRequest.objects.filter(booking_id=booking.pk).exists() \
            or Review.objects.filter(booking_id=booking.pk).exists():
        return None
    if not sms_selectors.delivery_plan(booking.customer, booking).channels:
        return None
    completed_at = booking.completed_at or timezone.now()
    if booking.series_id is not None and ReviewRequest.objects.filter(
            customer_id=booking.customer_id, booking__series_id__isnull=False,
            created_at__gt=completed_at - series_gap()).exclude(status=ReviewRequestStatus.WITHDRAWN).exists():
        return None
    try:
        with transaction.atomic():
            return ReviewRequest.objects.create(
                booking=booking, customer_id=booking.customer_id,
                due_at=completed_at + timedelta(minutes=company.review_request_delay_minutes))
    except IntegrityError:  # the same completion handled twice at once: the first row stands
        return None


def review_requests_send_due(*, actor: Actor, channel: Channel, now: datetime | None = None) -> int:
    """Send each pending request that is due by one channel, or skip it with the reason; returns how
    many texts and e-mails were queued. Each is taken locked and still pending and its message
    carries the key ``review_request:<id>``: two workers, or a run twice, queue one message."""
    _system_only(actor)
    now = now or timezone.now()
    due = ReviewRequest.objects.filter(status=ReviewRequestStatus.PENDING, due_at__lte=now)
    queued = 0
    for request_id in list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:REQUEST_BATCH]):
        with transaction.atomic():
            request = (ReviewRequest.objects.select_for_update(of=("self",)).select_related("booking__customer")
                       .filter(pk=request_id, status=ReviewRequestStatus.PENDING).first())
            if request is None:
                continue  # withdrawn, or handled by another run meanwhile
            booking = request.booking
            if Review.objects.filter(booking_id=booking.pk).exists():
                request.status, request.reason = ReviewRequestStatus.SKIPPED, "reviewed"
            elif booking.status != BookingStatus.COMPLETED:
                request.status, request.reason = ReviewRequestStatus.SKIPPED, "not_completed"
            else:
                sent = outreach.customer_message_queue(
                    actor=actor, channel=channel, customer=booking.customer, booking=booking,
                    dedupe_key=f"review_request:{request.pk}", email_kind=EmailKind.REVIEW_REQUEST,
                    sms_kind=SmsKind.REVIEW,
                    sms_body=partial(_request_text, booking))
                request.email, request.sms = sent.email, sent.sms
                if sent.channel:
                    request.status, request.channel = ReviewRequestStatus.SENT, sent.channel
                else:
                    request.status, request.reason = ReviewRequestStatus.SKIPPED, sent.reason
                queued += sent.queued
            request.save(update_fields=["status", "reason", "channel", "email", "sms", "updated_at"])
    return queued


def _request_text(booking: Booking) -> str:
    return sms_messages.review_request(booking.number, get_company(), links.review_url(booking))


def review_request_withdraw(*, actor: Actor, channel: Channel, request_id: int) -> ReviewRequest:
    """Staff call off a pending request; it is never sent."""
    return outreach.scheduled_withdraw(ReviewRequest, request_id, actor=actor, noun="review request",
                                       code="request_not_pending")


# --- reviews -------------------------------------------------------------------------------------


def _rating(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationFailed("rating", "Choose a rating from 1 to 5.", code="required")
    if not 1 <= value <= 5:
        raise ValidationFailed("rating", "Choose a rating from 1 to 5.", code="out_of_range")
    return value


def _comment(value: str | None) -> str:
    comment = refuse_nul((value or "").strip(), "comment")
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("comment", f"At most {MAX_COMMENT} characters.", code="too_long")
    return comment


def review_submit(*, actor: Actor, channel: Channel, booking_id: int, rating: object, comment: str | None = "",
                  may_publish: bool = False) -> Review:
    """The customer reviews their own completed booking, or changes their review within
    ``Review.EDIT_DAYS`` of giving it. A new review is a ``review_received`` row on the booking's
    timeline, a change a ``review_changed`` row (an unchanged resubmission writes nothing). A change
    takes a published review off the public page until staff publish it again. A rating of
    ``POOR_RATING`` or less (given, or changed down to it) is filed in the staff inbox with the
    comment. A pending request of the booking is then not sent (skipped, ``reviewed``)."""
    if not actor.is_customer:
        raise PermissionDenied("Only the customer of the booking reviews it.")
    rating = _rating(rating)
    comment = _comment(comment)
    may_publish = bool(may_publish)
    now = timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id, customer_id=actor.customer_id or 0).first()
        if booking is None:
            raise NotFound("booking", field="bookingId")
        if booking.status != BookingStatus.COMPLETED:
            raise DomainError("not_reviewable", "Only a completed job can be reviewed.", field="bookingId")
        review = Review.objects.filter(booking_id=booking.pk).first()
        if review is None:
            review = Review.objects.create(booking=booking, customer_id=booking.customer_id, rating=rating,
                                           comment=comment, may_publish=may_publish, channel=str(channel),
                                           submitted_at=now, updated_at=now)
            history.record(booking, actor=actor, channel=channel, action="review_received",
                           data={"review_id": review.pk, "rating": rating, "comment": comment[:500],
                                 "may_publish": may_publish})
            was_poor = False
        else:
            if now > review.editable_until():
                raise DomainError("review_locked", f"A review can be changed for {Review.EDIT_DAYS} days after "
                                                   "it was given.", field="bookingId")
            before = {"rating": review.rating, "comment": review.comment, "may_publish": review.may_publish}
            after = {"rating": rating, "comment": comment, "may_publish": may_publish}
            changes = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
            if not changes:
                return review
            was_poor = review.rating <= POOR_RATING
            if review.published_at is not None:
                changes["published"] = (True, False)
            review.rating, review.comment, review.may_publish = rating, comment, may_publish
            review.published_at, review.updated_at = None, now
            review.save(update_fields=["rating", "comment", "may_publish", "published_at", "updated_at"])
            history.record(booking, actor=actor, channel=channel, action="review_changed",
                           changes={key: (old[:500] if isinstance(old, str) else old,
                                          new[:500] if isinstance(new, str) else new)
                                    for key, (old, new) in changes.items()},
                           data={"review_id": review.pk, "rating": rating})
        if rating <= POOR_RATING and not was_poor:
            crm_services.inquiry_open(
                actor=actor, channel=channel, customer_id=booking.customer_id, booking_ids=[booking.pk],
                body=f"Review of job #{booking.number}: {rating} of 5. {comment}".strip())
        ReviewRequest.objects.filter(booking_id=booking.pk, status=ReviewRequestStatus.PENDING).update(
            status=ReviewRequestStatus.SKIPPED, reason="reviewed", updated_at=now)
        transaction.on_commit(selectors.forget_public)
    return review


def _review_for_staff(actor: Actor, review_id: int) -> Review:
    if not actor.is_staff:
        raise PermissionDenied("Only staff publish reviews.")
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotFound("review")
    return review


def review_publish(*, actor: Actor, channel: Channel, review_id: int) -> Review:
    """Show the review on the public page (first name and initial, service, month, rating, comment).
    Only a review the customer allowed; publishing a published one changes nothing."""
    with transaction.atomic():
        review = _review_for_staff(actor, review_id)
        if not review.may_publish:
            raise DomainError("not_publishable", "The customer did not allow this review to be shown publicly.")
        if review.published_at is None:
            review.published_at = timezone.now()
            review.save(update_fields=["published_at"])
            transaction.on_commit(selectors.forget_public)
    return review


def review_unpublish(*, actor: Actor, channel: Channel, review_id: int) -> Review:
    """Take the review off the public page (nothing changes when it is not on it)."""
    with transaction.atomic():
        review = _review_for_staff(actor, review_id)
        if review.published_at is not None:
            review.published_at = None
            review.save(update_fields=["published_at"])
            transaction.on_commit(selectors.forget_public)
    return review
