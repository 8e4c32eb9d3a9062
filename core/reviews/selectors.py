"""Reads of reviews and review requests, scoped per actor, and the public list (decision 0632)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.actors import Actor
from core.bookings.models import AssignmentStatus, Booking, BookingLine
from core.bookings.selectors import visible_bookings
from core.company.selectors import get_company

from .models import Review, ReviewRequest

PUBLIC_CACHE_KEY = "reviews:public:v1"
PUBLIC_CACHE_SECONDS = 10 * 60
PUBLIC_LIMIT = 50


def visible_reviews(actor: Actor) -> QuerySet[Review]:
    """The reviews of the bookings the actor sees (``visible_bookings``): staff every one, a customer
    their own, a fieldworker those of the jobs they are on."""
    if actor.is_staff:
        return Review.objects.all()
    if actor.is_customer:
        return Review.objects.filter(customer_id=actor.customer_id or 0)
    return Review.objects.filter(booking_id__in=visible_bookings(actor).values("pk"))


def visible_review_requests(actor: Actor) -> QuerySet[ReviewRequest]:
    """The office's list (staff only)."""
    return ReviewRequest.objects.all() if actor.is_staff else ReviewRequest.objects.none()


def bookings_with_service(service_id: int) -> QuerySet[BookingLine, Any]:
    """The ids of the bookings with a line of the service (a subquery)."""
    return BookingLine.objects.filter(service_id=service_id).values("booking_id")


def review_of(booking: Booking) -> Review | None:
    return Review.objects.filter(booking_id=booking.pk).first()


# --- a fieldworker's rating: the reviews of the jobs they accepted --------------------------------


def _ratings_of_fieldworker() -> QuerySet[Review, Any]:
    return (Review.objects.filter(booking__assignments__fieldworker_id=OuterRef("pk"),
                                  booking__assignments__status=AssignmentStatus.ACCEPTED)
            .order_by().values("booking__assignments__fieldworker_id"))


def rating_average_expression() -> Subquery:
    """An annotation of ``Fieldworker`` rows: the mean rating of the reviews of their accepted jobs
    (NULL without any), computed in the same statement as the rows."""
    return Subquery(_ratings_of_fieldworker().annotate(value=Avg("rating")).values("value")[:1])


def rating_count_expression() -> Coalesce:
    return Coalesce(Subquery(_ratings_of_fieldworker().annotate(value=Count("pk")).values("value")[:1],
                             output_field=IntegerField()), Value(0))


# --- what the public sees ------------------------------------------------------------------------


def public_name(full_name: str) -> str:
    """'Jane Smith' -> 'Jane S.'; a single name stays as it is; nothing more of the person."""
    parts = (full_name or "").split()
    if not parts:
        return "A customer"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0].upper()}."


def _service_of(booking: Booking) -> str:
    names = [line.service.name for line in booking.lines.all() if line.service_id and line.service is not None]
    return names[0] if names else ""


def public_reviews() -> dict[str, Any]:
    """The published reviews, newest first (at most ``PUBLIC_LIMIT``), each with the first name and
    the initial of the last, the service, the month and year of the job, rating and comment; with
    the average and count of every published review. Kept in the cache until a change of what it
    shows (``forget_public``, after the commit) or ``PUBLIC_CACHE_SECONDS``."""
    found = cache.get(PUBLIC_CACHE_KEY)
    if found is not None:
        return found
    published = Review.objects.filter(published_at__isnull=False)
    summary = published.aggregate(average=Avg("rating"), count=Count("pk"))
    zone = get_company().tz
    rows = (published.select_related("customer", "booking").prefetch_related("booking__lines__service")
            .order_by("-submitted_at", "-pk")[:PUBLIC_LIMIT])
    items = []
    for review in rows:
        done = (review.booking.completed_at or review.booking.scheduled_start).astimezone(zone)
        items.append({"name": public_name(review.customer.name), "service": _service_of(review.booking),
                      "month": f"{done:%B %Y}", "rating": review.rating, "comment": review.comment})
    found = {"average": round(float(summary["average"]), 1) if summary["average"] is not None else None,
             "count": summary["count"], "reviews": items}
    cache.set(PUBLIC_CACHE_KEY, found, PUBLIC_CACHE_SECONDS)
    return found


def forget_public() -> None:
    cache.delete(PUBLIC_CACHE_KEY)


def public_review_link(booking: Booking) -> str:
    """Where a happy customer is sent to review the business in public: the review page of the
    trading name of the quote the job was booked from, else the company's (blank: none)."""
    from core.sales.quote_models import Quote

    quote = Quote.objects.filter(booking_id=booking.pk).select_related("trading_name").first()
    if quote is not None and quote.trading_name.review_url:
        return quote.trading_name.review_url
    return get_company().review_public_url


def offers_public_link(review: Review, booking: Booking) -> str:
    """The public review link to offer after ``review``: when its rating reaches the company's
    threshold and a link is set; else blank."""
    if review.rating < get_company().review_public_min_rating:
        return ""
    return public_review_link(booking)
