"""Signed links for e-mails (the landing pages are the web front's)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

CANCEL_SALT = "fieldops.booking.cancel-link"


def booking_cancel_token(booking_id: int, booking_number: int) -> str:
    return signing.dumps({"b": booking_id, "n": booking_number}, salt=CANCEL_SALT, compress=True)


def read_booking_cancel_token(token: str, *, max_age: int | None = None) -> int | None:
    """The booking id a cancel token was made for, or None if it is forged or too old."""
    try:
        data = signing.loads(token, salt=CANCEL_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    booking_id = data.get("b") if isinstance(data, dict) else None
    return booking_id if isinstance(booking_id, int) else None


def booking_cancel_url(booking_id: int, booking_number: int) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/b/{booking_cancel_token(booking_id, booking_number)}/cancel"
