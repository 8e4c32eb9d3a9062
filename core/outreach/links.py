"""The one builder and reader of signed booking links (e-mail and SMS).

A token names one booking (id and number) and is signed with ``django.core.signing`` (salted,
timestamped). It grants exactly two things for that booking: viewing it, and opening the
cancel confirmation page (the cancel itself is a POST from that page). It expires
``OUTREACH_LINK_GRACE_HOURS`` after the booking's *current* end, so a rescheduled booking keeps
working links and no link outlives its booking by more than the grace; ``OUTREACH_LINK_MAX_DAYS``
caps any token's age. Payload and salt match the links the SMS side already sent, so those stay
valid (decision 0601).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from core.bookings.models import Booking

from .models import ServiceReminder

BOOKING_SALT = "fieldops.booking.cancel-link"


def _grace() -> timedelta:
    return timedelta(hours=getattr(settings, "OUTREACH_LINK_GRACE_HOURS", 72))


def _max_age() -> timedelta:
    return timedelta(days=getattr(settings, "OUTREACH_LINK_MAX_DAYS", 400))


def booking_token(booking: Booking) -> str:
    return signing.dumps({"b": booking.pk, "n": booking.number}, salt=BOOKING_SALT, compress=True)


def booking_view_url(booking: Booking, token: str | None = None) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/b/{token or booking_token(booking)}/"


def booking_thread_url(booking: Booking, token: str | None = None) -> str:
    """The booking's page opened at its discussion, where the customer reads and answers."""
    return f"{booking_view_url(booking, token)}#discussion"


def booking_cancel_url(booking: Booking, token: str | None = None) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/b/{token or booking_token(booking)}/cancel"


@dataclass(frozen=True)
class LinkProblem:
    code: str  # "invalid" (forged, garbled, other app's token) or "expired"


def read_booking_token(token: str) -> Booking | LinkProblem:
    """The booking a token names, or why it cannot be used. Never raises for bad input."""
    if not token or len(token) > 400:
        return LinkProblem("invalid")
    try:
        data = signing.loads(token, salt=BOOKING_SALT, max_age=_max_age())
    except signing.SignatureExpired:
        return LinkProblem("expired")
    except signing.BadSignature:
        return LinkProblem("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("b"), int) or not isinstance(data.get("n"), int):
        return LinkProblem("invalid")
    booking = Booking.objects.select_related("customer").filter(pk=data["b"], number=data["n"]).first()
    if booking is None:
        return LinkProblem("invalid")
    if timezone.now() > booking.scheduled_end + _grace():
        return LinkProblem("expired")
    return booking


# --- the link of a reminder to book a service again (decision 0625) -----------------------------

BOOK_AGAIN_SALT = "fieldops.service-reminder.book-again"


def _book_again_max_age() -> timedelta:
    return timedelta(days=getattr(settings, "OUTREACH_BOOK_AGAIN_LINK_DAYS", 90))


def book_again_token(reminder: ServiceReminder) -> str:
    return sign({"r": reminder.pk, "c": reminder.customer_id}, salt=BOOK_AGAIN_SALT)


def book_again_url(reminder: ServiceReminder, token: str | None = None) -> str:
    """The page where the customer asks for a new appointment of the reminder's service, signed in by
    the link (as a booking link signs in to its booking)."""
    return f"{settings.FIELDOPS_PUBLIC_URL}/again/{token or book_again_token(reminder)}/"


def read_book_again_token(token: str) -> ServiceReminder | LinkProblem:
    """The ``ServiceReminder`` a token names (customer and service joined), or why the link cannot be
    used. It grants only the booking request form, for that customer. Never raises for bad input."""
    data = read_signed(token, salt=BOOK_AGAIN_SALT, max_age=_book_again_max_age(), keys=("r", "c"))
    if isinstance(data, LinkProblem):
        return data
    reminder = (ServiceReminder.objects.select_related("customer", "service")
                .filter(pk=data["r"], customer_id=data["c"]).first())
    return reminder if reminder is not None else LinkProblem("invalid")


# --- purpose-signed links: one salt and one lifetime per purpose (0625, 0631) ---------------------


def sign(payload: dict[str, int], *, salt: str) -> str:
    """A token for ``payload`` (integer ids), signed and timestamped for one purpose (its ``salt``)."""
    return signing.dumps(payload, salt=salt, compress=True)


def read_signed(token: str, *, salt: str, max_age: timedelta, keys: tuple[str, ...]) -> dict[str, int] | LinkProblem:
    """The payload of a token made by :func:`sign` with ``salt`` when it holds an integer under each
    of ``keys`` and is younger than ``max_age``; else why not (``invalid``, ``expired``). Never raises
    for bad input."""
    if not token or len(token) > 400:
        return LinkProblem("invalid")
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        return LinkProblem("expired")
    except signing.BadSignature:
        return LinkProblem("invalid")
    if not isinstance(data, dict) or not all(isinstance(data.get(key), int) for key in keys):
        return LinkProblem("invalid")
    return data


def portal_login_url(raw_token: str) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/portal/login/{raw_token}/"


def portal_url() -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/portal/"
