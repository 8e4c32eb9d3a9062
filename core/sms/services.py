"""The only writers of the SMS log, prompts, opt-out state and the discussion's deliveries.

Sending is two short steps around the transport call, never inside a caller's transaction:
the log row is written (``queued``), the backend is called, the row gets the provider's sid or
the error. Automated sends check the pause flags and the opt-out state first and log a
``skipped`` row saying why, so staff can see that nothing went out and for what reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import events
from core.actors import Actor, ActorKind, Channel
from core.bookings import policy
from core.delivery import current_claim, next_attempt
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.phones import normalise_phone
from core.text import NUL, without_nul

from . import backends, messages, selectors
from .events import SmsStatusReported
from .models import (
    AUTOMATED_KINDS,
    OPTED_OUT_ERROR,
    PERMANENT_ERRORS,
    SMS_TO_DELIVERY,
    STATUS_RANK,
    CommentDelivery,
    DeliveryChannel,
    DeliveryStatus,
    Direction,
    PromptKind,
    SmsKind,
    SmsMessage,
    SmsOptOut,
    SmsPrompt,
    SmsStatus,
)
from .text import fit

logger = logging.getLogger(__name__)


# --- opt-out ----------------------------------------------------------------------------------


def sms_opt_out(*, actor: Actor, channel: Channel, number: str, keyword: str = "",
                source: str = "keyword") -> SmsOptOut:
    number = normalise_phone(number, field="number")
    row, _ = SmsOptOut.objects.update_or_create(
        number=number, defaults={"opted_out": True, "keyword": keyword[:20], "source": source[:20],
                                 "changed_at": timezone.now()})
    return row


def sms_opt_in(*, actor: Actor, channel: Channel, number: str, keyword: str = "") -> SmsOptOut:
    number = normalise_phone(number, field="number")
    row, _ = SmsOptOut.objects.update_or_create(
        number=number, defaults={"opted_out": False, "keyword": keyword[:20], "source": "keyword",
                                 "changed_at": timezone.now()})
    return row


# --- prompts ----------------------------------------------------------------------------------


def prompt_open(*, actor: Actor, channel: Channel, customer_number: str, our_number: str, kind: str,
                booking_id: int | None = None, data: dict | None = None, expires_at: datetime | None = None,
                message_id: int | None = None) -> SmsPrompt:
    """Record what a reply on this number pair will answer. A booking prompt replaces an older
    one for the same booking; a dialog question (which booking? accept the fee?) replaces any
    earlier dialog question on the pair."""
    if kind not in PromptKind.values:
        raise ValidationFailed("kind", "Unknown prompt kind.")
    now = timezone.now()
    with transaction.atomic():
        open_on_pair = SmsPrompt.objects.filter(customer_number=customer_number, our_number=our_number,
                                                closed_at__isnull=True)
        if kind == PromptKind.BOOKING:
            open_on_pair.filter(kind=PromptKind.BOOKING, booking_id=booking_id).update(closed_at=now)
        else:
            open_on_pair.exclude(kind=PromptKind.BOOKING).update(closed_at=now)
        return SmsPrompt.objects.create(customer_number=customer_number, our_number=our_number, kind=kind,
                                        booking_id=booking_id, data=data or {}, expires_at=expires_at,
                                        message_id=message_id)


def prompt_close(*, actor: Actor, channel: Channel, prompt_id: int) -> None:
    SmsPrompt.objects.filter(pk=prompt_id, closed_at__isnull=True).update(closed_at=timezone.now())


def prompts_close_dialog(*, actor: Actor, channel: Channel, customer_number: str, our_number: str) -> None:
    """Close the open dialog questions (not the booking prompts) on a number pair."""
    (SmsPrompt.objects.filter(customer_number=customer_number, closed_at__isnull=True)
     .filter(Q(our_number=our_number) | Q(our_number=""))
     .exclude(kind=PromptKind.BOOKING).update(closed_at=timezone.now()))


# --- inbound ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    message: SmsMessage
    created: bool


def sms_inbound_record(*, actor: Actor, channel: Channel, sid: str, from_number: str, to_number: str,
                       body: str, customer_id: int | None = None) -> Inbound:
    """Log an inbound message once. The unique sid makes a redelivery find the first row (with
    the reply it got) instead of acting again; no check-then-insert, so two concurrent
    deliveries cannot both win. Call inside the caller's transaction."""
    if not sid or len(sid) > 64:
        raise ValidationFailed("MessageSid", "A message id is required.")
    for name, value in (("MessageSid", sid), ("From", from_number), ("To", to_number)):
        if NUL in value:  # PostgreSQL cannot store it; no carrier sends one in an address
            raise ValidationFailed(name, "Not a valid value.", code="invalid_characters")
    body = without_nul(body)  # the text is the sender's: keep it, without what cannot be stored
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                direction=Direction.INBOUND, kind=SmsKind.INBOUND, sid=sid, from_number=from_number[:20],
                to_number=to_number[:20], body=body[:1600], customer_id=customer_id,
                status=SmsStatus.RECEIVED, status_rank=STATUS_RANK[SmsStatus.RECEIVED],
            )
        return Inbound(message, True)
    except IntegrityError:
        return Inbound(SmsMessage.objects.get(sid=sid), False)


def sms_inbound_answer(*, actor: Actor, channel: Channel, message: SmsMessage, intent: str, reply: str,
                       booking_id: int | None = None, customer_id: int | None = None) -> SmsMessage | None:
    """Store what an inbound message was read as and the reply it got; log the reply as an
    outbound message (Twilio sends it from the TwiML answer). Returns the reply's log row."""
    fields = {"intent": intent[:24], "reply": reply, "replied": bool(reply), "updated_at": timezone.now()}
    if booking_id is not None:
        fields["booking_id"] = booking_id
    if customer_id is not None:
        fields["customer_id"] = customer_id
    SmsMessage.objects.filter(pk=message.pk).update(**fields)
    for key, value in fields.items():
        setattr(message, key, value)
    if not reply:
        return None
    return SmsMessage.objects.create(
        direction=Direction.OUTBOUND, kind=SmsKind.REPLY, from_number=message.to_number,
        to_number=message.from_number, body=reply, customer_id=message.customer_id, booking_id=message.booking_id,
        status=SmsStatus.QUEUED, status_rank=STATUS_RANK[SmsStatus.QUEUED], in_reply_to=message,
    )


# --- delivery status --------------------------------------------------------------------------


def sms_status_update(*, actor: Actor, channel: Channel, sid: str, status: str, error_code: int | None = None,
                      error_message: str = "", message_id: int | None = None) -> SmsMessage | None:
    """Apply a delivery status report. Moves forward only (a late ``sent`` after ``delivered``
    changes nothing) with one conditional UPDATE, so concurrent reports cannot step back."""
    status = (status or "").lower()
    if status not in STATUS_RANK:
        raise ValidationFailed("MessageStatus", "Unknown message status.")
    rank = STATUS_RANK[status]
    if NUL in (sid or ""):
        raise ValidationFailed("MessageSid", "Not a valid value.", code="invalid_characters")
    error_message = without_nul(error_message or "")
    with transaction.atomic():
        message = SmsMessage.objects.filter(sid=sid).first() if sid else None
        # A TwiML reply learns its sid from its first status report.
        if message is None and message_id is not None and sid and (
            SmsMessage.objects.filter(pk=message_id, sid__isnull=True, direction=Direction.OUTBOUND).update(sid=sid)
        ):
            message = SmsMessage.objects.get(pk=message_id)
        if message is None:
            return None
        moved = SmsMessage.objects.filter(pk=message.pk, status_rank__lt=rank).update(
            status=status, status_rank=rank, updated_at=timezone.now())
        if error_code and moved:  # a late report (say, after "delivered") changes nothing at all
            fields = {"error_code": error_code, "error_message": error_message[:255]}
            if error_code in PERMANENT_ERRORS:
                fields["permanent_failure"] = True
            SmsMessage.objects.filter(pk=message.pk).update(**fields)
            if error_code == OPTED_OUT_ERROR:
                _record_carrier_opt_out(message.to_number)
        message.refresh_from_db()
        if message.kind == SmsKind.COMMENT:
            _comment_sms_reported(message, actor=actor, channel=channel)
        elif message.kind == SmsKind.FIELDWORKER and moved:
            # a message to a fieldworker went as this text: it becomes delivered or failed (decision 0196)
            events.publish(SmsStatusReported(sms_message_id=message.pk, kind=message.kind, status=message.status,
                                             error=message.error_message, channel=str(channel),
                                             actor_kind=actor.kind))
    return message


def _record_carrier_opt_out(number: str) -> None:
    if not number:
        return
    SmsOptOut.objects.update_or_create(
        number=number, defaults={"opted_out": True, "source": f"error_{OPTED_OUT_ERROR}", "changed_at": timezone.now()})


# --- outbound ---------------------------------------------------------------------------------


def _skip_reason(*, kind: str, to: str, customer, booking) -> str:
    if kind == SmsKind.CONFIRMATION and booking is not None and policy.is_past(booking, now=timezone.now()):
        return "booking_in_past"  # recorded after the fact: nothing to confirm (decision 0623)
    if not to:
        return "no_mobile"
    if selectors.is_opted_out(to):
        return "opted_out"
    if kind in AUTOMATED_KINDS:
        if customer is not None and customer.automated_sms_paused:
            return "paused_for_customer"
        if booking is not None and booking.automated_sms_paused:
            return "paused_for_booking"
    return ""


def status_callback_url(message_id: int) -> str:
    base = settings.SMS_STATUS_CALLBACK_URL
    if not base:
        return ""
    return f"{base}?m={message_id}"


def sms_send(*, actor: Actor, channel: Channel, to: str, body: str, kind: str = SmsKind.MANUAL,
             customer_id: int | None = None, booking_id: int | None = None, prompt: bool = False,
             prompt_data: dict | None = None) -> SmsMessage:
    """Log one SMS (claimed by the running task) and send it through the configured backend. Call
    outside a transaction (a task runs it after commit). ``prompt``: replies to this message answer
    for the booking (``prompt_data``: what the conversation should know of it, e.g. the discussion
    message it carries)."""
    from core.bookings.models import Booking
    from core.crm.models import Customer

    if transaction.get_connection().in_atomic_block and not settings.TESTING:
        logger.warning("sms_send called inside a transaction; the transport call holds it open")
    if kind not in SmsKind.values or kind in (SmsKind.INBOUND, SmsKind.REPLY):
        raise ValidationFailed("kind", "Not a kind of message that is sent this way.")
    body = fit(body)
    if not body:
        raise ValidationFailed("body", "A message needs text.", code="required")
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    booking = Booking.objects.filter(pk=booking_id).first() if booking_id else None
    try:
        to = normalise_phone(to, field="to") if to else ""
    except ValidationFailed:
        to = ""
    sender = settings.TWILIO_FROM_NUMBER
    message = SmsMessage.objects.create(
        direction=Direction.OUTBOUND, kind=kind, from_number=sender, to_number=to, body=body,
        customer=customer, booking=booking, claim=current_claim(),
    )
    reason = _skip_reason(kind=kind, to=to, customer=customer, booking=booking)
    if reason:
        SmsMessage.objects.filter(pk=message.pk).update(status=SmsStatus.SKIPPED, status_rank=0, error_message=reason)
        message.refresh_from_db()
        return message
    return _transmit(message, actor=actor, channel=channel, prompt=prompt, prompt_data=prompt_data)


def sms_queue(*, actor: Actor, channel: Channel, to: str, body: str, kind: str, customer_id: int,
              dedupe_key: str) -> SmsMessage | None:
    """Log an automated text about a customer (no booking) and hand it to its delivery task, a task
    row in the caller's transaction: it is sent after commit, claimed (decision 0033), so two
    delivery tasks send it once. Skipped at once, with the reason, for a number that opted out or
    texts paused for the customer. Returns None when a text with ``dedupe_key`` was logged before
    (the key is unique: two runs log one text)."""
    from core.crm.models import Customer

    if kind not in AUTOMATED_KINDS:
        raise ValidationFailed("kind", "Not an automated kind of text.")
    body = fit(body)
    if not body:
        raise ValidationFailed("body", "A message needs text.", code="required")
    customer = Customer.objects.filter(pk=customer_id).first()
    try:
        to = normalise_phone(to, field="to") if to else ""
    except ValidationFailed:
        to = ""
    reason = _skip_reason(kind=kind, to=to, customer=customer, booking=None)
    status = SmsStatus.SKIPPED if reason else SmsStatus.QUEUED
    try:
        with transaction.atomic():  # a savepoint: a refused insert leaves the caller's transaction usable
            message = SmsMessage.objects.create(
                direction=Direction.OUTBOUND, kind=kind, from_number=settings.TWILIO_FROM_NUMBER, to_number=to,
                body=body, customer=customer, dedupe_key=dedupe_key, status=status, status_rank=STATUS_RANK[status],
                error_message=reason)
    except IntegrityError:
        if SmsMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if not reason:
        from .tasks import deliver_sms

        deliver_sms.enqueue(message.pk)  # ids only, a task row in the same transaction as the log row
    return message


# Automated texts are tried again after a transient failure (Twilio unreachable, rate limited); the
# others (replies in a conversation, discussion messages, fallbacks) have callers that handle a
# failure themselves (decision 0034).
RETRIED_KINDS = frozenset({SmsKind.CONFIRMATION, SmsKind.REMINDER, SmsKind.CANCELLATION,
                           SmsKind.SERIES_CONFIRMATION, SmsKind.SERIES_CANCELLATION, SmsKind.BOOK_AGAIN})
TRANSIENT_ERRORS = frozenset({20429, 20500, 20503})


def _claim(message_id: int, claim: str) -> bool:
    """Take a logged, unsent text for sending: queued (unclaimed, or ours) or, after our worker was
    lost mid-send, ``sending`` under our own claim. Not yet accepted by Twilio: no sid."""
    unsent = SmsMessage.objects.filter(pk=message_id, direction=Direction.OUTBOUND, sid__isnull=True)
    now = timezone.now()
    if unsent.filter(status=SmsStatus.QUEUED, claim__in=("", claim)).update(
            status=SmsStatus.SENDING, claim=claim, updated_at=now):
        return True
    return bool(claim) and bool(unsent.filter(status=SmsStatus.SENDING, claim=claim).update(updated_at=now))


def _transmit(message: SmsMessage, *, actor: Actor, channel: Channel, prompt: bool,
              prompt_data: dict | None) -> SmsMessage:
    if not _claim(message.pk, message.claim):
        message.refresh_from_db()
        return message
    to, sender = message.to_number, message.from_number
    attempts = message.attempts + 1
    try:
        result = backends.get_backend().send(to=to, body=message.body,
                                             status_callback=status_callback_url(message.pk) or None)
    except backends.SmsSendError as exc:
        permanent = exc.permanent or exc.code in PERMANENT_ERRORS
        retry_at = None
        if message.kind in RETRIED_KINDS and not permanent and (exc.code is None or exc.code in TRANSIENT_ERRORS):
            retry_at = next_attempt(attempts)
        if retry_at is not None:
            from .tasks import deliver_sms

            with transaction.atomic():  # back in the queue, with its deferred retry
                SmsMessage.objects.filter(pk=message.pk).update(
                    status=SmsStatus.QUEUED, status_rank=STATUS_RANK[SmsStatus.QUEUED], claim="", attempts=attempts,
                    next_attempt_at=retry_at, error_code=exc.code, error_message=exc.message[:255])
                deliver_sms.using(run_after=retry_at).enqueue(message.pk)
            logger.warning("SMS %s failed (attempt %s), again at %s: %s", message.pk, attempts, retry_at, exc.message)
        else:
            SmsMessage.objects.filter(pk=message.pk).update(
                status=SmsStatus.FAILED, status_rank=STATUS_RANK[SmsStatus.FAILED], error_code=exc.code,
                error_message=exc.message[:255], permanent_failure=permanent, attempts=attempts, next_attempt_at=None)
            if exc.code == OPTED_OUT_ERROR:
                _record_carrier_opt_out(to)
        message.refresh_from_db()
        return message
    status = result.status if result.status in STATUS_RANK else SmsStatus.QUEUED
    SmsMessage.objects.filter(pk=message.pk).update(
        sid=result.sid, from_number=result.from_number or sender, status=status, status_rank=STATUS_RANK[status],
        attempts=attempts, next_attempt_at=None, error_code=None, error_message="")
    message.refresh_from_db()
    if prompt and message.booking_id is not None:
        prompt_open(actor=actor, channel=channel, customer_number=to, our_number=message.from_number,
                    kind=PromptKind.BOOKING, booking_id=message.booking_id, message_id=message.pk, data=prompt_data)
    return message


def sms_deliver(*, actor: Actor, channel: Channel, message_id: int, claim: str | None = None) -> SmsMessage | None:
    """Send a logged text that is still unsent (a retry after a transient failure, a text whose
    worker was lost, or one staff retried). None when the row is gone."""
    message = SmsMessage.objects.filter(pk=message_id).first()
    if message is None:
        logger.info("SMS %s is gone; nothing to deliver", message_id)
        return None
    message.claim = current_claim() if claim is None else claim
    if (message.kind in AUTOMATED_KINDS and message.to_number and selectors.is_opted_out(message.to_number)
            and SmsMessage.objects.filter(pk=message.pk, status=SmsStatus.QUEUED, sid__isnull=True).update(
                status=SmsStatus.SKIPPED, status_rank=0, error_message="opted_out", next_attempt_at=None)):
        # the number sent STOP after the text was logged (before its task ran, or between retries)
        message.refresh_from_db()
        return message
    prompt = message.kind in (SmsKind.CONFIRMATION, SmsKind.REMINDER)
    return _transmit(message, actor=actor, channel=channel, prompt=prompt, prompt_data=None)


def sms_retry(*, actor: Actor, channel: Channel, message_id: int) -> SmsMessage:
    """Staff send a failed automated text again (or one lost: unsent, with no task left to send it)."""
    from core.tasking import task_alive

    if not actor.is_staff:
        raise PermissionDenied("Only staff may resend texts.")
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id, direction=Direction.OUTBOUND).first()
        if message is None:
            raise NotFound("text")
        lost = (message.status in (SmsStatus.QUEUED, SmsStatus.SENDING) and message.sid is None
                and not (message.claim and task_alive(message.claim))
                and (message.next_attempt_at is None or message.next_attempt_at < timezone.now()))
        if message.status != SmsStatus.FAILED and not lost:
            raise DomainError("not_failed", f"Only failed texts are resent; this one is {message.status}.")
        if message.kind not in RETRIED_KINDS:
            raise DomainError("cannot_retry", "Only automated texts are resent; write a new message instead.")
        if message.permanent_failure:
            raise DomainError("cannot_retry", "The carrier refused this number for good.")
        SmsMessage.objects.filter(pk=message.pk).update(
            status=SmsStatus.QUEUED, status_rank=STATUS_RANK[SmsStatus.QUEUED], claim="",
            next_attempt_at=None, error_code=None, error_message="", sid=None)
        from .tasks import deliver_sms

        deliver_sms.enqueue(message.pk)
    message.refresh_from_db()
    return message


# --- the booking discussion, delivered to the customer (decisions 0610, 0611) ----------------------

DELIVERY_AUTHORS = frozenset({ActorKind.STAFF, ActorKind.FIELDWORKER})
# Statuses only move forward, as the SMS log's do (decision 0401); the not-sent ones are final.
DELIVERY_RANK: dict[str, int] = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.NOT_SENT_OPTED_OUT: 2,
    DeliveryStatus.NOT_SENT_PAUSED: 2,
    DeliveryStatus.NOT_SENT_NO_CONTACT: 2,
    DeliveryStatus.DELIVERED: 3,
}
_SKIPPED_SMS = {"opted_out": DeliveryStatus.NOT_SENT_OPTED_OUT, "no_mobile": DeliveryStatus.NOT_SENT_NO_CONTACT,
                "paused_for_customer": DeliveryStatus.NOT_SENT_PAUSED,
                "paused_for_booking": DeliveryStatus.NOT_SENT_PAUSED}


def comment_deliver(*, actor: Actor, channel: Channel, comment_id: int) -> list[CommentDelivery]:
    """Bring a customer-visible message that staff or a fieldworker wrote in a booking's discussion
    to the customer, by SMS or e-mail (``selectors.comment_delivery_plan``), and return the
    comment's deliveries. Internal notes and the customer's own messages never leave.

    At most once per channel: the delivery row (``dedupe_key`` ``comment:<id>``) is claimed before
    anything is sent, so a retried task finds it and sends nothing. When the first delivery failed
    (refused at once, or reported failed by the SMS status webhook, which runs this again), the
    other usable channel is tried once (``comment:<id>:fallback``). Call outside a transaction (a
    task): the transports are network calls."""
    if not actor.is_system:
        raise PermissionDenied("Only the system delivers discussion messages.")
    from core.bookings.models import BookingComment

    comment = BookingComment.objects.select_related("booking", "booking__customer").filter(pk=comment_id).first()
    if comment is None or not comment.visible_to_customer or comment.author_kind not in DELIVERY_AUTHORS:
        return []
    booking, customer = comment.booking, comment.booking.customer
    key = f"comment:{comment.pk}"
    for dedupe_key in (key, f"{key}:fallback"):
        done = list(CommentDelivery.objects.filter(comment=comment))
        tried = next((delivery for delivery in done if delivery.dedupe_key == dedupe_key), None)
        if tried is not None:
            if tried.status == DeliveryStatus.FAILED:
                continue  # the first one failed: the fallback next, unless it was tried too
            return done
        if dedupe_key != key and not done:
            return done
        exclude = done[0].channel if done else ""
        plan = selectors.comment_delivery_plan(booking, customer, exclude=exclude)
        if exclude and not plan.channels:
            return done  # nothing else to try: the failed delivery says what happened
        delivery = _delivery_claim(comment, plan, dedupe_key, actor=actor, channel=channel)
        if delivery is None:  # claimed by another run of this task
            return list(CommentDelivery.objects.filter(comment=comment))
        if delivery.status != DeliveryStatus.QUEUED:
            break
        if delivery.channel == DeliveryChannel.SMS:
            _send_comment_sms(delivery, comment, actor=actor, channel=channel)
        else:
            _send_comment_email(delivery, comment, actor=actor, channel=channel)
        if delivery.status != DeliveryStatus.FAILED:
            break
    return list(CommentDelivery.objects.filter(comment=comment))


def _delivery_claim(comment, plan: selectors.DeliveryPlan, dedupe_key: str, *, actor: Actor,
                    channel: Channel) -> CommentDelivery | None:
    via = plan.channels[0] if plan.channels else plan.via
    now = timezone.now()
    try:
        with transaction.atomic():
            delivery = CommentDelivery.objects.create(
                comment=comment, channel=via, status=DeliveryStatus.QUEUED if plan.channels else plan.status,
                dedupe_key=dedupe_key, to=plan.to.get(via, "")[:254], error="" if plan.channels else plan.reason[:255],
                created_at=now, updated_at=now)
            _delivery_recorded(delivery, comment.booking, actor=actor, channel=channel)
    except IntegrityError:
        return None
    return delivery


def _delivery_recorded(delivery: CommentDelivery, booking, *, actor: Actor, channel: Channel) -> None:
    """The timeline row of a delivery's status and its event (staff watch it live)."""
    from core.bookings import history

    history.record(booking, actor=actor, channel=channel, action="comment_delivery", data={
        "comment_id": delivery.comment_id, "delivery_id": delivery.pk, "via": delivery.channel,
        "status": delivery.status},
        event=events.CommentDeliveryChanged, comment_id=delivery.comment_id, delivery_id=delivery.pk,
        via=delivery.channel, status=delivery.status, error=delivery.error, updated_at=delivery.updated_at.isoformat())


def _delivery_move(delivery: CommentDelivery, status: str, *, error: str = "", actor: Actor, channel: Channel,
                   booking=None) -> bool:
    """Move a delivery forward to ``status`` (one conditional UPDATE, so a late or repeated report
    changes nothing); True if it moved."""
    below = [name for name, rank in DELIVERY_RANK.items() if rank < DELIVERY_RANK[status]]
    now = timezone.now()
    with transaction.atomic():
        moved = CommentDelivery.objects.filter(pk=delivery.pk, status__in=below).update(
            status=status, error=error[:255], updated_at=now)
        if not moved:
            return False
        delivery.status, delivery.error, delivery.updated_at = status, error[:255], now
        if booking is None:
            from core.bookings.models import Booking

            booking = Booking.objects.only("pk").get(comments__deliveries=delivery)
        _delivery_recorded(delivery, booking, actor=actor, channel=channel)
    return True


def _sms_error(message: SmsMessage) -> str:
    if message.error_code:
        return f"{message.error_code}: {message.error_message}"
    return message.error_message


def _send_comment_sms(delivery: CommentDelivery, comment, *, actor: Actor, channel: Channel) -> None:
    from core.company.selectors import get_company
    from core.outreach.links import booking_thread_url

    booking = comment.booking
    body = messages.comment(booking, comment.author_name, comment.body, get_company(), booking_thread_url(booking))
    # prompt: the customer's answer to this text lands in this booking's discussion, as a reply to it
    message = sms_send(actor=actor, channel=channel, to=delivery.to, body=body, kind=SmsKind.COMMENT,
                       customer_id=booking.customer_id, booking_id=booking.pk, prompt=True,
                       prompt_data={"comment_id": comment.pk})
    CommentDelivery.objects.filter(pk=delivery.pk).update(sms_message=message)
    delivery.sms_message = message
    if message.status == SmsStatus.SKIPPED:  # the number opted out in between
        status = _SKIPPED_SMS.get(message.error_message, DeliveryStatus.NOT_SENT_NO_CONTACT)
        _delivery_move(delivery, status, error=f"sms: {message.error_message}", actor=actor, channel=channel,
                       booking=booking)
        return
    # read again: a status report may have come in before the delivery named the message
    message.refresh_from_db()
    status = SMS_TO_DELIVERY.get(message.status, DeliveryStatus.QUEUED)
    if status != DeliveryStatus.QUEUED:
        _delivery_move(delivery, status, error=_sms_error(message) if status == DeliveryStatus.FAILED else "",
                       actor=actor, channel=channel, booking=booking)


def _send_comment_email(delivery: CommentDelivery, comment, *, actor: Actor, channel: Channel) -> None:
    from core.company.selectors import get_company
    from core.outreach import emails
    from core.outreach import services as outreach
    from core.outreach.models import EmailKind, EmailMessage, EmailStatus

    booking = comment.booking
    content = emails.comment(booking, comment, get_company())
    message = outreach.email_queue(actor=actor, channel=channel, kind=EmailKind.COMMENT, booking_id=booking.pk,
                                   dedupe_key=delivery.dedupe_key, content=content, enqueue=False)
    if message is None:  # logged by an earlier run that stopped before the delivery named it
        message = EmailMessage.objects.get(dedupe_key=delivery.dedupe_key)
    CommentDelivery.objects.filter(pk=delivery.pk).update(email_message=message)
    delivery.email_message = message
    if message.status == EmailStatus.SKIPPED:
        _delivery_move(delivery, DeliveryStatus.NOT_SENT_NO_CONTACT, error=f"email: {message.skip_reason}",
                       actor=actor, channel=channel, booking=booking)
        return
    payload = {"subject": content.subject, "text": content.text, "html": content.html}
    sent = outreach.email_deliver(actor=actor, channel=channel, message_id=message.pk, content=payload)
    if sent.status == EmailStatus.SENT:
        _delivery_move(delivery, DeliveryStatus.SENT, actor=actor, channel=channel, booking=booking)
    elif sent.status == EmailStatus.FAILED:
        _delivery_move(delivery, DeliveryStatus.FAILED, error=sent.error, actor=actor, channel=channel,
                       booking=booking)


def _comment_sms_reported(message: SmsMessage, *, actor: Actor, channel: Channel) -> None:
    """A status report on a discussion text moves its delivery along; a failure tries e-mail."""
    delivery = CommentDelivery.objects.filter(sms_message=message).first()
    status = SMS_TO_DELIVERY.get(message.status)
    if delivery is None or status is None:
        return
    failed = status == DeliveryStatus.FAILED
    if _delivery_move(delivery, status, error=_sms_error(message) if failed else "", actor=actor,
                      channel=channel) and failed:
        from .tasks import deliver_comment

        comment_id = delivery.comment_id
        deliver_comment.enqueue(comment_id)  # a task row in this transaction
