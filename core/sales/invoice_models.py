"""Invoices, their lines, payments, history and e-mails, and the invoicing settings (issue 18).

An invoice's figures are sums of its lines' figures (``invoice_totals``); the stored ``subtotal``,
``tax_total``, ``discount_total`` and ``total`` are written only by ``invoices._recalculate`` in the
same transaction as the lines, and what was paid, the balance and the payment status are never
stored: they are read from the payments each time (decision 0831).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnly

from . import invoice_totals

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class AutoInvoice(models.TextChoices):
    OFF = "off", "Off: staff make the invoice by hand"
    DRAFT = "draft", "Make a draft invoice"
    ISSUE = "issue", "Make the invoice and issue it (e-mailed to the customer)"


class InvoiceSettings(models.Model):
    """How the business invoices. One row (pk=1): ``invoice_selectors.get_settings``."""

    on_completion = models.CharField(
        max_length=5, choices=AutoInvoice.choices, default=AutoInvoice.OFF,
        help_text="What happens when a booking is completed.")
    on_cancellation_fee = models.CharField(
        max_length=5, choices=AutoInvoice.choices, default=AutoInvoice.OFF,
        help_text="What happens when a booking is cancelled with a fee charged.")
    payment_terms_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days from issue to the due date, unless an invoice says otherwise.")
    reminder_interval_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days between overdue reminders (the first goes once the due date has passed).")
    reminder_limit = models.PositiveSmallIntegerField(
        default=3, help_text="At most this many overdue reminders per invoice (0: none).")
    fieldworkers_see_prices = models.BooleanField(
        default=False, help_text="Fieldworkers may read the invoices of the jobs they accepted.")

    class Meta:
        verbose_name = "invoice settings"
        verbose_name_plural = "invoice settings"

    def __str__(self) -> str:
        return "Invoice settings"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"


class InvoiceSource(models.TextChoices):
    MANUAL = "manual", "Made by hand"
    BOOKING = "booking", "A completed booking"
    CANCELLATION_FEE = "cancellation_fee", "A cancellation fee"
    QUOTE = "quote", "An accepted quote"


class PaymentStatus(models.TextChoices):
    """Derived from the total and the payments; never stored."""

    UNPAID = "unpaid", "Unpaid"
    PART_PAID = "part_paid", "Part paid"
    PAID = "paid", "Paid"
    OVERPAID = "overpaid", "Overpaid"


class Invoice(models.Model):
    trading_name = models.ForeignKey("company.TradingName", on_delete=models.PROTECT, related_name="invoices")
    issued_number = models.OneToOneField("company.IssuedNumber", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, unique=True, help_text="As printed: prefix and number (INV-1042).")
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="invoices",
                                 db_index=False)  # sales_invoice_customer leads with it
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="invoices")
    source = models.CharField(max_length=20, choices=InvoiceSource.choices, default=InvoiceSource.MANUAL)
    quote = models.ForeignKey("sales.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices",
                              help_text="The accepted quote it was made from.")
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    currency = models.CharField(max_length=3)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    terms_version = models.ForeignKey("company.TermsVersion", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", help_text="The terms in force when it was issued.")
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"))
    discount_total = models.DecimalField(**MONEY, default=Decimal("0"))
    tax_total = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    issued_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_date"], name="sales_invoice_status_due"),
                   models.Index(fields=["customer", "status"], name="sales_invoice_customer")]
        constraints = [
            # one live invoice per booking and source (a void one may be made again)
            models.UniqueConstraint(fields=["booking", "source"], name="sales_one_invoice_per_booking",
                                    condition=Q(source__in=["booking", "cancellation_fee"])
                                    & Q(status__in=["draft", "issued"])),
            models.CheckConstraint(condition=Q(total__gte=0), name="sales_invoice_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tax_summary(self) -> tuple[invoice_totals.TaxSummary, ...]:
        return summary_of(self.lines.all())


def summary_of(lines: Iterable[Any]) -> tuple[invoice_totals.TaxSummary, ...]:
    """A document's tax per rate name and percent (decision 0872): the totals' own sums of its lines."""
    return invoice_totals.totals((line.tax_rate, line.figures, line.tax_name) for line in lines).summary


class LineKind(models.TextChoices):
    ITEM = "item", "Item"
    FEE = "fee", "Fee"
    DISCOUNT = "discount", "Discount"


class PricedLine(models.Model):
    """The fields and figures every priced line shares (an invoice's, a quote's): an item (priced by the
    engine, an override kept with who and when), a fee, or a discount (its price is the amount off; an
    item line may carry a percent off, ``discount_percent``, taken before its tax)."""

    kind = models.CharField(max_length=8, choices=LineKind.choices, default=LineKind.ITEM)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    tax_name = models.CharField(max_length=60, blank=True,
                                help_text="The tax rate's name when priced (a snapshot, decision 0871); "
                                          "blank: a percent typed without a named rate.")
    tax_inclusive = models.BooleanField(default=False)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey("catalog.ServicePackage", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    list_unit_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    pricing = models.JSONField(default=list, blank=True)
    price_overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    price_overridden_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"

    @property
    def figures(self) -> invoice_totals.LineFigures:
        return invoice_totals.line_figures(kind=self.kind, quantity=self.quantity, unit_price=self.unit_price,
                                           tax_rate=self.tax_rate, tax_inclusive=self.tax_inclusive,
                                           discount_percent=self.discount_percent)


class InvoiceLine(PricedLine):
    """One line of an invoice's breakdown."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_line_price_not_negative"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                                   name="sales_line_discount_percent"),
        ]


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    OTHER = "other", "Other"


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=14, choices=PaymentMethod.choices)
    paid_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sales_payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} by {self.method} on {self.paid_on}"


class InvoiceEvent(AppendOnly):
    """An invoice's history, written with its event by ``invoice_history.record`` only. It names the
    invoice by id and number, so a deleted draft's history stays."""

    invoice_id = models.PositiveBigIntegerField(db_index=True)
    number = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12)
    changes = models.JSONField(default=dict, blank=True, help_text="field: [before, after]")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.action} via {self.channel}"

    refused = "An invoice's history is append-only."


class InvoiceEmailKind(models.TextChoices):
    ISSUED = "issued", "The invoice, when issued"
    REMINDER = "reminder", "An overdue reminder"


class InvoiceEmail(models.Model):
    """Which invoice a logged e-mail is about (the e-mail log itself is outreach's)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="emails")
    email_message = models.OneToOneField("outreach.EmailMessage", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=InvoiceEmailKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} e-mail of invoice {self.invoice_id}"
