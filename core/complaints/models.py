"""Complaints about a job (issue 19): their type and status from two managed lists, who owns them,
how they were resolved, and their history (decisions 0930-0935).

A complaint names a booking or a sent quote (decisions 0930, 0943). Written by
``core.complaints.services`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnly


class ComplaintType(models.Model):
    """Managed list (Settings > Issue / Complaint Types). Inactive entries stay where set."""

    name = models.CharField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lists show lower first, then by name.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ComplaintStatus(models.Model):
    """Managed list (Settings > Complaint / Issue Status List). ``is_resolved``: a complaint with this
    status is closed (it leaves the open list and carries a resolution and a resolved time)."""

    name = models.CharField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lists show lower first, then by name.")
    is_resolved = models.BooleanField(default=False, help_text="A complaint with this status is closed.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "complaint statuses"

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="complaints")
    quote = models.ForeignKey("sales.Quote", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="complaints", help_text="The quote it is about (a sent one).")
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="complaints",
                                 db_index=False)  # complaints_customer_open leads with it
    type = models.ForeignKey(ComplaintType, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="complaints")
    status = models.ForeignKey(ComplaintStatus, on_delete=models.PROTECT, related_name="complaints")
    is_resolved = models.BooleanField(default=False, help_text="Its status's flag, kept with it (open lists).")
    description = models.TextField()
    visible_to_customer = models.BooleanField(default=True, help_text="Off: an internal note of the office.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    raised_by_kind = models.CharField(max_length=12)
    channel = models.CharField(max_length=12, help_text="Through what it was raised.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "is_resolved"], name="complaints_customer_open"),
                   models.Index(fields=["is_resolved", "created_at"], name="complaints_open_created")]
        constraints = [
            models.CheckConstraint(condition=Q(booking__isnull=False) | Q(quote__isnull=False),
                                   name="complaints_on_booking_or_quote"),
            models.CheckConstraint(condition=Q(is_resolved=False) | Q(resolved_at__isnull=False),
                                   name="complaints_resolved_has_time"),
        ]

    def __str__(self) -> str:
        return f"Complaint {self.pk}"


class ComplaintEvent(AppendOnly):
    """A complaint's history, written with its event by ``complaint_history.record`` only."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="history")
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
        return f"complaint {self.complaint_id} {self.action} via {self.channel}"

    refused = "A complaint's history is append-only."
