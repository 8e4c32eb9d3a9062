"""The SMS message log, open prompts, opt-out state, and the deliveries of the booking discussion.

Every inbound and outbound SMS is one ``SmsMessage`` row. Delivery status only moves forward
(``status_rank``); Twilio's error 21610 (the recipient opted out at the carrier) is permanent.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class SmsKind(models.TextChoices):
    INBOUND = "inbound", "Inbound message"
    REPLY = "reply", "Reply to an inbound message"
    CONFIRMATION = "confirmation", "Booking confirmation"
    REMINDER = "reminder", "Reminder before the job"
    CANCELLATION = "cancellation", "Cancellation notice"
    SERIES_CONFIRMATION = "series_conf", "Series confirmation (its dates)"
    SERIES_CANCELLATION = "series_canc", "Series cancellation notice (its dates)"
    MANUAL = "manual", "Sent by staff"
    COMMENT = "comment", "Booking discussion message"
    FIELDWORKER = "fieldworker", "Message to a fieldworker"
    BOOK_AGAIN = "book_again", "Reminder to book a service again"
    REVIEW = "review", "Request for a review after a completed job"


AUTOMATED_KINDS = frozenset({SmsKind.CONFIRMATION, SmsKind.REMINDER, SmsKind.CANCELLATION,
                             SmsKind.SERIES_CONFIRMATION, SmsKind.SERIES_CANCELLATION, SmsKind.BOOK_AGAIN,
                             SmsKind.REVIEW})


class SmsStatus(models.TextChoices):
    SKIPPED = "skipped", "Not sent"
    ACCEPTED = "accepted", "Accepted"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNDELIVERED = "undelivered", "Undelivered"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    RECEIVED = "received", "Received"


# How far along a message is. A status callback only ever moves a message to a higher rank,
# so callbacks that arrive out of order keep the furthest status.
STATUS_RANK: dict[str, int] = {
    SmsStatus.SKIPPED: 0,
    SmsStatus.ACCEPTED: 1,
    "scheduled": 1,
    SmsStatus.QUEUED: 2,
    SmsStatus.SENDING: 3,
    SmsStatus.SENT: 4,
    SmsStatus.FAILED: 5,
    SmsStatus.UNDELIVERED: 5,
    SmsStatus.DELIVERED: 6,
    SmsStatus.READ: 7,
    SmsStatus.RECEIVED: 7,
}

# Twilio: "the 'To' number has opted out (replied STOP)". Retrying never helps.
OPTED_OUT_ERROR = 21610
PERMANENT_ERRORS = frozenset({OPTED_OUT_ERROR, 21211, 21614})


class SmsMessage(models.Model):
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=12, choices=SmsKind.choices)
    sid = models.CharField(max_length=64, null=True, blank=True, unique=True,
                           help_text="Twilio MessageSid; unique, which makes webhooks idempotent.")
    from_number = models.CharField(max_length=20)
    to_number = models.CharField(max_length=20)
    body = models.TextField(blank=True)
    # No single-column indexes: sms_customer_idx and sms_booking_kind_idx below lead with these columns,
    # and every index is one more page written per message (decision 0017).
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="sms_messages", db_index=False)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="sms_messages", db_index=False)
    status = models.CharField(max_length=12, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    status_rank = models.PositiveSmallIntegerField(default=STATUS_RANK[SmsStatus.QUEUED])
    error_code = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    permanent_failure = models.BooleanField(default=False)
    intent = models.CharField(max_length=24, blank=True, help_text="Inbound: what the message was read as.")
    reply = models.TextField(blank=True, help_text="Inbound: the reply given (replayed for a duplicate).")
    replied = models.BooleanField(default=False)
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    claim = models.CharField(max_length=64, blank=True,
                             help_text="Outbound: the task that claimed it for sending (core/delivery.py).")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="Outbound, queued again after a transient failure: tried then.")
    dedupe_key = models.CharField(max_length=80, null=True, blank=True,
                                  help_text="Outbound, logged for a row of ours (a reminder to book again): a second "
                                            "text for it is refused.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        # only the few texts that carry a key are in it: no page written for every other message (0017)
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                               name="sms_dedupe_key_unique")]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="sms_customer_idx"),
            models.Index(fields=["booking", "kind"], name="sms_booking_kind_idx"),
        ]

    def __str__(self) -> str:
        if self.direction == Direction.INBOUND:
            return f"<- {self.from_number}: {self.body[:40]}"
        return f"-> {self.to_number}: {self.body[:40]}"


class SmsOptOut(models.Model):
    """Opt-out state per customer number (what the carrier blocks, mirrored here)."""

    number = models.CharField(max_length=20, unique=True)
    opted_out = models.BooleanField(default=True)
    keyword = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="keyword, error_21610 or staff")
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.number} {'opted out' if self.opted_out else 'opted in'}"


class PromptKind(models.TextChoices):
    BOOKING = "booking", "An SMS about a booking the customer may answer"
    CHOOSE = "choose", "We asked which booking a reply is about"
    CANCEL_FEE = "cancel_fee", "We asked the customer to accept a cancellation fee"
    MOVE = "move", "We offered the customer times to move a booking to"


class SmsPrompt(models.Model):
    """An open question on one number pair: which booking a reply from ``customer_number`` to
    ``our_number`` is about, and what we asked. ``our_number`` blank means any of our numbers
    (a messaging service picks the sender)."""

    our_number = models.CharField(max_length=20, blank=True)
    customer_number = models.CharField(max_length=20)
    kind = models.CharField(max_length=12, choices=PromptKind.choices)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    message = models.ForeignKey(SmsMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer_number", "our_number"], condition=Q(closed_at__isnull=True),
                         name="sms_prompt_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_number}->{self.our_number or '*'}"


class DeliveryChannel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    NOT_SENT_OPTED_OUT = "not_sent_opted_out", "Not sent: opted out"
    NOT_SENT_PAUSED = "not_sent_paused", "Not sent: paused"
    NOT_SENT_NO_CONTACT = "not_sent_no_contact", "Not sent: no mobile or e-mail"


NOT_SENT = frozenset({DeliveryStatus.NOT_SENT_OPTED_OUT, DeliveryStatus.NOT_SENT_PAUSED,
                      DeliveryStatus.NOT_SENT_NO_CONTACT})

# What an SMS log status means for the delivery of a comment (statuses only move forward there).
SMS_TO_DELIVERY: dict[str, str] = {
    SmsStatus.ACCEPTED: DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    SmsStatus.QUEUED: DeliveryStatus.QUEUED,
    SmsStatus.SENDING: DeliveryStatus.QUEUED,
    SmsStatus.SENT: DeliveryStatus.SENT,
    SmsStatus.FAILED: DeliveryStatus.FAILED,
    SmsStatus.UNDELIVERED: DeliveryStatus.FAILED,
    SmsStatus.DELIVERED: DeliveryStatus.DELIVERED,
    SmsStatus.READ: DeliveryStatus.DELIVERED,
}


class CommentDelivery(models.Model):
    """One attempt to bring a customer-visible comment to the customer, by SMS or e-mail, and
    what became of it. Written by ``core.sms.services.comment_deliver`` (a task after the
    ``CommentAdded`` event) and kept in step with the SMS status webhook and the e-mail's send
    result. ``dedupe_key`` (``comment:<id>``, ``comment:<id>:fallback``) makes a retried task a no-op."""

    comment = models.ForeignKey("bookings.BookingComment", on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=5, choices=DeliveryChannel.choices)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    dedupe_key = models.CharField(max_length=80, unique=True)
    to = models.CharField(max_length=254, blank=True, help_text="The number or address it went to.")
    sms_message = models.ForeignKey(SmsMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_message = models.ForeignKey("outreach.EmailMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    error = models.CharField(max_length=255, blank=True, help_text="Why it failed, or why it was not sent.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.comment_id} by {self.channel}: {self.status}"
