"""E-mail content: subject, text and HTML for each kind, rendered from templates.

Rendering happens when the message is delivered, from the booking as it is then; what the
customer may do (``policy.customer_options``) is read at that moment, so a link is only ever
printed while it works. Times are on the wall clock of the booking's zone (``zones.zone_of``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from core.actors import Channel
from core.bookings import policy, zones
from core.bookings import series as booking_series
from core.bookings.models import Booking, BookingStatus
from core.company.models import Company

from . import links


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (file name, content, MIME type)
    sender_name: str = ""  # the display name of From (a trading name's); the address stays DEFAULT_FROM_EMAIL's
    reply_to: str = ""  # where an answer goes when the e-mail is about no booking (a trading name's address)
    # "Name <address>" of the brand's own address: the From once its domain is a verified sending
    # domain (decision 0641); until then the From stays as above
    from_address: str = ""


def when(booking: Booking) -> str:
    """The booking's start in its own time zone, e.g. 'Tue 1 Dec 2026, 9:00 AM (Australia/Sydney)'."""
    return local_time(booking, booking.scheduled_start)


def local_time(booking: Booking, moment: datetime) -> str:
    """A moment in the booking's own time zone, e.g. 'Tue 1 Dec 2026, 9:05 AM (Australia/Sydney)'."""
    tz = zones.zone_of(booking)
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a} {local.day} {local:%b %Y}, {hour}:{local:%M %p} ({tz.key})"


def _brand(company: Company) -> dict:
    return {
        "company": company,
        "logo_url": getattr(settings, "OUTREACH_LOGO_URL", ""),
        "portal_url": links.portal_url(),
    }


def _may_cancel(booking: Booking, company: Company) -> bool:
    return policy.customer_options(booking, channel=Channel.EMAIL_LINK, company=company, now=timezone.now()).cancel


def _booking_context(booking: Booking, company: Company, *, with_cancel: bool) -> dict:
    token = links.booking_token(booking)
    may_cancel = with_cancel and _may_cancel(booking, company)
    return {
        **_brand(company),
        "booking": booking,
        "customer": booking.customer,
        "when": when(booking),
        "lines": list(booking.lines.all()),
        "address": booking.property.address if booking.property_id else "",
        "view_url": links.booking_view_url(booking, token),
        "cancel_url": links.booking_cancel_url(booking, token) if may_cancel else "",
        "cancelled": booking.status == BookingStatus.CANCELLED,
    }


def own_address(name: str, address: str) -> str:
    """The brand's own From (``Name <address>``), '' without an address."""
    return formataddr((name, address)) if address else ""


def _render(name: str, subject: str, context: dict) -> Rendered:
    context = {**context, "subject": subject}
    company = context.get("company")
    return Rendered(
        subject=subject,
        text=render_to_string(f"outreach/email/{name}.txt", context),
        html=render_to_string(f"outreach/email/{name}.html", context),
        from_address=own_address(company.name, company.email) if company is not None else "",
    )


def confirmation(booking: Booking, company: Company) -> Rendered:
    return _render("confirmation", f"{company.name}: booking #{booking.number} on {when(booking)}",
                   _booking_context(booking, company, with_cancel=True))


def reminder(booking: Booking, company: Company) -> Rendered:
    return _render("reminder", f"{company.name}: reminder of booking #{booking.number} on {when(booking)}",
                   _booking_context(booking, company, with_cancel=True))


def cancellation(booking: Booking, company: Company) -> Rendered:
    context = _booking_context(booking, company, with_cancel=False)
    context["fee"] = booking.cancellation_fee if booking.cancellation_fee else None
    return _render("cancellation", f"{company.name}: booking #{booking.number} is cancelled", context)


def comment(booking: Booking, comment, company: Company) -> Rendered:
    """A message from staff or a fieldworker in the booking's discussion, with a signed link straight
    to the thread (the booking link and its ``#discussion`` anchor), where the customer answers."""
    context = _booking_context(booking, company, with_cancel=False)
    context.update({
        "comment": comment,
        "written_at": local_time(booking, comment.created_at),
        "thread_url": f"{context['view_url']}#discussion",  # links.booking_thread_url, same token
    })
    return _render("comment", f"{company.name}: a message about booking #{booking.number}", context)


def _occurrences(bookings: Sequence[Booking], company: Company, *, with_cancel: bool) -> list[dict]:
    out = []
    for booking in bookings:
        token = links.booking_token(booking)
        out.append({"booking": booking, "when": when(booking), "view_url": links.booking_view_url(booking, token),
                    "cancel_url": links.booking_cancel_url(booking, token)
                    if with_cancel and _may_cancel(booking, company) else ""})
    return out


def _series_context(first: Booking, bookings: Sequence[Booking], company: Company, *, with_cancel: bool) -> dict:
    return {
        **_brand(company),
        "booking": first,
        "customer": first.customer,
        "address": first.property.address if first.property_id else "",
        "lines": list(first.lines.all()),
        "occurrences": _occurrences(bookings, company, with_cancel=with_cancel),
    }


def series_confirmation(first: Booking, company: Company) -> Rendered:
    """One e-mail for a new series: every booked date (each with its own links), and whether more
    follow; not one confirmation per occurrence (decision 0621)."""
    bookings = booking_series.notice_occurrences(first, cancelled=False)
    context = _series_context(first, bookings, company, with_cancel=True)
    context["continues"] = bool(bookings) and booking_series.continues_after(first.series, bookings[-1].series_date)
    return _render("series_confirmation", f"{company.name}: your recurring booking, {len(bookings)} dates from "
                                          f"{when(bookings[0]) if bookings else when(first)}", context)


def series_cancellation(first: Booking, company: Company) -> Rendered:
    """One e-mail for the occurrences of a series cancelled together."""
    bookings = booking_series.notice_occurrences(first, cancelled=True)
    context = _series_context(first, bookings, company, with_cancel=False)
    return _render("series_cancellation", f"{company.name}: your recurring booking is cancelled "
                                          f"({len(bookings)} dates)", context)


def portal_link(customer, company: Company, url: str, minutes: int) -> Rendered:
    return _render("portal_link", f"{company.name}: your sign-in link",
                   {**_brand(company), "customer": customer, "login_url": url, "minutes": minutes})


def cancel_links(customer, bookings: Sequence[Booking], company: Company) -> Rendered:
    """After a bare CANCEL by SMS (a carrier opt-out word): a link per open booking to cancel it."""
    items = [{"booking": b, "when": when(b), "cancel_url": links.booking_cancel_url(b)} for b in bookings]
    return _render("cancel_links", f"{company.name}: cancel your booking?",
                   {**_brand(company), "customer": customer, "items": items})


def service_reminder(reminder, company: Company) -> Rendered:
    """'Time to book again': the service, the day it was last done (in the booking's zone) and a
    signed link to ask for a new appointment of it (decision 0625)."""
    done = reminder.completed_at.astimezone(zones.zone_of(reminder.booking))
    context = {
        **_brand(company),
        "customer": reminder.customer,
        "service": reminder.service,
        "done_on": f"{done:%A} {done.day} {done:%B %Y}",
        "book_url": links.book_again_url(reminder),
    }
    return _render("service_reminder", f"{company.name}: time to book your {reminder.service.name} again", context)
