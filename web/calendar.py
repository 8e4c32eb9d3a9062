"""Bookings in calendar apps (decision 0143): a fieldworker's subscription feed ``/calendar/<secret>.ics``
and one booking's event for its customer (``.../calendar.ics`` beside the portal and link pages)."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from core.bookings import calendar
from core.company.selectors import get_company

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _ics(body: bytes, filename: str, *, cache_seconds: int = 0) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # a feed's URL is its secret: no shared cache, no referrer; calendar apps poll it themselves
    response["Cache-Control"] = f"private, max-age={cache_seconds}" if cache_seconds else "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "HEAD"])
def feed(request, secret: str):
    fieldworker = calendar.feed_fieldworker(secret)
    if fieldworker is None:
        response = HttpResponse("No such calendar.", status=404, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
    return _ics(calendar.fieldworker_calendar(fieldworker), "jobs.ics", cache_seconds=300)


def booking_ics(request, booking, actor, where):
    """For the portal and booking-link views: the booking (already scoped to the customer) as an event."""
    return _ics(calendar.booking_calendar(booking, get_company().name), f"booking-{booking.number}.ics")
