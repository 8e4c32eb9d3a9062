"""Quotes: their lines, history and e-mails (issue 18).

A quote's figures are sums of its lines' figures, by the same arithmetic as an invoice's
(``invoice_totals``); the stored ``subtotal``, ``discount_total``, ``tax_total`` and ``total`` are
written only by ``quotes._store_lines`` in the transaction that writes the lines (decision 0820).
"""

from __future__ import annotations

import builtins
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnly

from .invoice_models import MONEY, PricedLine, summary_of


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


# the moves a quote may make (decision 0821); everything else is ``illegal_transition``
QUOTE_MOVES: dict[str, frozenset[str]] = {
    QuoteStatus.DRAFT: frozenset({QuoteStatus.SENT}),
    QuoteStatus.SENT: frozenset({QuoteStatus.ACCEPTED, QuoteStatus.DECLINED, QuoteStatus.EXPIRED}),
    QuoteStatus.ACCEPTED: frozenset(),
    QuoteStatus.DECLINED: frozenset(),
    QuoteStatus.EXPIRED: frozenset(),
}


class Quote(models.Model):
    trading_name = models.ForeignKey("company.TradingName", on_delete=models.PROTECT, related_name="quotes")
    issued_number = models.OneToOneField("company.IssuedNumber", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, unique=True, help_text="As printed: prefix and number (Q-1042).")
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="quotes",
                                 db_index=False)  # sales_quote_customer leads with it
    property = models.ForeignKey("crm.Property", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    inquiry = models.ForeignKey("crm.Inquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="The inquiry (lead) it was made from.")
    status = models.CharField(max_length=8, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    currency = models.CharField(max_length=3)
    valid_until = models.DateField(null=True, blank=True, help_text="Expires after this day (company time).")
    follow_up_date = models.DateField(null=True, blank=True, help_text="The owner is reminded by e-mail that day.")
    follow_up_reminded_for = models.DateField(null=True, blank=True,
                                              help_text="The follow-up date a reminder was sent for (once each).")
    agreed_start = models.DateTimeField(null=True, blank=True,
                                        help_text="A time agreed for the job: accepting books it then.")
    notes = models.TextField(blank=True)
    labels = models.ManyToManyField("company.Label", blank=True, related_name="+")
    terms_version = models.ForeignKey("company.TermsVersion", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", help_text="The terms in force when it was sent.")
    accepted_terms_version = models.ForeignKey("company.TermsVersion", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+",
                                               help_text="The terms the customer accepted.")
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"))
    discount_total = models.DecimalField(**MONEY, default=Decimal("0"))
    tax_total = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    sent_at = models.DateTimeField(null=True, blank=True)
    sms_to = models.CharField(max_length=20, blank=True,
                              help_text="The number it was texted to (E.164): replies from it may accept.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_channel = models.CharField(max_length=12, blank=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="quotes", help_text="The booking accepting it made.")
    booking_request = models.ForeignKey("outreach.BookingRequest", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+",
                                        help_text="The appointment request accepting it made (no time agreed).")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "valid_until"], name="sales_quote_status_valid"),
                   models.Index(fields=["customer", "status"], name="sales_quote_customer"),
                   models.Index(fields=["follow_up_date"], name="sales_quote_follow_up")]
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="sales_quote_total_not_negative")]

    def __str__(self) -> str:
        return self.number

    @builtins.property  # ``property`` is a field of a quote
    def tax_summary(self) -> tuple:
        return summary_of(self.lines.all())


class QuoteLine(PricedLine):
    """One line of a quote, as an invoice line."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_quote_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_quote_line_price_not_negative"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                                   name="sales_quote_line_discount_percent"),
        ]


class QuoteEvent(AppendOnly):
    """A quote's history, written with its event by ``quote_history.record`` only. It names the quote
    by id and number, so a deleted draft's history stays."""

    quote_id = models.PositiveBigIntegerField(db_index=True)
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

    refused = "A quote's history is append-only."


class QuoteEmail(models.Model):
    """Which quote a logged e-mail is about (the e-mail log itself is outreach's)."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="emails")
    email_message = models.OneToOneField("outreach.EmailMessage", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"e-mail of quote {self.quote_id}"
