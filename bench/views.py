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


def plain_invoices_json(request):
    """Floor of ``bench/sales.py``: a page of invoices with customer, lines and payments, the paid sum,
    balance and payment status worked out in Python, as a plain Django JSON view."""
    from core.sales.invoice_models import Invoice
    from core.sales.invoice_totals import payment_status

    limit = min(int(request.GET.get("first", "10")), 100)
    rows = []
    for invoice in (Invoice.objects.select_related("customer").prefetch_related("lines", "payments")
                    .order_by("-created_at", "-id")[:limit]):
        paid = sum((payment.amount for payment in invoice.payments.all()), 0)
        rows.append({
            "id": invoice.pk, "number": invoice.number, "status": invoice.status, "total": str(invoice.total),
            "dueDate": invoice.due_date.isoformat() if invoice.due_date else None, "paid": str(paid),
            "balance": str(invoice.total - paid), "paymentStatus": payment_status(invoice.total, paid),
            "customer": {"name": invoice.customer.name},
            "lines": [{"description": line.description, "quantity": str(line.quantity),
                       "unitPrice": str(line.unit_price), "net": str(line.figures.net)}
                      for line in invoice.lines.all()],
            "payments": [{"amount": str(payment.amount), "method": payment.method}
                         for payment in invoice.payments.all()],
        })
    return JsonResponse({"invoices": rows})
