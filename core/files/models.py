"""Files on bookings, customers and quotes: photos, PDFs and drawn signatures.

A ``StoredFile`` belongs to exactly one owner, named by one nullable foreign key per kind of owner
(``booking``, ``customer``, ``quote``); filled forms would add theirs the same way (decision 0920). The bytes
live in Django's default storage under a name chosen here, never the client's; the client's file name is
kept only to show and to offer on download.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class FileKind(models.TextChoices):
    IMAGE = "image", "Image"
    PDF = "pdf", "PDF"
    SIGNATURE = "signature", "Signature"


# owner kind -> the foreign key naming it; a new owner (a form submission) adds a column and a line
OWNERS: dict[str, str] = {"booking": "booking", "customer": "customer", "quote": "quote"}


def _one_owner() -> Q:
    """Exactly one of the ``OWNERS`` columns is set."""
    found = Q()
    for name in OWNERS.values():
        found |= Q(**{f"{other}__isnull": other != name for other in OWNERS.values()})
    return found


class StoredFile(models.Model):
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="files")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="files")
    quote = models.ForeignKey("sales.Quote", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="files")
    kind = models.CharField(max_length=10, choices=FileKind.choices)
    file = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255, blank=True)
    name = models.CharField(max_length=120, help_text="The client's file name, shown and offered on download.")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    customer_visible = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    author_kind = models.CharField(max_length=12)
    channel = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_one_owner(), name="stored_file_one_owner"),
        ]

    def __str__(self) -> str:
        return f"file {self.pk} ({self.kind}) of {self.owner_kind} {self.owner_id}"

    @property
    def owner_kind(self) -> str:
        return next(kind for kind, column in OWNERS.items() if getattr(self, f"{column}_id") is not None)

    @property
    def owner_id(self) -> int:
        return getattr(self, f"{OWNERS[self.owner_kind]}_id")


class Signature(models.Model):
    """A signature drawn on a booking: the PNG is ``file`` (kind signature); who signed, and when."""

    file = models.OneToOneField(StoredFile, on_delete=models.CASCADE, related_name="signature")
    signer_name = models.CharField(max_length=120)
    signer_kind = models.CharField(max_length=12, help_text="customer, fieldworker or staff")
    signed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"signature of {self.signer_name} ({self.signed_at:%Y-%m-%d %H:%M})"


class FileSettings(models.Model):
    """The company's file settings (one row). Photos lose their EXIF metadata (location, camera) on
    upload unless ``keep_image_metadata`` is set."""

    keep_image_metadata = models.BooleanField(
        default=False, help_text="Keep photos' EXIF metadata (GPS position, camera, time) as uploaded.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "file settings"

    def __str__(self) -> str:
        return "file settings"
