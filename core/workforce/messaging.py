"""Messages to fieldworkers: staff writing to one fieldworker or a saved list (e-mail, SMS or
chat, about a booking or not) and the e-mail verification link. Each message is one
``FieldworkerMessage`` row (the delivery row and the per-fieldworker log) sent by the task
``deliver_fieldworker_message``, whose task row is written with the message (ids only, decisions
0030, 0037). A delivery claims its row with the running task's id (decision 0033); a transient failure
(SMTP or Twilio unreachable, a chat the outbox could not reach yet) queues it again with back-off,
then it is ``failed`` and staff may retry it (``fieldworker_message_retry``, decision 0196). Every
change of a message writes an activity-log row and publishes a ``FieldworkerMessageEvent`` with that
row's id, which the staff's live thread view follows (decision 0197).

The verification link is made when the e-mail is sent, from Django's token generator (it hashes
the account's password and last sign-in, so it works once: setting the password spends it), and is
never stored (decision 0182).
"""

from __future__ import annotations

import logging
from datetime import timedelta

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
from core.delivery import current_claim, next_attempt, smtp_transient
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.text import refuse_nul

from .events import FieldworkerMessaged, FieldworkerMessageEvent, FieldworkerMessageStatusChanged, FieldworkerUpdated
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
LOST_AFTER = timedelta(minutes=10)  # queued or sending this long with no live task: sent again by the sweep


def verification_url(fieldworker: Fieldworker) -> str:
    user = fieldworker.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{settings.FIELDOPS_PUBLIC_URL}/fieldworker/verify/{uid}/{default_token_generator.make_token(user)}/"


def _enqueue(message_id: int) -> None:
    deliver_fieldworker_message.enqueue(message_id)  # a task row in the caller's transaction (decision 0030)


def _recorded(message: FieldworkerMessage, *, action: str, actor: Actor, channel: Channel | str,
              data: dict | None = None, event: type[FieldworkerMessageEvent] = FieldworkerMessageStatusChanged,
              ) -> FieldworkerLog:
    """The activity-log row of a change to a message, and its event (the live thread view follows it)."""
    if data is None:
        data = {"message_id": message.pk, "medium": message.medium, "status": message.status}
        if message.error:
            data["error"] = message.error
    entry = FieldworkerLog.objects.create(fieldworker_id=message.fieldworker_id, action=action,
                                          actor_kind=actor.kind, actor_user=actor.user, channel=str(channel),
                                          data=data)
    events.publish(event(
        fieldworker_id=message.fieldworker_id, channel=str(channel), actor_kind=actor.kind,
        actor_user_id=actor.user_id, event_id=entry.pk, message_id=message.pk, medium=message.medium,
        status=message.status, kind=message.kind, inbound=message.inbound, action=action, error=message.error,
        attempts=message.attempts, occurred_at=entry.at.isoformat(),
        next_attempt_at=message.next_attempt_at.isoformat() if message.next_attempt_at else ""))
    return entry


def queue_verification(fieldworker: Fieldworker, *, actor: Actor, channel: Channel | str) -> FieldworkerMessage:
    """Log and queue the verification e-mail to the fieldworker's current address (inside the caller's
    transaction; it leaves after commit)."""
    message = FieldworkerMessage.objects.create(
        fieldworker=fieldworker, medium=MessageMedium.EMAIL, kind=MessageKind.VERIFICATION,
        subject="Confirm your e-mail address", to=fieldworker.user.email, created_by=actor.user)
    _recorded(message, action="verification_sent", actor=actor, channel=channel, event=FieldworkerMessaged,
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
            _recorded(message, action="message_sent", actor=actor, channel=channel, event=FieldworkerMessaged,
                      data={"message_id": message.pk, "medium": medium, "booking_id": booking_id})
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
    _recorded(message, action="sms_received", actor=actor, channel=channel, event=FieldworkerMessaged,
              data={"message_id": message.pk})
    return message


# --- delivery ---------------------------------------------------------------------------------------


@task()
def deliver_fieldworker_message(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def _claim(message_id: int, claim: str) -> FieldworkerMessage | None:
    """Take a queued message for sending (queued -> sending in one update, recording the claimer): a
    second task, or a second worker, finds nothing to send, so a message goes at most once; the same
    task run again after its worker was lost takes back its own claim (decision 0033)."""
    rows = FieldworkerMessage.objects.filter(pk=message_id)
    now = timezone.now()
    claimed = rows.filter(status=MessageStatus.QUEUED).update(status=MessageStatus.SENDING, claim=claim,
                                                              updated_at=now)
    if not claimed and claim:
        claimed = rows.filter(status=MessageStatus.SENDING, claim=claim).update(updated_at=now)
    if not claimed:
        return None
    return FieldworkerMessage.objects.select_related("fieldworker__user", "booking").get(pk=message_id)


def _finish(message: FieldworkerMessage, status: str, *, error: str = "", external_id: str | None = None,
            transient: bool = False) -> str:
    """Record one attempt's outcome. A transient failure goes back to ``queued`` with its retry task
    deferred by the back-off, unless the attempts are used up (then ``failed``; decision 0034)."""
    now = timezone.now()
    attempts = message.attempts + 1
    retry_at = next_attempt(attempts, now=now) if transient else None
    if retry_at is not None:
        status = MessageStatus.QUEUED
    values = {"status": status, "error": error[:255], "attempts": attempts, "next_attempt_at": retry_at,
              "updated_at": now, "sent_at": now if status in (MessageStatus.SENT, MessageStatus.DELIVERED) else None}
    if external_id is not None:
        values["external_id"] = external_id
    with transaction.atomic():  # the outcome, its retry task, its log row and event: together
        if not FieldworkerMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**values):
            return FieldworkerMessage.objects.filter(pk=message.pk).values_list("status", flat=True).first() or "gone"
        for name, value in values.items():
            setattr(message, name, value)
        if retry_at is not None:
            deliver_fieldworker_message.using(run_after=retry_at).enqueue(message.pk)
            logger.warning("Message %s to fieldworker %s failed (attempt %s), again at %s: %s", message.pk,
                           message.fieldworker_id, attempts, retry_at, error)
        elif status == MessageStatus.FAILED:
            logger.warning("Message %s to fieldworker %s failed (attempt %s): %s", message.pk,
                           message.fieldworker_id, attempts, error)
        _recorded(message, action="message_status", actor=Actor.system(), channel=Channel.SYSTEM)
    return status


def _text(message: FieldworkerMessage) -> str:
    if message.booking_id is None:
        return message.body
    booking = message.booking
    return f"[Booking #{booking.number}] {message.body}"


def message_deliver(*, message_id: int, claim: str | None = None) -> str:
    """Send one queued message through its medium; the row records the outcome. A message no longer
    queued (sent already, taken by another task, or gone) is left alone."""
    message = _claim(message_id, current_claim() if claim is None else claim)
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
    except Exception as exc:  # SMTP refused or unreachable: recorded on the row, retried when transient
        return _finish(message, MessageStatus.FAILED, error=f"{type(exc).__name__}: {exc}",
                       transient=smtp_transient(exc))
    return _finish(message, MessageStatus.SENT)


# What a status report on the SMS a message went as means for the message (it only moves on from sent).
SMS_REPORTS = {"delivered": MessageStatus.DELIVERED, "read": MessageStatus.DELIVERED,
               "failed": MessageStatus.FAILED, "undelivered": MessageStatus.FAILED}


def _send_sms(message: FieldworkerMessage) -> str:
    from core.sms.models import SmsKind, SmsStatus
    from core.sms.services import TRANSIENT_ERRORS, sms_send

    if not message.to:
        return _finish(message, MessageStatus.SKIPPED, error="no_mobile")
    # one SMS log row per attempt; the SMS layer does not retry this kind, this row does
    sms = sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=message.to, body=_text(message),
                   booking_id=message.booking_id, kind=SmsKind.FIELDWORKER)
    if sms.status == SmsStatus.SKIPPED:
        return _finish(message, MessageStatus.SKIPPED, error=sms.error_message, external_id=str(sms.pk))
    if sms.status in (SmsStatus.FAILED, SmsStatus.UNDELIVERED):
        transient = not sms.permanent_failure and (sms.error_code is None or sms.error_code in TRANSIENT_ERRORS)
        error = f"{sms.error_code}: {sms.error_message}" if sms.error_code else sms.error_message
        return _finish(message, MessageStatus.FAILED, error=error, external_id=str(sms.pk), transient=transient)
    status = _finish(message, MessageStatus.SENT, external_id=str(sms.pk))
    # a status report that came in while this attempt was being recorded found the row still sending
    sms.refresh_from_db(fields=["status", "error_code", "error_message"])
    if sms.status in SMS_REPORTS:
        fieldworker_sms_reported(actor=Actor.system(), channel=Channel.SYSTEM, sms_message_id=sms.pk,
                                 status=sms.status, error=sms.error_message)
    return status


def fieldworker_sms_reported(*, actor: Actor, channel: Channel, sms_message_id: int, status: str,
                             error: str = "") -> FieldworkerMessage | None:
    """A status report on the SMS a message went as (the SMS layer calls this): a sent message becomes
    delivered, or failed (the carrier could not deliver it; staff may retry). Moves forward only, with
    one conditional update, so a late or repeated report changes nothing."""
    if not actor.is_system:
        raise PermissionDenied()
    target = SMS_REPORTS.get(status)
    if target is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        message = (FieldworkerMessage.objects.filter(medium=MessageMedium.SMS, inbound=False,
                                                     external_id=str(sms_message_id)).first())
        if message is None or not FieldworkerMessage.objects.filter(
                pk=message.pk, status=MessageStatus.SENT).update(status=target, error=error[:255], updated_at=now):
            return None
        message.status, message.error, message.updated_at = target, error[:255], now
        _recorded(message, action="message_status", actor=actor, channel=channel)
    return message


def on_sms_status_reported(event) -> None:
    """The ``core.sms.events.SmsStatusReported`` subscriber."""
    if event.kind == "fieldworker":
        fieldworker_sms_reported(actor=Actor.system(), channel=event.channel, sms_message_id=event.sms_message_id,
                                 status=event.status, error=event.error)


def _send_chat(message: FieldworkerMessage) -> str:
    """Through the chat outbox. The first attempt queues an outbox row and delivers it at once; a retry
    follows the same row (delivering it if it is still due), so the fieldworker gets it once."""
    from core.chat import outbox
    from core.chat.models import ChatBinding, ChatMessage
    from core.chat.models import MessageStatus as ChatStatus

    row = (ChatMessage.objects.filter(pk=int(message.external_id)).first() if message.external_id.isdigit()
           else None)
    if row is None:
        binding = (ChatBinding.objects.filter(fieldworker_id=message.fieldworker_id, unlinked_at__isnull=True)
                   .order_by("-linked_at").first())
        if binding is None:
            return _finish(message, MessageStatus.SKIPPED, error="not_linked")
        row = outbox.queue(chat_id=binding.chat_id, text=_text(message), fieldworker_id=message.fieldworker_id,
                           booking_id=message.booking_id)
        FieldworkerMessage.objects.filter(pk=message.pk).update(external_id=str(row.pk))  # a retry follows it
    outcome = outbox.deliver(row.pk)  # its own task may have sent it already: then this reads its status
    if outcome == ChatStatus.SENT:
        return _finish(message, MessageStatus.SENT, external_id=str(row.pk))
    error = ChatMessage.objects.filter(pk=row.pk).values_list("last_error", flat=True).first() or outcome
    transient = outcome in (ChatStatus.PENDING, ChatStatus.SENDING)  # the outbox will try again: so do we
    return _finish(message, MessageStatus.FAILED, error=error, external_id=str(row.pk), transient=transient)


# --- retry and the sweep -------------------------------------------------------------------------------------


def message_lost(message: FieldworkerMessage, *, now=None) -> bool:
    """Queued or sending for a while with no live task to finish it (its task row pruned, or every
    worker that tried it lost)."""
    from core.tasking import task_alive

    if message.inbound or message.status not in (MessageStatus.QUEUED, MessageStatus.SENDING):
        return False
    now = now or timezone.now()
    if message.status == MessageStatus.SENDING and message.claim:
        return not task_alive(message.claim)
    if message.status == MessageStatus.QUEUED and message.next_attempt_at is not None:
        return message.next_attempt_at < now - LOST_AFTER
    return message.updated_at < now - LOST_AFTER


def fieldworker_message_retry(*, actor: Actor, channel: Channel, message_id: int) -> FieldworkerMessage:
    """Staff send a failed (or lost) message to a fieldworker again. Its attempts keep counting, so one
    that fails again with its attempts used up is failed at once (one more try per retry)."""
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff send messages to fieldworkers again.")
    with transaction.atomic():
        message = FieldworkerMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise NotFound("message")
        if message.inbound:
            raise DomainError("cannot_retry", "A message the fieldworker sent us is not sent again.")
        failed = message.status == MessageStatus.FAILED
        if not failed and not message_lost(message):
            raise DomainError("not_failed", f"Only failed messages are sent again; this one is {message.status}.")
        message.status, message.error, message.claim, message.next_attempt_at = MessageStatus.QUEUED, "", "", None
        message.updated_at = timezone.now()
        fields = ["status", "error", "claim", "next_attempt_at", "updated_at"]
        if failed and message.medium != MessageMedium.EMAIL:
            message.external_id = ""  # a new SMS or chat message: the one it went as failed for good
            fields.append("external_id")
        message.save(update_fields=fields)
        _recorded(message, action="message_retried", actor=actor, channel=channel)
        _enqueue(message.pk)
    return message


def requeue_lost(limit: int = 500) -> int:
    """Messages left queued or sending with no task to finish them: queued again with a fresh delivery
    task (the ``deliveries sweep`` job; the claim keeps it to one send)."""
    old = timezone.now() - LOST_AFTER
    candidates = (FieldworkerMessage.objects.filter(status__in=(MessageStatus.QUEUED, MessageStatus.SENDING),
                                                    inbound=False, updated_at__lt=old).order_by("pk")[:limit])
    count = 0
    for message in candidates:
        if not message_lost(message):
            continue
        with transaction.atomic():
            if FieldworkerMessage.objects.filter(pk=message.pk, status=message.status,
                                                 updated_at=message.updated_at).update(
                    status=MessageStatus.QUEUED, claim="", next_attempt_at=None, updated_at=timezone.now()):
                _enqueue(message.pk)
                count += 1
    return count
