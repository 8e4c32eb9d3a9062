"""Signed booking links for messages the SMS side sends by e-mail.

``core.outreach.links`` is the one builder and reader of booking links (decision 0601); these
delegate to it so every link, whoever sent it, opens the same landing pages.
"""

from __future__ import annotations

from core.bookings.models import Booking
from core.outreach import links as outreach_links


def booking_cancel_url(booking: Booking) -> str:
    return outreach_links.booking_cancel_url(booking)


def read_booking_cancel_token(token: str) -> int | None:
    """The booking id a link's token names, or None if it is forged, garbled or expired."""
    found = outreach_links.read_booking_token(token)
    return found.pk if isinstance(found, Booking) else None
