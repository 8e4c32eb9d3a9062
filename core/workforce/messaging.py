"""Messages to fieldworkers: staff writing to one fieldworker or a saved list (e-mail, SMS or
chat, about a booking or not) and the e-mail verification link. Each message is one
``FieldworkerMessage`` row (the delivery row and the per-fieldworker log) sent by the task
``deliver_fieldworker_message`` after commit (ids only, decision 0037).

The verification link is made when the e-mail is sent, from Django's token generator (it hashes
the account's password and last sign-in, so it works once: setting the password spends it), and is
never stored (decision 0182).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from core import events
from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.text import refuse_nul

from .events import FieldworkerMessaged, FieldworkerUpdated
from .models import (
    Fieldworker,
    FieldworkerLog,
    FieldworkerMessage,
    FieldworkerStatus,
    MessageKind,
    MessageMedium,
    MessageStatus,
    SavedFieldworkerList,
)

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 500
SMS_LIMIT = 640
BODY_LIMIT = 5000


def verification_url(fieldworker: Fieldworker) -> str:
    user = fieldworker.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{settings.FIELDOPS_PUBLIC_URL}/fieldworker/verify/{uid}/{default_token_generator.make_token(user)}/"


def _enqueue(message_id: int) -> None:
    transaction.on_commit(lambda: deliver_fieldworker_message.enqueue(message_id), robust=True)


def queue_verification(fieldworker: Fieldworker, *, actor: Actor, channel: Channel | str) -> FieldworkerMessage:
    """Log and queue the verification e-mail to the fieldworker's current address (inside the caller's
    transaction; it leaves after commit)."""
    message = FieldworkerMessage.objects.create(
        fieldworker=fieldworker, medium=MessageMedium.EMAIL, kind=MessageKind.VERIFICATION,
        subject="Confirm your e-mail address", to=fieldworker.user.email, created_by=actor.user)
    FieldworkerLog.objects.create(fieldworker=fieldworker, action="verification_sent", actor_kind=actor.kind,
                                  actor_user=actor.user, channel=str(channel),
                                  data={"message_id": message.pk, "email": message.to})
    _enqueue(message.pk)
    return message


def fieldworker_verification_resend(*, actor: Actor, channel: Channel, fieldworker_id: int) -> FieldworkerMessage:
    """Staff send the verification e-mail again (a new link; earlier ones keep working until used)."""
    if not (actor.is_staff or actor.is_system):
        raise NotFound("fieldworker", field="fieldworkerId")
    with transaction.atomic():
        fieldworker = Fieldworker.objects.select_related("user").filter(pk=fieldworker_id).first()
        if fieldworker is None:
            raise NotFound("fieldworker", field="fieldworkerId")
        if fieldworker.email_verified_at is not None:
            raise DomainError("already_verified", "This e-mail address is verified already.")
        return queue_verification(fieldworker, actor=actor, channel=channel)


def read_verification_link(uid: str, token: str) -> Fieldworker | None:
    """The fieldworker a verification link names, or None (forged, used, expired)."""
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(urlsafe_base64_decode(uid).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    fieldworker = Fieldworker.objects.select_related("user").filter(user_id=pk).first()
    if fieldworker is None or not default_token_generator.check_token(fieldworker.user, token):
        return None
    return fieldworker


def fieldworker_email_verify(*, actor: Actor, channel: Channel, uid: str, token: str, password: str) -> Fieldworker:
    """The verification link's page: the address is verified and the password set, which spends the
    link. A blocked fieldworker's link does nothing (``invalid_link``)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    fieldworker = read_verification_link(uid, token)
    if fieldworker is None or fieldworker.status == FieldworkerStatus.BLOCKED:
        raise DomainError("invalid_link", "This link is used, expired or not valid.")
    try:
        validate_password(password, user=fieldworker.user)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(exc.messages), field="password")
    with transaction.atomic():
        fieldworker = Fieldworker.objects.select_for_update().select_related("user").get(pk=fieldworker.pk)
        user = fieldworker.user
        user.set_password(password)
        user.save(update_fields=["password"])
        fieldworker.email_verified_at = timezone.now()
        fieldworker.save(update_fields=["email_verified_at"])
        FieldworkerLog.objects.create(fieldworker=fieldworker, action="email_verified", actor_kind=actor.kind,
                                      actor_user=user, channel=str(channel), data={"email": user.email})
        events.publish(FieldworkerUpdated(fieldworker_id=fieldworker.pk, channel=str(channel), actor_kind=actor.kind,
                                          actor_user_id=user.pk, changed=("email_verified_at",)))
    return fieldworker


# --- staff messages -------------------------------------------------------------------------------


def fieldworker_message_send(*, actor: Actor, channel: Channel, medium: str, body: str, subject: str = "",
                             fieldworker_id: int | None = None, saved_list_id: int | None = None,
                             booking_id: int | None = None) -> list[FieldworkerMessage]:
    """Staff write to one fieldworker or to everyone on a saved list (blocked fieldworkers are left
    out). One delivery row per fieldworker, each sent by a task."""
    from core.bookings.models import Booking

    from .profile import saved_list_members

    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff send messages to fieldworkers.")
    if medium not in MessageMedium.values:
        raise ValidationFailed("medium", "Unknown medium.")
    if (fieldworker_id is None) == (saved_list_id is None):
        raise DomainError("ambiguous", "Send to one fieldworker or to a saved list.", field="fieldworkerId")
    body = refuse_nul((body or "").strip(), "body")
    subject = refuse_nul((subject or "").strip(), "subject")
    if not body:
        raise ValidationFailed("body", "A message needs text.", code="required")
    limit = SMS_LIMIT if medium == MessageMedium.SMS else BODY_LIMIT
    if len(body) > limit:
        raise ValidationFailed("body", f"At most {limit} characters.", code="too_long")
    if len(subject) > 200:
        raise ValidationFailed("subject", "At most 200 characters.", code="too_long")
    if booking_id is not None and not Booking.objects.filter(pk=booking_id).exists():
        raise NotFound("booking", field="bookingId")
    saved = None
    if saved_list_id is not None:
        saved = SavedFieldworkerList.objects.filter(pk=saved_list_id).first()
        if saved is None:
            raise NotFound("fieldworker list", field="savedListId")
        recipients = list(saved_list_members(saved).exclude(status=FieldworkerStatus.BLOCKED)
                          .select_related("user")[: MAX_RECIPIENTS + 1])
        if len(recipients) > MAX_RECIPIENTS:
            raise ValidationFailed("savedListId", f"At most {MAX_RECIPIENTS} recipients at once.", code="too_many")
    else:
        one = Fieldworker.objects.select_related("user").filter(pk=fieldworker_id).first()
        if one is None:
            raise NotFound("fieldworker", field="fieldworkerId")
        if one.status == FieldworkerStatus.BLOCKED:
            raise DomainError("fieldworker_blocked", f"{one.name} is blocked.", field="fieldworkerId")
        recipients = [one]
    out: list[FieldworkerMessage] = []
    with transaction.atomic():
        for fieldworker in recipients:
            to = {MessageMedium.EMAIL: fieldworker.user.email, MessageMedium.SMS: fieldworker.mobile}.get(medium, "")
            message = FieldworkerMessage.objects.create(
                fieldworker=fieldworker, medium=medium, kind=MessageKind.MESSAGE, subject=subject, body=body,
                booking_id=booking_id, saved_list=saved, to=to, created_by=actor.user)
            FieldworkerLog.objects.create(fieldworker=fieldworker, action="message_sent", actor_kind=actor.kind,
                                          actor_user=actor.user, channel=str(channel),
                                          data={"message_id": message.pk, "medium": medium, "booking_id": booking_id})
            events.publish(FieldworkerMessaged(fieldworker_id=fieldworker.pk, channel=str(channel),
                                               actor_kind=actor.kind, actor_user_id=actor.user_id,
                                               message_id=message.pk, medium=medium))
            _enqueue(message.pk)
            out.append(message)
    return out


def fieldworker_sms_received(*, actor: Actor, channel: Channel, sender: str, body: str,
                             sms_message_id: int) -> FieldworkerMessage | None:
    """An SMS from a number that is a fieldworker's: filed in that fieldworker's SMS log (their
    thread with the office), not in the customer inquiry inbox (decision 0186). None when the number
    is no fieldworker's."""
    if not (actor.is_system or actor.is_staff):
        raise PermissionDenied()
    fieldworker = Fieldworker.objects.filter(mobile=sender).order_by("id").first() if sender else None
    if fieldworker is None:
        return None
    message = FieldworkerMessage.objects.create(
        fieldworker=fieldworker, inbound=True, medium=MessageMedium.SMS, kind=MessageKind.RECEIVED,
        body=refuse_nul(body or "", "body")[:BODY_LIMIT], to=sender, status=MessageStatus.RECEIVED,
        external_id=str(sms_message_id), sent_at=timezone.now())
    FieldworkerLog.objects.create(fieldworker=fieldworker, action="sms_received", actor_kind=actor.kind,
                                  actor_user=actor.user, channel=str(channel), data={"message_id": message.pk})
    events.publish(FieldworkerMessaged(fieldworker_id=fieldworker.pk, channel=str(channel), actor_kind=actor.kind,
                                       actor_user_id=actor.user_id, message_id=message.pk, medium=MessageMedium.SMS))
    return message


# --- delivery -------------------------------------------------------------------------------------


@task()
def deliver_fieldworker_message(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def _claim(message_id: int) -> FieldworkerMessage | None:
    """Take a queued message for sending (queued -> sending in one update): a second run of the task,
    or a second worker, finds nothing to send, so a message goes at most once."""
    if not FieldworkerMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING):
        return None
    return FieldworkerMessage.objects.select_related("fieldworker__user", "booking").get(pk=message_id)


def _finish(message: FieldworkerMessage, status: str, *, error: str = "", external_id: str = "") -> str:
    FieldworkerMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=status, error=error[:255], external_id=external_id,
        sent_at=timezone.now() if status == MessageStatus.SENT else None)
    return status


def _text(message: FieldworkerMessage) -> str:
    if message.booking_id is None:
        return message.body
    booking = message.booking
    return f"[Booking #{booking.number}] {message.body}"


def message_deliver(*, message_id: int) -> str:
    """Send one queued message through its medium; the row records the outcome. A message no longer
    queued (sent already, or gone) is left alone."""
    message = _claim(message_id)
    if message is None:
        return "gone"
    fieldworker = message.fieldworker
    if message.kind == MessageKind.VERIFICATION:
        if fieldworker.user.email != message.to:
            return _finish(message, MessageStatus.SKIPPED, error="email_changed")
        body = (f"Hello {fieldworker.name},\n\nPlease confirm your e-mail address and choose a password:\n"
                f"{verification_url(fieldworker)}\n")
        return _send_email(message, message.subject, body)
    if fieldworker.status == FieldworkerStatus.BLOCKED:
        return _finish(message, MessageStatus.SKIPPED, error="fieldworker_blocked")
    if message.medium == MessageMedium.EMAIL:
        subject = message.subject or (f"About booking #{message.booking.number}" if message.booking_id
                                      else "A message from the office")
        return _send_email(message, subject, _text(message))
    if message.medium == MessageMedium.SMS:
        return _send_sms(message)
    return _send_chat(message)


def _send_email(message: FieldworkerMessage, subject: str, body: str) -> str:
    if not message.to:
        return _finish(message, MessageStatus.SKIPPED, error="no_email")
    try:
        EmailMessage(subject=subject, body=body, to=[message.to]).send()
    except Exception as exc:  # SMTP refused or unreachable: recorded on the row, staff may send again
        logger.warning("E-mail %s to fieldworker %s failed: %s", message.pk, message.fieldworker_id, exc)
        return _finish(message, MessageStatus.FAILED, error=str(exc) or exc.__class__.__name__)
    return _finish(message, MessageStatus.SENT)


def _send_sms(message: FieldworkerMessage) -> str:
    from core.sms.models import SmsStatus
    from core.sms.services import sms_send

    if not message.to:
        return _finish(message, MessageStatus.SKIPPED, error="no_mobile")
    sms = sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=message.to, body=_text(message),
                   booking_id=message.booking_id)
    if sms.status == SmsStatus.SKIPPED:
        return _finish(message, MessageStatus.SKIPPED, error=sms.error_message, external_id=str(sms.pk))
    if sms.status == SmsStatus.FAILED:
        return _finish(message, MessageStatus.FAILED, error=sms.error_message, external_id=str(sms.pk))
    return _finish(message, MessageStatus.SENT, external_id=str(sms.pk))


def _send_chat(message: FieldworkerMessage) -> str:
    from core.chat import outbox
    from core.chat.models import ChatBinding

    binding = (ChatBinding.objects.filter(fieldworker_id=message.fieldworker_id, unlinked_at__isnull=True)
               .order_by("-linked_at").first())
    if binding is None:
        return _finish(message, MessageStatus.SKIPPED, error="not_linked")
    queued = outbox.queue(chat_id=binding.chat_id, text=_text(message), fieldworker_id=message.fieldworker_id,
                          booking_id=message.booking_id)
    return _finish(message, MessageStatus.SENT, external_id=str(queued.pk) if queued else "")
