"""The signed link of a review request (decision 0631): it names one booking and its customer, for
its own purpose (salt) and lifetime (``REVIEWS_LINK_DAYS``, 60 days), through outreach's one signer
of purpose links. It grants the review page of that booking only: giving the review, changing it in
its first 14 days, then reading it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from core.bookings.models import Booking
from core.outreach.links import LinkProblem, read_signed, sign

REVIEW_SALT = "fieldops.review.link"


def _max_age() -> timedelta:
    return timedelta(days=getattr(settings, "REVIEWS_LINK_DAYS", 60))


def review_token(booking: Booking) -> str:
    return sign({"b": booking.pk, "c": booking.customer_id}, salt=REVIEW_SALT)


def review_url(booking: Booking, token: str | None = None) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/r/{token or review_token(booking)}/"


def read_review_token(token: str) -> Booking | LinkProblem:
    """The booking a review link names (its customer joined), or why the link cannot be used
    (``invalid``: forged, garbled, another purpose's, or the booking changed hands; ``expired``).
    Never raises for bad input."""
    data = read_signed(token, salt=REVIEW_SALT, max_age=_max_age(), keys=("b", "c"))
    if isinstance(data, LinkProblem):
        return data
    booking = Booking.objects.select_related("customer").filter(pk=data["b"], customer_id=data["c"]).first()
    return booking if booking is not None else LinkProblem("invalid")
