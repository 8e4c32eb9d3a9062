"""Outreach records: the e-mail log, fieldworker in-app notifications, portal sign-in tokens,
customer booking requests, scheduled e-mail reminders and reminders to book a service again.

Every automated row carries a ``dedupe_key`` built from the domain event that caused it
(``<kind>:<event_id>[:<recipient>]``), unique in the database, so a replayed or duplicated
event never produces a second e-mail or notification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.sms.models import DeliveryChannel


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation"
    REMINDER = "reminder", "Booking reminder"
    CANCELLATION = "cancellation", "Cancellation notice"
    SERIES_CONFIRMATION = "series_conf", "Series confirmation (its dates)"
    SERIES_CANCELLATION = "series_canc", "Series cancellation notice (its dates)"
    PORTAL_LINK = "portal_link", "Portal sign-in link"
    COMMENT = "comment", "Booking discussion message"
    CANCEL_LINKS = "cancel_links", "Links to cancel (after a bare CANCEL by SMS)"
    INVOICE = "invoice", "Invoice (issued, with its PDF)"
    INVOICE_REMINDER = "invoice_reminder", "Overdue invoice reminder"
    QUOTE = "quote", "Quote (sent, with its PDF)"
    SERVICE_REMINDER = "service_reminder", "Reminder to book a service again"
    REVIEW_REQUEST = "review_request", "Request for a review after a completed job"


AUTOMATED_EMAIL_KINDS = frozenset({EmailKind.CONFIRMATION, EmailKind.REMINDER, EmailKind.CANCELLATION,
                                   EmailKind.SERIES_CONFIRMATION, EmailKind.SERIES_CANCELLATION,
                                   EmailKind.INVOICE, EmailKind.INVOICE_REMINDER, EmailKind.SERVICE_REMINDER,
                                   EmailKind.REVIEW_REQUEST})
# kinds about a document of another app, rendered by it: kind -> dotted path of ``render(message)``
# returning ``emails.Rendered`` or None (an app above outreach renders its own; outreach imports none)
DOCUMENT_EMAIL_RENDERERS = {
    EmailKind.INVOICE: "core.sales.invoice_mail.render",
    EmailKind.INVOICE_REMINDER: "core.sales.invoice_mail.render",
    EmailKind.QUOTE: "core.sales.quote_mail.render",
    EmailKind.REVIEW_REQUEST: "core.reviews.mail.render",
}


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class EmailMessage(models.Model):
    """One outbound e-mail and what became of it."""

    kind = models.CharField(max_length=16, choices=EmailKind.choices)
    status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.QUEUED,
                              db_index=True)
    to_address = models.EmailField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="email_messages")
    # indexed by outreach_email_booking_kind, which leads with it
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="email_messages", db_index=False)
    dedupe_key = models.CharField(max_length=80, unique=True, null=True, blank=True,
                                  help_text="Event-derived key; a second row for the same event is refused.")
    message_id = models.CharField(max_length=255, blank=True, help_text="The Message-ID header we sent.")
    skip_reason = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=64, blank=True,
                             help_text="The task that claimed it for sending (core/delivery.py).")
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="Queued again after a transient failure: tried again then.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["booking", "kind"], name="outreach_email_booking_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address or '-'} ({self.status})"


class NotificationKind(models.TextChoices):
    BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"


class FieldworkerNotification(models.Model):
    """An in-app notice for a fieldworker (the app's Notifications list), with unread state."""

    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.CASCADE, related_name="notifications",
                                    db_index=False)  # outreach_notif_unread leads with it
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="fieldworker_notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["fieldworker", "read_at"], name="outreach_notif_unread")]

    def __str__(self) -> str:
        return f"{self.title} -> {self.fieldworker_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class PortalLoginToken(models.Model):
    """A one-time, expiring sign-in link for the customer portal. Only a hash is stored."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="portal_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"portal link for customer {self.customer_id}"


class BookingRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    BOOKED = "booked", "Booked"
    DECLINED = "declined", "Declined"


class BookingRequest(models.Model):
    """'Schedule an appointment': what the customer asked for, waiting for staff to book it."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="booking_requests")
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    preferred_date = models.DateField()
    preferred_time = models.TimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    follows_booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", help_text="The (cancelled) booking it was asked from.")
    channel = models.CharField(max_length=12)
    status = models.CharField(max_length=8, choices=BookingRequestStatus.choices,
                              default=BookingRequestStatus.PENDING, db_index=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="The booking staff made for it.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"request from customer {self.customer_id} for {self.preferred_date}"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EmailReminder(models.Model):
    """A reminder e-mail due before a booking; withdrawn when the booking is cancelled."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="email_reminders")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    withdrawn_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking"], condition=models.Q(status="pending"),
                                    name="outreach_one_pending_reminder"),
        ]

    def __str__(self) -> str:
        return f"reminder for booking {self.booking_id} at {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


class ServiceReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ServiceReminder(models.Model):
    """'Your termite inspection is due again': a text or an e-mail (one, by the customer's channel
    order) due ``Service.rebook_reminder_days`` after a completed job of the service, asking the
    customer to book it again (decision 0625).

    One pending per customer and service: a newer completion withdraws the pending one (``replaced``)
    and takes its place. When due it is sent (``email`` is the logged e-mail), or skipped with the
    reason (``rebooked``: a booking of the service after the completion exists; or the reason of the
    first channel when neither can be used: ``opted_out``, ``paused_for_customer``, ``no_contact``;
    or the e-mail's own skip reason); staff may withdraw a pending one."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="service_reminders")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="service_reminders",
                                help_text="The completed booking it came from.")
    completed_at = models.DateTimeField(help_text="When that booking was completed (the date printed).")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ServiceReminderStatus.choices,
                              default=ServiceReminderStatus.PENDING)
    reason = models.CharField(max_length=40, blank=True, help_text="Why it was skipped or withdrawn.")
    email = models.ForeignKey(EmailMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              help_text="The e-mail logged for it when it came due.")
    channel = models.CharField(max_length=5, blank=True, choices=DeliveryChannel.choices,
                               help_text="How it went: the one channel the customer's order chose (sms, email); "
                                         "blank until sent, and when skipped.")
    sms = models.ForeignKey("sms.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            help_text="The text logged for it when it came due.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "service"], condition=models.Q(status="pending"),
                                    name="outreach_one_pending_service_reminder"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="outreach_service_reminder_due")]

    def __str__(self) -> str:
        return f"book-again reminder for customer {self.customer_id}, service {self.service_id} ({self.status})"


class InboundOutcome(models.TextChoices):
    COMMENT = "comment", "Added to the booking's discussion"
    INQUIRY = "inquiry", "Filed in the inbox"
    EMPTY = "empty", "Nothing to file (no words after the quoted text)"


class InboundEmail(models.Model):
    """One e-mail a customer sent us through the mail provider's inbound webhook, and where it went.

    ``provider_id`` is the provider's one-time token of the webhook call, unique: a replayed call finds
    its row and changes nothing (decision 0614). Attachments are listed on the row; in a booking's thread
    they become the booking's files (decision 0616)."""

    provider_id = models.CharField(max_length=128, unique=True)
    message_id = models.CharField(max_length=255, blank=True, help_text="The Message-ID header of the e-mail.")
    sender = models.CharField(max_length=254)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True, help_text="The words of the reply, without the quoted e-mail.")
    outcome = models.CharField(max_length=8, choices=InboundOutcome.choices)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="inbound_emails")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="inbound_emails")
    comment = models.ForeignKey("bookings.BookingComment", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    inquiry = models.ForeignKey("crm.Inquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attachments = models.JSONField(default=list, blank=True, help_text=(
        "Each attachment that came: name and size; in a booking's thread also the file kept (file_id) or "
        "why it was refused (code, message). Decision 0616."))
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"E-mail from {self.sender} ({self.get_outcome_display()})"


class EmailDomainStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its DNS records"
    VERIFIED = "verified", "Verified: mail from it is signed"
    FAILING = "failing", "Failing: its records went missing"


class EmailDomain(models.Model):
    """A domain the business sends e-mail from (decisions 0640-0642): the company's, or one trading
    name's. Written by ``services.email_domain_*`` only.

    The DKIM key pair is made here (RSA 2048); the private key is kept as a MultiFernet token
    (``FIELDOPS_EMAIL_KEYS``, as bank details are, 0184) and never shown; the public key is the DKIM
    record's ``p=``. A rotation adds the ``next_*`` pair, published beside the current one; the check
    that finds its record switches to it and names the old selector in ``retired_selector`` (its
    record may then be removed). Only a ``verified`` domain is used in From and signs."""

    domain = models.CharField(max_length=253, unique=True, help_text="Lower case, without a trailing dot.")
    trading_name = models.ForeignKey("company.TradingName", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", help_text="Empty: the company's own domain.")
    status = models.CharField(max_length=8, choices=EmailDomainStatus.choices, default=EmailDomainStatus.PENDING)
    selector = models.CharField(max_length=63)
    private_key = models.TextField(help_text="The PEM private key as a MultiFernet token; never shown.")
    public_key = models.TextField(help_text="Base64 of the public key (the DKIM record's p=).")
    next_selector = models.CharField(max_length=63, blank=True)
    next_private_key = models.TextField(blank=True)
    next_public_key = models.TextField(blank=True)
    retired_selector = models.CharField(max_length=63, blank=True,
                                        help_text="The selector used before the last rotation: its record may go.")
    results = models.JSONField(default=dict, blank=True,
                               help_text="The last check per record: dkim, spf, dmarc, return_path, next_dkim.")
    checked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    failing_notice_at = models.DateTimeField(null=True, blank=True,
                                             help_text="When staff were told it is failing (once per failure).")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"{self.domain} ({self.status})"
