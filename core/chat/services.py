"""The only writers of the chat area: linking, unlinking, dialog state, attachments, "on my way",
decline reasons, the change requests a fieldworker files from the chat, and whom a chat reply
goes to (the customer or the team).

Booking changes themselves (accept, decline, start, complete, cancel, comments) go through
``core.bookings.services`` with ``channel=TELEGRAM``; this module adds what only the chat needs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from core.actors import Actor, ActorKind, Channel
from core.bookings import history, policy
from core.bookings import services as booking_services
from core.bookings.models import Booking, BookingComment, BookingStatus
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.files import services as file_services
from core.workforce import change_requests
from core.workforce import services as workforce_services
from core.workforce.models import ChangeRequest, ChangeRequestStatus, Fieldworker, FieldworkerStatus

from . import backends, outbox, selectors, texts
from .models import (
    AttachmentStatus,
    BookingAttachment,
    ChatBinding,
    ChatLinkToken,
    ChatMessage,
    DeclineReason,
    MessageKind,
    ProcessedUpdate,
)

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_LINK_TTL = timedelta(days=30)
STATE_TTL = timedelta(minutes=30)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _staff(actor: Actor) -> None:
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff may do that.")


# --- linking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatLink:
    token: ChatLinkToken
    raw_token: str
    url: str

    @property
    def expires_at(self) -> datetime:
        return self.token.expires_at


def deep_link(raw_token: str) -> str:
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={raw_token}"


def chat_link_create(*, actor: Actor, channel: Channel, fieldworker_id: int,
                     ttl: timedelta | None = None) -> ChatLink:
    """A one-time, expiring deep link for a fieldworker. Earlier unused links of theirs stop working.
    The token is shown once; only its digest is kept."""
    _staff(actor)
    ttl = ttl if ttl is not None else timedelta(hours=settings.CHAT_LINK_TTL_HOURS)
    if ttl <= timedelta(0) or ttl > MAX_LINK_TTL:
        raise ValidationFailed("ttl", "A link lives between a minute and 30 days.", code="out_of_range")
    with transaction.atomic():
        fieldworker = Fieldworker.objects.select_for_update().filter(pk=fieldworker_id).first()
        if fieldworker is None:
            raise NotFound("fieldworker", field="fieldworkerId")
        if fieldworker.status != FieldworkerStatus.ACTIVE:
            raise DomainError("fieldworker_inactive", f"{fieldworker.name} is not active.", field="fieldworkerId")
        now = timezone.now()
        ChatLinkToken.objects.filter(fieldworker=fieldworker, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now)
        raw = secrets.token_urlsafe(24)
        token = ChatLinkToken.objects.create(fieldworker=fieldworker, digest=_digest(raw), created_by=actor.user,
                                             created_at=now, expires_at=now + ttl)
    logger.info("chat link created for fieldworker %s by %s via %s", fieldworker_id, actor.label, channel)
    return ChatLink(token=token, raw_token=raw, url=deep_link(raw))


def chat_link_redeem(*, actor: Actor, channel: Channel, token: str, telegram_user_id: int, chat_id: int,
                     username: str = "") -> ChatBinding:
    """``/start <token>``: bind this person and chat to the token's fieldworker, once.

    A chat or a fieldworker linked before is unlinked first (a new phone replaces the old one).
    Used, expired and unknown tokens link nothing."""
    token = (token or "").strip()
    if not TOKEN_RE.match(token):
        raise DomainError("link_unknown", "That link is not valid.", field="token")
    with transaction.atomic():
        row = ChatLinkToken.objects.select_for_update().filter(digest=_digest(token)).first()
        if row is None:
            raise DomainError("link_unknown", "That link is not valid.", field="token")
        now = timezone.now()
        if row.used_at is not None:
            raise DomainError("link_used", "That link was already used.", field="token")
        if row.expires_at <= now:
            raise DomainError("link_expired", "That link has expired.", field="token")
        fieldworker = Fieldworker.objects.select_for_update().get(pk=row.fieldworker_id)
        if fieldworker.status != FieldworkerStatus.ACTIVE:
            raise DomainError("fieldworker_inactive", "This account is not active. Please call the office.")
        row.used_at = now
        row.used_by_chat_id = chat_id
        row.save(update_fields=["used_at", "used_by_chat_id"])
        (selectors.active_bindings().filter(fieldworker=fieldworker) | selectors.active_bindings().filter(
            chat_id=chat_id) | selectors.active_bindings().filter(telegram_user_id=telegram_user_id)).update(
            unlinked_at=now, unlink_channel=str(channel))
        binding = ChatBinding.objects.create(fieldworker=fieldworker, telegram_user_id=telegram_user_id,
                                             chat_id=chat_id, username=(username or "")[:64], linked_at=now,
                                             link_token=row)
    return binding


def chat_unlink(*, actor: Actor, channel: Channel, fieldworker_id: int, notify: bool = True) -> ChatBinding:
    """Staff, or the fieldworker themselves, end the link. The chat is told once."""
    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or actor.is_system or is_self):
        raise NotFound("fieldworker", field="fieldworkerId")
    with transaction.atomic():
        binding = selectors.active_bindings().select_for_update().filter(fieldworker_id=fieldworker_id).first()
        if binding is None:
            raise NotFound("chat link", field="fieldworkerId")
        binding.unlinked_at = timezone.now()
        binding.unlinked_by = actor.user
        binding.unlink_channel = str(channel)
        binding.state = {}
        binding.save(update_fields=["unlinked_at", "unlinked_by", "unlink_channel", "state"])
        if notify:
            outbox.send(binding.chat_id, "This chat is no longer linked. You will get no more jobs here.",
                        fieldworker_id=fieldworker_id)
    return binding


def chat_seen(*, binding: ChatBinding) -> None:
    """The person wrote to the bot: they can be reached again (they unblocked it)."""
    if binding.unreachable_at is not None:
        ChatBinding.objects.filter(pk=binding.pk).update(unreachable_at=None)
        binding.unreachable_at = None


# --- dialog state ---------------------------------------------------------------------------------------


def chat_state_set(*, binding: ChatBinding, kind: str, booking_id: int, **data: Any) -> None:
    """What the next plain message of this chat answers (``decline_reason``, ``cancel_reason``, ``note``,
    ``photo``), for a while."""
    state = {"kind": kind, "booking_id": booking_id, **data}
    ChatBinding.objects.filter(pk=binding.pk).update(state=state, state_expires_at=timezone.now() + STATE_TTL)
    binding.state = state


def chat_state_take(*, binding: ChatBinding) -> dict[str, Any]:
    """The pending state (cleared), or {} if there is none or it expired."""
    fresh = ChatBinding.objects.filter(pk=binding.pk).values("state", "state_expires_at").first()
    if not fresh or not fresh["state"]:
        return {}
    ChatBinding.objects.filter(pk=binding.pk).update(state={}, state_expires_at=None)
    if fresh["state_expires_at"] is None or fresh["state_expires_at"] <= timezone.now():
        return {}
    return fresh["state"]


# --- decline reasons (the decline job request form) ---------------------------------------------------


def decline_reasons_set(*, actor: Actor, channel: Channel, labels: list[str]) -> list[DeclineReason]:
    _staff(actor)
    cleaned = [label.strip() for label in labels if label and label.strip()]
    if len(cleaned) > 12:
        raise ValidationFailed("labels", "At most 12 reasons.", code="too_many")
    for index, label in enumerate(cleaned):
        if len(label) > 60:
            raise ValidationFailed(f"labels.{index}", "At most 60 characters.", code="too_long")
    with transaction.atomic():
        DeclineReason.objects.filter(active=True).update(active=False)
        return [DeclineReason.objects.create(label=label, position=index) for index, label in enumerate(cleaned)]


MAX_DECLINE_REASONS = 12


def decline_reason_save(*, actor: Actor, channel: Channel, label: str, position: int = 0, active: bool = True,
                        reason_id: int | None = None) -> DeclineReason:
    """Add one reason, or change one (its label, place or whether it is offered); the same limits as
    ``decline_reasons_set``."""
    _staff(actor)
    label = (label or "").strip()
    if not label:
        raise ValidationFailed("label", "A label is required.", code="required")
    if len(label) > 60:
        raise ValidationFailed("label", "At most 60 characters.", code="too_long")
    if not 0 <= int(position) <= 32767:
        raise ValidationFailed("position", "A position from 0 to 32767.", code="out_of_range")
    with transaction.atomic():
        if reason_id is None:
            row = DeclineReason(label=label, position=position, active=active)
        else:
            row = DeclineReason.objects.select_for_update().filter(pk=reason_id).first()
            if row is None:
                raise NotFound("decline reason")
            row.label, row.position, row.active = label, position, active
        others = DeclineReason.objects.filter(active=True).exclude(pk=row.pk).count()
        if active and others >= MAX_DECLINE_REASONS:
            raise ValidationFailed("active", f"At most {MAX_DECLINE_REASONS} reasons are offered.", code="too_many")
        row.save()
    return row


# --- on my way -----------------------------------------------------------------------------------------


def booking_on_my_way(*, actor: Actor, channel: Channel, booking_id: int) -> Booking:
    """The assigned fieldworker is on the way: a timeline row, and the customer gets a text."""
    with transaction.atomic():
        booking = policy.ensure_visible(Booking.objects.select_for_update().filter(pk=booking_id).first(), actor,
                                         booking_id=booking_id)
        if actor.is_fieldworker and not policy.is_assigned(booking, actor, accepted_only=True):
            raise DomainError("not_accepted", "Accept the job first.")
        if not actor.is_fieldworker:
            raise DomainError("forbidden", "Only the assigned fieldworker is on the way.")
        if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            raise DomainError("illegal_transition", "The job has already started or is closed.")
        history.record(booking, actor=actor, channel=channel, action="on_my_way",
                       data={"fieldworker_id": actor.fieldworker_id})
        fieldworker_id = actor.fieldworker_id
        # a task row in this transaction: it commits (and then runs) with the change, or not at all
        text_customer_on_my_way.enqueue(booking_id=booking_id, fieldworker_id=fieldworker_id)
    return booking


def on_my_way_sms(*, booking_id: int, fieldworker_id: int) -> str:
    """Text the customer (task, after commit). Returns the SMS status, or why nothing was sent."""
    from django.apps import apps

    if not apps.is_installed("core.sms"):
        return "no_sms_layer"
    from core.sms.services import sms_send

    booking = Booking.objects.select_related("customer").filter(pk=booking_id).first()
    fieldworker = Fieldworker.objects.filter(pk=fieldworker_id).first()
    if booking is None or fieldworker is None:
        return "missing"
    first_name = fieldworker.name.split(" ")[0]
    body = f"{first_name} is on the way for booking #{booking.number}."
    message = sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=booking.customer.mobile, body=body,
                       customer_id=booking.customer_id, booking_id=booking.pk)
    return message.status


# --- writing to a job's discussion from the chat ------------------------------------------------------------


def reply_goes_to_customer(*, booking_id: int, reply_to_id: int | None) -> bool:
    """The default audience of a chat reply: the customer when it answers a message the customer wrote
    or can see, the team (an internal note) otherwise (decision 0520)."""
    if reply_to_id is None:
        return False
    answered = BookingComment.objects.filter(pk=reply_to_id, booking_id=booking_id).values_list(
        "author_kind", "visible_to_customer").first()
    if answered is None:
        return False  # comment_add refuses the unknown reply_to itself
    author_kind, visible = answered
    return visible or author_kind == ActorKind.CUSTOMER


def chat_comment_add(*, actor: Actor, channel: Channel, booking_id: int, body: str, to_customer: bool | None = None,
                     reply_to_id: int | None = None) -> BookingComment:
    """A fieldworker writes to a job's discussion from the chat. ``to_customer`` is what they chose
    (``/customer``, ``/tell``: True; ``/note``: False); None takes the default of
    :func:`reply_goes_to_customer`. The comment itself, and every check on it (is this person on the
    job, has an offered fieldworker accepted before writing to the customer), is
    ``core.bookings.services.comment_add``."""
    if to_customer is None:
        to_customer = reply_goes_to_customer(booking_id=booking_id, reply_to_id=reply_to_id)
    return booking_services.comment_add(actor=actor, channel=channel, booking_id=booking_id, body=body,
                                        visible_to_customer=to_customer, reply_to_id=reply_to_id)


# --- attachments -----------------------------------------------------------------------------------------


def attachment_add(*, actor: Actor, channel: Channel, booking_id: int, telegram_file_id: str,
                   telegram_file_unique_id: str, caption: str = "") -> BookingAttachment:
    """A photo sent from a chat: recorded now, its bytes fetched after commit. The same photo sent
    twice (a redelivered update) is one attachment."""
    if not telegram_file_id or len(telegram_file_id) > 200 or not telegram_file_unique_id \
            or len(telegram_file_unique_id) > 64:
        raise ValidationFailed("file", "No file.", code="required")
    caption = (caption or "").strip()
    if len(caption) > 1024:
        raise ValidationFailed("caption", "At most 1024 characters.", code="too_long")
    with transaction.atomic():
        booking = policy.ensure_visible(Booking.objects.select_for_update().filter(pk=booking_id).first(), actor,
                                         booking_id=booking_id)
        if actor.is_fieldworker and not policy.is_assigned(booking, actor, accepted_only=True):
            raise DomainError("not_accepted", "Accept the job first.")
        existing = BookingAttachment.objects.filter(telegram_file_unique_id=telegram_file_unique_id).first()
        if existing is not None:
            if existing.booking_id != booking.pk:
                raise DomainError("duplicate", "That photo is already on another job.", field="file")
            return existing
        try:
            with transaction.atomic():
                attachment = BookingAttachment.objects.create(
                    booking=booking, telegram_file_id=telegram_file_id, telegram_file_unique_id=telegram_file_unique_id,
                    caption=caption, uploaded_by=actor.user, author_kind=actor.kind, channel=str(channel))
        except IntegrityError:
            return BookingAttachment.objects.get(telegram_file_unique_id=telegram_file_unique_id)
        history.record(booking, actor=actor, channel=channel, action="attachment_added",
                       data={"attachment_id": attachment.pk, "caption": caption})
        attachment_id = attachment.pk
        fetch_attachment.enqueue(attachment_id=attachment_id)  # in this transaction, with the row
    return attachment


def attachment_fetch(*, attachment_id: int) -> str:
    """Download the bytes of a pending attachment through the chat backend (task) and store them as the
    booking's file, checked like any upload: what is not an image we accept is ``failed``, nothing kept."""
    attachment = (BookingAttachment.objects.select_related("uploaded_by")
                  .filter(pk=attachment_id, status=AttachmentStatus.PENDING).first())
    if attachment is None:
        return "nothing_to_do"
    try:
        content, name = backends.get_backend().download(file_id=attachment.telegram_file_id)
    except backends.ChatSendError as exc:
        if exc.permanent:
            BookingAttachment.objects.filter(pk=attachment.pk).update(status=AttachmentStatus.FAILED)
            return AttachmentStatus.FAILED
        return AttachmentStatus.PENDING
    actor = Actor.from_user(attachment.uploaded_by) if attachment.uploaded_by else Actor.system()
    try:
        ready = file_services.file_ready(upload=content, name=f"{attachment.telegram_file_unique_id}{_extension(name)}")
        stored = file_services.file_store_arrived(actor=actor, channel=attachment.channel,
                                                  booking_id=attachment.booking_id, ready=ready, customer_visible=False)
    except DomainError as exc:
        logger.info("chat attachment %s refused: %s", attachment.pk, exc.code)
        BookingAttachment.objects.filter(pk=attachment.pk).update(status=AttachmentStatus.FAILED)
        return AttachmentStatus.FAILED
    BookingAttachment.objects.filter(pk=attachment.pk).update(
        stored_file=stored, size=stored.size, status=AttachmentStatus.STORED, content_type=stored.content_type)
    return AttachmentStatus.STORED


def _extension(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return f".{suffix}" if suffix.isalnum() and len(suffix) <= 5 else ""


# --- change requests filed from the chat -------------------------------------------------------------------

DECLINE_KIND = "booking_decline"
CANCEL_KIND = "booking_cancel"


def _apply_decline(request: ChangeRequest, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    booking_services.assignment_respond(actor=actor, channel=channel, booking_id=request.booking_id, accept=False,
                                        fieldworker_id=request.fieldworker_id,
                                        reason=request.payload.get("reason") or "Declined by request")
    return {"declined": True}


def _apply_cancel(request: ChangeRequest, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    # the fieldworker called the job off: the customer pays no fee (decisions 0125, 0140)
    booking = booking_services.booking_cancel(actor=actor, channel=channel, booking_id=request.booking_id,
                                              reason=request.payload.get("reason") or "Cancelled by request",
                                              waive_fee=actor.is_staff)
    return {"cancelled": True, "fee": str(booking.cancellation_fee)}


change_requests.register(DECLINE_KIND, _apply_decline)
change_requests.register(CANCEL_KIND, _apply_cancel)


def booking_change_request(*, actor: Actor, channel: Channel, booking_id: int, kind: str,
                           reason: str) -> ChangeRequest:
    """A fieldworker asks staff to decline or cancel a job for them (when the company's flags say the
    fieldworker may not do it directly). One pending request per job and kind."""
    if kind not in (DECLINE_KIND, CANCEL_KIND):
        raise ValidationFailed("kind", "Unknown kind of request.")
    if not actor.is_fieldworker:
        raise DomainError("forbidden", "Only the assigned fieldworker files this request.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason", "Please give a reason.", code="reason_required")
    if len(reason) > 2000:
        raise ValidationFailed("reason", "At most 2000 characters.", code="too_long")
    with transaction.atomic():
        booking = policy.ensure_visible(Booking.objects.select_for_update().filter(pk=booking_id).first(), actor,
                                         booking_id=booking_id)
        if not booking.is_open:
            raise DomainError("not_open", "This job is no longer open.")
        pending = ChangeRequest.objects.filter(fieldworker_id=actor.fieldworker_id, booking=booking, kind=kind,
                                               status=ChangeRequestStatus.PENDING).exists()
        if pending:
            raise DomainError("already_requested", "You already asked the office about this job.")
        verb = "decline" if kind == DECLINE_KIND else "cancel"
        return workforce_services.change_request_file(
            actor=actor, channel=channel, fieldworker_id=actor.fieldworker_id, kind=kind,
            payload={"booking_id": booking.pk, "reason": reason},
            summary=f"Asks to {verb} job #{booking.number}: {reason}"[:300], booking_id=booking.pk)


def offer_queue(*, booking: Booking, fieldworker_id: int, assignment_id: int, event_id: int) -> None:
    """Queue a job offer with Accept / Decline buttons (called by the event subscriber)."""
    binding = selectors.binding_for_fieldworker(fieldworker_id)
    if binding is None:
        return
    outbox.send(binding.chat_id, texts.offer(booking), kind=MessageKind.OFFER, fieldworker_id=fieldworker_id,
                booking_id=booking.pk, buttons=texts.offer_buttons(booking.pk),
                dedupe_key=f"offer:{assignment_id}:{event_id}")


def update_claim(*, update_id: int, kind: str = "", chat_id: int | None = None) -> bool:
    """Claim a Telegram update id: True the first time it is seen, False for a redelivery.
    The primary key decides (an insert that may fail), not a read before the write."""
    try:
        with transaction.atomic():
            ProcessedUpdate.objects.create(update_id=update_id, kind=kind[:30], chat_id=chat_id)
    except IntegrityError:
        return False
    return True


def chat_message_retry(*, actor: Actor, channel: Channel, message_id: int) -> Any:
    """Staff send a failed chat message again (its attempts were used up, or the Bot API refused it)."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff may resend chat messages.")
    with transaction.atomic():
        if not ChatMessage.objects.filter(pk=message_id).exists():
            raise NotFound("chat message")
        message = outbox.retry(message_id)
        if message is None:
            raise DomainError("not_failed", "Only failed chat messages are resent.")
    return message


# --- tasks the services enqueue (defined here, beside what they run: ``tasks`` imports this module,
# never the reverse; ids only, decision 0037) ---------------------------------------------------


@task()
def fetch_attachment(attachment_id: int) -> str:
    return attachment_fetch(attachment_id=attachment_id)


@task()
def text_customer_on_my_way(booking_id: int, fieldworker_id: int) -> str:
    return on_my_way_sms(booking_id=booking_id, fieldworker_id=fieldworker_id)
