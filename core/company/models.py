from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

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
