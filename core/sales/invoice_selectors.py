"""Scoped reads of invoices and payments (decision 0103), and the derived payment figures.

Who sees an invoice: staff every one; a customer their own once issued (drafts and their numbers
are the office's); a fieldworker none, unless the invoice settings let fieldworkers see prices, and
then only the issued or void invoices of bookings they accepted (decision 0832). System: all.
"""

from __future__ import annotations

from datetime import date

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.actors import Actor
from core.bookings.models import BookingAssignment
from core.company.selectors import get_company
from core.money import ZERO, round_money

from .invoice_models import Invoice, InvoiceEvent, InvoiceSettings, InvoiceStatus, Payment


def get_settings() -> InvoiceSettings:
    row = InvoiceSettings.objects.filter(pk=1).first()
    if row is None:
        row, _ = InvoiceSettings.objects.get_or_create(pk=1)
    return row


def visible_invoices(actor: Actor, *, settings: InvoiceSettings | None = None) -> QuerySet[Invoice]:
    qs = Invoice.objects.all()
    if actor.is_staff or actor.is_system:
        return qs
    if actor.is_customer and actor.customer_id is not None:
        return qs.filter(customer_id=actor.customer_id).exclude(status=InvoiceStatus.DRAFT)
    if actor.is_fieldworker and actor.fieldworker_id is not None:
        if not (settings or get_settings()).fieldworkers_see_prices:
            return qs.none()
        accepted = BookingAssignment.objects.filter(fieldworker_id=actor.fieldworker_id, status="accepted")
        return qs.filter(booking_id__in=accepted.values("booking_id")).exclude(status=InvoiceStatus.DRAFT)
    return qs.none()


def visible_payments(actor: Actor) -> QuerySet[Payment]:
    qs = Payment.objects.all()
    if actor.is_staff or actor.is_system:
        return qs
    return qs.filter(invoice_id__in=visible_invoices(actor).values("pk"))


def visible_history(actor: Actor) -> QuerySet[InvoiceEvent]:
    """The office's record: staff only."""
    return InvoiceEvent.objects.all() if (actor.is_staff or actor.is_system) else InvoiceEvent.objects.none()


def paid_subquery():
    money = DecimalField(max_digits=12, decimal_places=2)
    paid = (Payment.objects.filter(invoice_id=OuterRef("pk")).order_by().values("invoice_id")
            .annotate(sum=Sum("amount")).values("sum"))
    return Coalesce(Subquery(paid, output_field=money), Value(ZERO, output_field=money), output_field=money)


def with_paid(qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice with ``paid_amount``: the sum of its payments, in the same query."""
    return qs.annotate(paid_amount=paid_subquery())


def today() -> date:
    return timezone.now().astimezone(get_company().tz).date()


def overdue(qs: QuerySet[Invoice], *, on: date | None = None) -> QuerySet[Invoice]:
    """Issued, past the due date, with something left to pay (``qs`` from :func:`with_paid`)."""
    from django.db.models import F

    return qs.filter(status=InvoiceStatus.ISSUED, due_date__lt=on or today(), total__gt=F("paid_amount"))


def paid_of(invoice: Invoice):
    """What was paid on ``invoice``: its annotation when read with :func:`with_paid`, else a sum."""
    paid = getattr(invoice, "paid_amount", None)
    if paid is not None:
        return round_money(paid)  # SQLite's sum drops the scale: 100 is 100.00
    prefetched = getattr(invoice, "_prefetched_objects_cache", {}).get("payments")
    if prefetched is not None:
        return sum((payment.amount for payment in prefetched), ZERO)
    return Payment.objects.filter(invoice_id=invoice.pk).aggregate(sum=Sum("amount"))["sum"] or ZERO
