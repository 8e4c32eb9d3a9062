"""E-mail content: subject, text and HTML for each kind, rendered from templates.

Rendering happens when the message is delivered, from the booking as it is then; the flag
"customers may cancel" is read at that moment, so a link is only ever printed while it works.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from core.bookings.models import Booking, BookingStatus
from core.company.models import Company

from . import links


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def when(booking: Booking) -> str:
    """The booking's start in its own time zone, e.g. 'Tue 1 Dec 2026, 9:00 AM (Australia/Sydney)'."""
    return local_time(booking, booking.scheduled_start)


def local_time(booking: Booking, moment: datetime) -> str:
    """A moment in the booking's own time zone, e.g. 'Tue 1 Dec 2026, 9:05 AM (Australia/Sydney)'."""
    try:
        tz = zoneinfo.ZoneInfo(booking.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = moment.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a} {local.day} {local:%b %Y}, {hour}:{local:%M %p} ({booking.time_zone})"


def _brand(company: Company) -> dict:
    return {
        "company": company,
        "logo_url": getattr(settings, "OUTREACH_LOGO_URL", ""),
        "portal_url": links.portal_url(),
    }


def _booking_context(booking: Booking, company: Company, *, with_cancel: bool) -> dict:
    token = links.booking_token(booking)
    may_cancel = (with_cancel and company.customers_may_cancel and booking.is_open
                  and booking.scheduled_start > timezone.now())
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


def _render(name: str, subject: str, context: dict) -> Rendered:
    context = {**context, "subject": subject}
    return Rendered(
        subject=subject,
        text=render_to_string(f"outreach/email/{name}.txt", context),
        html=render_to_string(f"outreach/email/{name}.html", context),
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


def portal_link(customer, company: Company, url: str, minutes: int) -> Rendered:
    return _render("portal_link", f"{company.name}: your sign-in link",
                   {**_brand(company), "customer": customer, "login_url": url, "minutes": minutes})
