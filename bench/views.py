"""Floor for the GraphQL benchmark: the same page of bookings as a plain Django JSON view."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import JsonResponse

from core.bookings.models import Booking, BookingAssignment


def serialise(booking: Booking) -> dict:
    customer, prop = booking.customer, booking.property
    return {
        "id": booking.pk,
        "number": booking.number,
        "status": booking.status,
        "scheduledStart": booking.scheduled_start.isoformat(),
        "scheduledEnd": booking.scheduled_end.isoformat(),
        "customer": {"name": customer.name, "email": customer.email, "mobile": customer.mobile},
        "property": {"address": prop.address, "postcode": prop.postcode} if prop else None,
        "lines": [
            {"description": line.description, "quantity": str(line.quantity), "unitPrice": str(line.unit_price)}
            for line in booking.lines.all()
        ],
        "assignments": [
            {"status": a.status, "fieldworker": {"name": a.fieldworker.name}} for a in booking.assignments.all()
        ],
    }


def page(limit: int) -> list[Booking]:
    return list(
        Booking.objects.select_related("customer", "property")
        .prefetch_related("lines", Prefetch("assignments", BookingAssignment.objects.select_related("fieldworker")))
        .order_by("scheduled_start", "id")[:limit]
    )


def plain_bookings_json(request):
    limit = min(int(request.GET.get("first", "10")), 100)
    return JsonResponse({"bookings": [serialise(b) for b in page(limit)]})
