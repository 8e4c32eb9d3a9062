"""The words of the automated SMS. Short, GSM-7, at most two segments (``text.fit``)."""

from __future__ import annotations

import zoneinfo

from core.bookings.models import Booking
from core.company.models import Company

from .text import MAX_SEGMENTS, MULTI_SEGMENT, fit, septets, to_gsm7


def when(booking: Booking) -> str:
    try:
        tz = zoneinfo.ZoneInfo(booking.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = booking.scheduled_start.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a} {local.day} {local:%b} {hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def _name(company: Company) -> str:
    return company.name[:40]


def reply_options(booking: Booking) -> str:
    # "CANCEL <number>", never a bare CANCEL: a bare CANCEL is a carrier opt-out word.
    return f"Reply YES to confirm, CANCEL {booking.number} to cancel, or send us a message."


def confirmation(booking: Booking, company: Company) -> str:
    return fit(f"{_name(company)}: booking #{booking.number} is set for {when(booking)}. "
               f"{reply_options(booking)} STOP to opt out.")


def reminder(booking: Booking, company: Company) -> str:
    return fit(f"{_name(company)}: reminder, booking #{booking.number} is on {when(booking)}. "
               f"{reply_options(booking)}")


def cancellation(booking: Booking, company: Company) -> str:
    fee = f" A cancellation fee of {booking.cancellation_fee} {company.currency} applies." \
        if booking.cancellation_fee else ""
    contact = f" Questions? Call {company.phone}." if company.phone else ""
    return fit(f"{_name(company)}: booking #{booking.number} on {when(booking)} is cancelled.{fee}{contact}")


def comment(booking: Booking, author_name: str, body: str, company: Company, thread_url: str) -> str:
    """A discussion message as a text: who wrote it about which booking, and the words. A reply to
    the text lands in the same discussion. Too long for two segments: cut, with the signed link to
    the whole conversation (``thread_url``) in place of the rest."""
    head = f"{_name(company)}, booking #{booking.number}, {author_name[:40]}: "
    whole = fit(f"{head}{body.strip()} (Reply to this text to answer.)")
    if not whole.endswith("..."):
        return whole
    tail = f"... Read all and answer: {thread_url}"
    room = MULTI_SEGMENT * MAX_SEGMENTS - septets(to_gsm7(tail))
    text = to_gsm7(f"{head}{body.strip()}")
    while septets(text) > room:
        text = text[:-1]
    return fit(text.rstrip() + tail)
