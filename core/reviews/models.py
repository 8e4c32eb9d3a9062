"""Reviews after a completed job: the request sent to the customer and the review they give
(decisions 0630-0632)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from core.sms.models import DeliveryChannel


class ReviewRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ReviewRequest(models.Model):
    """'How did the job go?': one per completed booking (unique), due the company's delay after the
    completion, sent once by the customer's channel, or skipped with the reason (``reviewed``: the
    customer reviewed the job first; ``not_completed``; or the first channel's reason: ``opted_out``,
    ``paused_for_customer``, ``paused_for_booking``, ``no_contact``, ``no_address``); staff may
    withdraw a pending one (``by_staff``)."""

    booking = models.OneToOneField("bookings.Booking", on_delete=models.CASCADE, related_name="review_request")
    # indexed by reviews_request_customer, which leads with it
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="review_requests",
                                 db_index=False)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReviewRequestStatus.choices, default=ReviewRequestStatus.PENDING)
    reason = models.CharField(max_length=40, blank=True, help_text="Why it was skipped or withdrawn.")
    channel = models.CharField(max_length=5, blank=True, choices=DeliveryChannel.choices,
                               help_text="How it went (sms, email); blank until sent, and when skipped.")
    email = models.ForeignKey("outreach.EmailMessage", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="The e-mail logged for it when it came due.")
    sms = models.ForeignKey("sms.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            help_text="The text logged for it when it came due.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="reviews_request_due"),
            models.Index(fields=["customer", "created_at"], name="reviews_request_customer"),
        ]

    def __str__(self) -> str:
        return f"review request for booking {self.booking_id} ({self.status})"


class Review(models.Model):
    """The customer's rating (1 to 5) and comment of a completed booking; one per booking. The customer
    may change it for ``EDIT_DAYS`` after ``submitted_at``; staff publish it (``published_at``) only
    when ``may_publish`` (the customer's consent to show it, first name and initial only)."""

    EDIT_DAYS = 14

    booking = models.OneToOneField("bookings.Booking", on_delete=models.CASCADE, related_name="review")
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    may_publish = models.BooleanField(default=False, help_text="The customer allows it on the public page.")
    published_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                        help_text="Shown on the public page since (staff publish it).")
    channel = models.CharField(max_length=12, help_text="Where it was given (email_link, portal, graphql).")
    submitted_at = models.DateTimeField(default=timezone.now, help_text="First given; changes allowed for 14 days.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="reviews_rating_1_to_5"),
            models.CheckConstraint(condition=models.Q(published_at__isnull=True) | models.Q(may_publish=True),
                                   name="reviews_published_with_consent"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for booking {self.booking_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def editable_until(self) -> datetime:
        return self.submitted_at + timedelta(days=self.EDIT_DAYS)
