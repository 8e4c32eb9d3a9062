from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.append_only import AppendOnly
from core.phones import PhoneField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class FeeType(models.TextChoices):
    NONE = "none", "No fee"
    FIXED = "fixed", "Fixed amount"
    PERCENT = "percent", "Percentage of the booking total"


class TaxMode(models.TextChoices):
    EXCLUSIVE = "exclusive", "Prices exclude tax: tax is added on top"
    INCLUSIVE = "inclusive", "Prices include tax: tax is the part of the price"


class Company(models.Model):
    """The business. There is exactly one row (pk=1); use :func:`core.company.selectors.get_company`."""

    name = models.CharField(max_length=200, default="Fieldops Demo Services")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="AUD")
    email = models.EmailField(blank=True)
    phone = PhoneField(blank=True, help_text="Stored as E.164 (+61290000000).")
    website = models.URLField(blank=True)
    address = models.TextField(blank=True)
    booking_number_start = models.PositiveIntegerField(default=1001)

    # Customer portal flags & permissions
    customers_may_cancel = models.BooleanField(
        default=True,
        verbose_name="Allow customers to cancel bookings through the customer portal and email links",
    )
    customers_may_reschedule = models.BooleanField(
        default=False,
        verbose_name="Allow customers to move bookings to a free time (portal, e-mail links, SMS, API)",
        help_text="Up to the reschedule notice before the start, to times the booking's fieldworkers are free.",
    )
    # Financial settings: cancellation fee rule
    cancellation_fee_type = models.CharField(max_length=10, choices=FeeType.choices, default=FeeType.NONE)
    cancellation_fee_amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="Currency amount for a fixed fee, or percent (0-100) of the booking total.",
    )
    cancellation_notice_hours = models.PositiveIntegerField(
        default=24, help_text="Customers cancelling with less notice than this pay the fee."
    )
    reschedule_notice_hours = models.PositiveIntegerField(
        default=24, help_text="Customers may move a booking until this many hours before it starts.")
    tax_mode = models.CharField(
        max_length=10, choices=TaxMode.choices, default=TaxMode.EXCLUSIVE,
        help_text="Whether catalogue and line prices include tax. A line keeps the mode it was priced in.")

    # Fieldworker permissions
    fieldworkers_may_decline = models.BooleanField(default=True)
    fieldworkers_may_cancel = models.BooleanField(default=False)

    # Reviews after a completed job (decision 0630)
    review_requests_enabled = models.BooleanField(
        default=False, verbose_name="Ask customers for a review after a completed job")
    review_request_delay_minutes = models.PositiveIntegerField(
        default=120, validators=[MaxValueValidator(10080)],
        help_text="How long after the completion the request goes (0 to 10080 minutes, one week).")
    review_public_url = models.URLField(
        blank=True, max_length=500,
        help_text="The business's public review page (e.g. its Google reviews link); offered after a good rating.")
    review_public_min_rating = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="From this rating (1 to 5) the thank-you page offers the public review page.")

    class Meta:
        verbose_name_plural = "company"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.cancellation_fee_type == FeeType.PERCENT and self.cancellation_fee_amount > 100:
            raise ValidationError({"cancellation_fee_amount": "A percentage fee is at most 100."})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Counter(models.Model):
    """Named sequences (booking numbers). Incremented under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


# --- trading names, terms, numbers, labels (issue 18) ---------------------------------------------


class DocumentKind(models.TextChoices):
    """What a trading name numbers: each kind has its own prefix and sequence."""

    QUOTE = "quote", "Quote"
    INVOICE = "invoice", "Invoice"


class TradingName(models.Model):
    """A name the business trades under. Quotes and invoices each belong to one; the default one
    brands everything else (booking job sheets). Written by ``core.company.branding`` only."""

    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)
    logo = models.ImageField(upload_to="trading-names/", blank=True, max_length=200,
                             help_text="PNG, JPEG or WebP; validated by content, size and dimensions.")
    email = models.EmailField(blank=True)
    phone = PhoneField(blank=True, help_text="Stored as E.164 (+61290000000).")
    website = models.URLField(blank=True)
    review_url = models.URLField(blank=True, max_length=500,
                                 help_text="This brand's public review page; blank: the company's (decision 0630).")
    address = models.TextField(blank=True)
    tax_number = models.CharField(max_length=40, blank=True, help_text="ABN, VAT or similar, as printed.")
    sender_name = models.CharField(max_length=11, blank=True,
                                   help_text="Alphanumeric SMS sender and e-mail display name (at most 11 characters).")
    quote_prefix = models.CharField(max_length=12, default="Q-")
    invoice_prefix = models.CharField(max_length=12, default="INV-")
    number_start = models.PositiveIntegerField(default=1001, help_text="First number of each new sequence.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="one_default_trading_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def prefix(self, kind: str) -> str:
        return {DocumentKind.QUOTE: self.quote_prefix, DocumentKind.INVOICE: self.invoice_prefix}[kind]


class TermsVersion(AppendOnly):
    """One version of a trading name's terms and conditions. Never changed once written: the version
    in force at a moment is the latest whose ``in_force_from`` had passed (``selectors.terms_in_force``)."""

    trading_name = models.ForeignKey(TradingName, on_delete=models.PROTECT, related_name="terms_versions",
                                     db_index=False)  # terms_version_unique leads with it
    version = models.PositiveIntegerField()
    text = models.TextField()
    in_force_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trading_name", "-version"]
        constraints = [models.UniqueConstraint(fields=["trading_name", "version"], name="terms_version_unique")]

    def __str__(self) -> str:
        return f"{self.trading_name_id} v{self.version}"

    refused = "A terms version is never changed: publish a new one."


class NumberStatus(models.TextChoices):
    IN_USE = "in_use", "In use"
    RETIRED = "retired", "Retired"


class IssuedNumber(models.Model):
    """Every number a trading name ever gave out for a kind, kept for good (``core.company.numbers``):
    a retired number (its document deleted, or renumbered) still holds its place, so it is never
    given out again."""

    trading_name = models.ForeignKey(TradingName, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    number = models.PositiveBigIntegerField()
    text = models.CharField(max_length=40, help_text="As printed: the prefix at issue and the number (Q-1042).")
    status = models.CharField(max_length=10, choices=NumberStatus.choices, default=NumberStatus.IN_USE)
    issued_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trading_name", "kind", "number"],
                                               name="issued_number_unique")]

    def __str__(self) -> str:
        return self.text


class Label(models.Model):
    """The managed label list: a name and colour, and the kinds of object it may tag."""

    name = models.CharField(max_length=40)
    colour = models.CharField(max_length=7, default="#64748b", help_text="#rrggbb")
    applies_to = models.JSONField(default=list, blank=True,
                                  help_text="Kinds it may tag: quote, invoice, booking, customer.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="label_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class CompanyLog(AppendOnly):
    """Append-only history of the company's trading names, terms and labels, written with its event by
    ``core.company.log.record`` only."""

    at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=20)  # trading_name, terms, label
    subject_id = models.PositiveBigIntegerField()
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
        indexes = [models.Index(fields=["subject", "subject_id", "at"], name="company_log_subject_idx")]

    def __str__(self) -> str:
        return f"{self.subject} {self.subject_id} {self.action} via {self.channel}"

    refused = "The company log is append-only."
