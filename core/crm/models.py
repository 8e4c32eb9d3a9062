from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True, db_index=True)
    mobile = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164, e.g. +61400000000")
    notes = models.TextField(blank=True)
    automated_email_paused = models.BooleanField(default=False)
    automated_sms_paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PropertyType(models.Model):
    """Configurable list (Settings > Property Type List)."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Property(models.Model):
    """A place where jobs happen, belonging to one customer (also used for dependents' homes)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="properties")
    label = models.CharField(max_length=80, blank=True)
    address = models.CharField(max_length=255)
    postcode = models.CharField(max_length=12, blank=True, db_index=True)
    city = models.CharField(max_length=80, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    property_type = models.ForeignKey(PropertyType, null=True, blank=True, on_delete=models.SET_NULL)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Blank: the company's time zone.")

    class Meta:
        ordering = ["customer_id", "id"]
        verbose_name_plural = "properties"
        indexes = [models.Index(fields=["latitude", "longitude"], name="property_latlng_idx")]

    def __str__(self) -> str:
        return self.label or self.address


class InquiryKind(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    CANCELLATION_REQUEST = "cancellation_request", "Cancellation request"


class InquiryStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Inquiry(models.Model):
    """Something a customer (or an unknown sender) asked that staff must answer: a message we
    could not tie to a booking, or a cancellation request we could not carry out ourselves."""

    kind = models.CharField(max_length=24, choices=InquiryKind.choices, default=InquiryKind.INQUIRY)
    status = models.CharField(max_length=8, choices=InquiryStatus.choices, default=InquiryStatus.OPEN,
                              db_index=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="inquiries")
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="inquiries")
    channel = models.CharField(max_length=12)
    contact = models.CharField(max_length=254, blank=True, help_text="Phone number or e-mail it came from.")
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "inquiries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.contact or self.customer_id}"
