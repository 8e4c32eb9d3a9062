"""Fieldworkers by chat: link tokens, chat bindings, processed updates, the outbox, decline
reasons and booking attachments sent from a chat.

The transport (Telegram) is not named in the domain beyond the ids it hands us: a binding holds
the Telegram user and chat ids because those are what identify a person in a chat.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ChatLinkToken(models.Model):
    """A one-time, expiring deep-link token. Only its SHA-256 digest is stored."""

    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.CASCADE, related_name="chat_link_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by_chat_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"link token for {self.fieldworker_id} ({'used' if self.used_at else 'open'})"


class ChatBinding(models.Model):
    """One fieldworker <-> one Telegram user and private chat. Rows are never deleted: unlinking
    stamps ``unlinked_at``, so the table is also the link history."""

    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.CASCADE, related_name="chat_bindings")
    telegram_user_id = models.BigIntegerField()
    chat_id = models.BigIntegerField()
    username = models.CharField(max_length=64, blank=True)
    linked_at = models.DateTimeField(default=timezone.now)
    link_token = models.ForeignKey(ChatLinkToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unreachable_at = models.DateTimeField(null=True, blank=True,
                                          help_text="Set when the Bot API answered 403 (the bot was blocked).")
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    unlink_channel = models.CharField(max_length=12, blank=True)
    # What the next plain message of this chat answers (a decline reason, a note, ...).
    state = models.JSONField(default=dict, blank=True)
    state_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fieldworker"], condition=Q(unlinked_at__isnull=True),
                                    name="chat_binding_one_per_fieldworker"),
            models.UniqueConstraint(fields=["telegram_user_id"], condition=Q(unlinked_at__isnull=True),
                                    name="chat_binding_one_per_user"),
            models.UniqueConstraint(fields=["chat_id"], condition=Q(unlinked_at__isnull=True),
                                    name="chat_binding_one_per_chat"),
        ]

    def __str__(self) -> str:
        return f"{self.fieldworker_id} <-> chat {self.chat_id}"

    @property
    def is_active(self) -> bool:
        return self.unlinked_at is None


class ProcessedUpdate(models.Model):
    """Each inbound update id once: Telegram redelivers until it gets a 2xx."""

    update_id = models.BigIntegerField(primary_key=True)
    received_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, blank=True)
    chat_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"update {self.update_id}"


class MessageMethod(models.TextChoices):
    SEND = "sendMessage", "Send message"
    EDIT = "editMessageText", "Edit message text"
    ANSWER = "answerCallbackQuery", "Answer callback query"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (permanent)"
    UNREACHABLE = "unreachable", "Recipient blocked the bot"


class MessageKind(models.TextChoices):
    OFFER = "offer", "Job offer"
    OFFER_UPDATE = "offer_update", "Offer outcome"
    CHANGED = "changed", "Booking changed"
    CANCELLED = "cancelled", "Booking cancelled"
    UNASSIGNED = "unassigned", "Taken off a job"
    COMMENT = "comment", "Discussion message"
    TODAY = "today", "Morning list"
    REPLY = "reply", "Reply"
    ANSWER = "answer", "Button answer"


class SmsFallback(models.TextChoices):
    NONE = "", "None"
    NEEDED = "needed", "Needed, no SMS layer to send it"
    SENT = "sent", "Sent by SMS"
    FAILED = "failed", "SMS failed"


class ChatMessage(models.Model):
    """The chat outbox: every outbound call to the chat transport, retried until it is sent or
    fails for good. Never deleted."""

    fieldworker = models.ForeignKey("workforce.Fieldworker", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="chat_messages")
    chat_id = models.BigIntegerField(null=True, blank=True)
    method = models.CharField(max_length=24, choices=MessageMethod.choices, default=MessageMethod.SEND)
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.REPLY)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True,
                               help_text="Transport parameters: buttons, message_id to edit, callback id.")
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="chat_messages")
    comment_id = models.BigIntegerField(null=True, blank=True, help_text="The discussion message this forwards.")
    dedupe_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # indexed by chat_message_due_idx, which leads with it
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    telegram_message_id = models.BigIntegerField(null=True, blank=True)
    sms_fallback = models.CharField(max_length=8, choices=SmsFallback.choices, default=SmsFallback.NONE, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="chat_message_due_idx"),
            models.Index(fields=["chat_id", "telegram_message_id"], name="chat_message_tg_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} to {self.chat_id} ({self.status})"


class DeclineReason(models.Model):
    """The decline job request form: the reasons a fieldworker picks from (plus free text)."""

    label = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class AttachmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be fetched"
    STORED = "stored", "Stored"
    FAILED = "failed", "Could not be fetched"


def attachment_path(instance: BookingAttachment, filename: str) -> str:
    """Where attachments were stored before they became ``files.StoredFile`` rows (migration 0001 names it)."""
    return f"bookings/{instance.booking_id}/{filename}"


class BookingAttachment(models.Model):
    """A photo on a booking, sent from a chat. The bytes are fetched after the webhook answered and
    stored as the booking's ``files.StoredFile`` (checked, without EXIF, served by signed links like any
    upload; decision 0926); ``telegram_file_unique_id`` keeps a redelivered photo from being stored twice."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="chat_attachments")
    stored_file = models.OneToOneField("files.StoredFile", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="chat_attachment")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    caption = models.CharField(max_length=1024, blank=True)
    telegram_file_id = models.CharField(max_length=200, blank=True)
    telegram_file_unique_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=8, choices=AttachmentStatus.choices, default=AttachmentStatus.PENDING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    author_kind = models.CharField(max_length=12)
    channel = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk} on booking {self.booking_id}"
