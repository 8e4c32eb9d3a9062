"""The words of the automated SMS. Short, GSM-7, at most two segments (``text.fit``).

Times are on the wall clock of the booking's zone (``core.bookings.zones``); the reply words
offered are those the customer may use (``core.bookings.policy.customer_options``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from core.actors import Channel
from core.bookings import policy, zones
from core.bookings.models import Booking
from core.company.models import Company

from .text import MAX_SEGMENTS, MULTI_SEGMENT, fit, septets, to_gsm7


def _clock(local: datetime) -> str:
    hour = local.strftime("%I").lstrip("0")
    return f"{hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def _day(local: datetime) -> str:
    return f"{local:%a} {local.day} {local:%b}"


def when(booking: Booking) -> str:
    """'Tue 3 Mar 2:00pm' in the booking's zone."""
    local = zones.local(booking.scheduled_start, booking)
    return f"{_day(local)} {_clock(local)}"


def _name(company: Company) -> str:
    return company.name[:40]


def reply_options(booking: Booking, company: Company, *, now: datetime | None = None) -> str:
    """The reply words the customer may use now; a word the service would refuse is not offered."""
    options = policy.customer_options(booking, channel=Channel.SMS, company=company, now=now or timezone.now())
    words = []
    if options.confirm:
        words.append("YES to confirm")
    if options.cancel:
        # "CANCEL <number>", never a bare CANCEL: a bare CANCEL is a carrier opt-out word.
        words.append(f"CANCEL {booking.number} to cancel")
    if not words:
        return "Reply to send us a message."
    if len(words) == 1:
        return f"Reply {words[0]} or send us a message."
    return f"Reply {', '.join(words)}, or send us a message."


def confirmation(booking: Booking, company: Company) -> str:
    return fit(f"{_name(company)}: booking #{booking.number} is set for {when(booking)}. "
               f"{reply_options(booking, company)} STOP to opt out.")


def reminder(booking: Booking, company: Company) -> str:
    return fit(f"{_name(company)}: reminder, booking #{booking.number} is on {when(booking)}. "
               f"{reply_options(booking, company)}")


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


# --- a series: one text for all its dates -------------------------------------------------------


def _listed(head: str, items: Sequence[str], tail: str) -> str:
    """``head`` + as many of ``items`` as two segments hold (then "and N more") + ``tail``."""
    limit = MULTI_SEGMENT * MAX_SEGMENTS
    for shown in range(len(items), 0, -1):
        rest = len(items) - shown
        listed = ", ".join(items[:shown]) + (f" and {rest} more" if rest else "")
        text = to_gsm7(f"{head}{listed}{tail}")
        if septets(text) <= limit:
            return text
    return fit(f"{head}{items[0] if items else ''}{tail}")


def _dates(bookings: Sequence[Booking]) -> tuple[list[str], str]:
    """Each occurrence's day, and " at 2:00pm" when they all share the clock time (else each day
    carries its own time)."""
    local = [zones.local(booking.scheduled_start, booking) for booking in bookings]
    clocks = {_clock(moment) for moment in local}
    if len(clocks) == 1:
        return [_day(moment) for moment in local], f" at {clocks.pop()}"
    return [f"{_day(moment)} {_clock(moment)}" for moment in local], ""


def series_confirmation(bookings: Sequence[Booking], company: Company, *, continues: bool) -> str:
    """One text for a new series: its booked dates, not one confirmation per occurrence."""
    days, at = _dates(bookings)
    count = f"{len(bookings)} bookings are" if len(bookings) > 1 else "booking is"
    more = " More dates follow as the series goes on." if continues else ""
    return _listed(f"{_name(company)}: your recurring {count} set{at}: ", days,
                   f".{more} We will remind you before each visit. STOP to opt out.")


def series_cancellation(bookings: Sequence[Booking], company: Company) -> str:
    """One text for the occurrences of a series cancelled together."""
    days, at = _dates(bookings)
    contact = f" Questions? Call {company.phone}." if company.phone else ""
    return _listed(f"{_name(company)}: your recurring booking{at} is cancelled for ", days, f".{contact}")


def book_again(service_name: str, done_on: str, company: Company, url: str) -> str:
    """A reminder to book a service again (decision 0625): the service, when it was last done and the
    signed link to ask for a new appointment. The link is never cut; a long service name is."""
    tail = f" is due again (last done {done_on}). Book it: {url} STOP to opt out."
    head = f"{_name(company)}: your "
    room = MULTI_SEGMENT * MAX_SEGMENTS - septets(to_gsm7(head + tail))
    name = to_gsm7(service_name.strip())
    while name and septets(name) > room:
        name = name[:-1]
    return to_gsm7(f"{head}{name.rstrip()}{tail}")


def review_request(booking_number: int, company: Company, url: str) -> str:
    """A request for a review of a completed job (decision 0630): the booking's number and the signed
    link to the review page, whole."""
    return fit(to_gsm7(f"{_name(company)}: how did job #{booking_number} go? Rate it: {url} STOP to opt out."))
