"""The only writers of outreach records. Keyword-only, with ``actor`` and ``channel``.

E-mails are written to the log first (queued or skipped, with the reason) and handed to the
Tasks API after commit; :func:`email_deliver` then claims the row (queued -> sending) with one
conditional UPDATE, so a task run twice still sends once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import rawsql
from core.actors import Actor, Channel
from core.bookings import policy
from core.bookings.models import OPEN_STATUSES, Booking
from core.catalog.models import Service
from core.company.selectors import get_company
from core.crm.models import Customer
from core.delivery import current_claim, next_attempt
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.text import NUL

from . import emails, links
from .models import (
    AUTOMATED_EMAIL_KINDS,
    BookingRequest,
    BookingRequestStatus,
    EmailKind,
    EmailMessage,
    EmailReminder,
    EmailStatus,
    FieldworkerNotification,
    NotificationKind,
    PortalLoginToken,
    ReminderStatus,
)

logger = logging.getLogger(__name__)

PORTAL_LINK_MINUTES = 20
MAX_NOTES = 2000


def _system_only(actor: Actor) -> None:
    if not actor.is_system:
        raise PermissionDenied("Only the system sends automated messages.")


# --- e-mail log ---------------------------------------------------------------------------------


def _skip_reason(kind: str, booking: Booking | None, customer: Customer | None, to: str) -> str:
    if kind == EmailKind.CONFIRMATION and booking is not None and policy.is_past(booking, now=timezone.now()):
        return "booking_in_past"  # recorded after the fact: nothing to confirm, its link soon dead
    if not to:
        return "no_address"
    if kind in AUTOMATED_EMAIL_KINDS:
        if booking is not None and booking.automated_email_paused:
            return "paused_for_booking"
        if customer is not None and customer.automated_email_paused:
            return "paused_for_customer"
    return ""


def email_queue(*, actor: Actor, channel: Channel, kind: str, booking_id: int | None = None,
                customer_id: int | None = None, dedupe_key: str | None = None,
                content: emails.Rendered | None = None, enqueue: bool = True) -> EmailMessage | None:
    """Log an e-mail and, after commit, hand it to the Tasks API.

    Returns None when a row with the same ``dedupe_key`` exists (the event was handled before).
    ``content``: pre-rendered content for messages that cannot be rendered later (sign-in links,
    whose secret is never stored). ``enqueue=False``: the caller, already a task, sends it itself
    with :func:`email_deliver` and reads the outcome (the delivery of a discussion message)."""
    _system_only(actor)
    if kind not in EmailKind.values:
        raise ValidationFailed("kind", "Unknown e-mail kind.")
    booking = rawsql.get(Booking, booking_id, "customer") if booking_id else None
    if booking_id and booking is None:
        raise NotFound("booking")
    customer = booking.customer if booking is not None else Customer.objects.filter(pk=customer_id).first()
    to = customer.email if customer is not None else ""
    reason = _skip_reason(kind, booking, customer, to)
    try:
        # a savepoint only when a caller's transaction is open (a failed insert must not poison it);
        # after commit, in autocommit, the one INSERT is its own transaction already
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            message = EmailMessage.objects.create(
                kind=kind, to_address=to, booking=booking, customer=customer, dedupe_key=dedupe_key,
                subject=content.subject if content else "",
                status=EmailStatus.SKIPPED if reason else EmailStatus.QUEUED, skip_reason=reason,
            )
    except IntegrityError:
        if dedupe_key and EmailMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if not reason and enqueue:
        from .tasks import deliver_email

        payload = {"subject": content.subject, "text": content.text, "html": content.html} if content else None
        deliver_email.enqueue(message.pk, payload)  # a task row in the same transaction as the log row
    return message


def _render(message: EmailMessage) -> emails.Rendered | None:
    if message.booking_id is None:
        return None
    # One read of everything the templates print: the totals walk the lines several times.
    booking = rawsql.get(Booking, message.booking_id, "customer", "property")
    if booking is None:
        return None
    rawsql.prefetch(booking, "lines")
    company = get_company()
    if message.kind == EmailKind.CONFIRMATION:
        return emails.confirmation(booking, company)
    if message.kind == EmailKind.REMINDER:
        return emails.reminder(booking, company)
    if message.kind == EmailKind.CANCELLATION:
        return emails.cancellation(booking, company)
    if message.kind == EmailKind.SERIES_CONFIRMATION:
        return emails.series_confirmation(booking, company)
    if message.kind == EmailKind.SERIES_CANCELLATION:
        return emails.series_cancellation(booking, company)
    return None


def _transient(exc: Exception) -> bool:
    """An SMTP outage or a 4xx answer: worth trying again. A 5xx answer, or content that cannot be
    rendered, is not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, OSError)  # refused, reset, timed out, disconnected (SMTPException is one)


def email_deliver(*, actor: Actor, channel: Channel, message_id: int, content: dict | None = None,
                  claim: str | None = None) -> EmailMessage:
    """Send one logged e-mail through Django's e-mail API and record the outcome.

    The row is claimed first (``queued -> sending``, with ``claim``, by default the running task's
    id): a second task finds it taken and sends nothing; the same task run again after its worker
    was lost takes it back (decision 0033). A transient failure puts it back in ``queued`` with a
    retry task deferred by the back-off; after the last attempt, or a permanent failure, ``failed``
    (decision 0034)."""
    _system_only(actor)
    claim = current_claim() if claim is None else claim
    now = timezone.now()
    claimed = EmailMessage.objects.filter(pk=message_id, status=EmailStatus.QUEUED).update(
        status=EmailStatus.SENDING, claim=claim, updated_at=now)
    if not claimed and claim:  # ours already: this task ran before and its worker was lost mid-send
        claimed = EmailMessage.objects.filter(pk=message_id, status=EmailStatus.SENDING, claim=claim).update(
            updated_at=now)
    message = EmailMessage.objects.filter(pk=message_id).first()
    if message is None:
        logger.info("e-mail %s is gone; nothing to deliver", message_id)
        return EmailMessage(pk=message_id, status="missing")
    if not claimed:
        return message  # sent, sending elsewhere or skipped already: a replayed task sends nothing
    message.attempts += 1
    retry_at = None
    try:
        rendered = emails.Rendered(**content) if content else _render(message)
        if rendered is None:
            raise ValueError("nothing to render for this message")
        message.subject = rendered.subject[:255]
        # the same Message-ID on every attempt: a receiver that got an attempt we could not record
        # can tell the next one is the same message
        message.message_id = message.message_id or make_msgid(
            domain=getattr(settings, "OUTREACH_MESSAGE_ID_DOMAIN", "fieldops.local"))
        mail = EmailMultiAlternatives(rendered.subject, rendered.text, None, [message.to_address],
                                      headers={"Message-ID": message.message_id})
        mail.attach_alternative(rendered.html, "text/html")
        mail.send()
    except Exception as exc:  # any transport failure is recorded on the row, never raised to the caller
        retry_at = next_attempt(message.attempts, now=timezone.now()) if _transient(exc) else None
        logger.warning("e-mail %s failed (attempt %s, %s): %s", message_id, message.attempts,
                       f"again at {retry_at:%H:%M:%S}" if retry_at else "giving up", exc)
        message.error = f"{type(exc).__name__}: {exc}"[:2000]
        message.status = EmailStatus.QUEUED if retry_at else EmailStatus.FAILED
    else:
        message.status, message.sent_at, message.error = EmailStatus.SENT, timezone.now(), ""
    message.updated_at = timezone.now()
    message.next_attempt_at = retry_at
    values = {name: getattr(message, name) for name in (
        "status", "subject", "message_id", "error", "attempts", "sent_at", "updated_at", "next_attempt_at")}
    if retry_at is None:
        EmailMessage.objects.filter(pk=message.pk).update(**values)
        return message
    from .tasks import deliver_email

    with transaction.atomic():  # the row back in the queue and its deferred retry, together
        EmailMessage.objects.filter(pk=message.pk).update(**values)
        deliver_email.using(run_after=retry_at).enqueue(message.pk, content)
    return message


LOST_AFTER = timedelta(minutes=10)


def email_lost(message: EmailMessage, *, now: datetime | None = None) -> bool:
    """Queued or sending for a while with no live task to finish it: its task row was pruned or
    never written (before this engine), or every worker that tried it was lost."""
    from core.tasking import task_alive

    if message.status not in (EmailStatus.QUEUED, EmailStatus.SENDING):
        return False
    now = now or timezone.now()
    if message.status == EmailStatus.SENDING and message.claim:
        return not task_alive(message.claim)  # its task's worker is gone (or the task row is)
    if message.status == EmailStatus.QUEUED and message.next_attempt_at is not None:
        return message.next_attempt_at < now - LOST_AFTER
    return message.updated_at < now - LOST_AFTER


def email_retry(*, actor: Actor, channel: Channel, message_id: int) -> EmailMessage:
    """Staff send a failed (or lost: queued or sending with no task left to finish it) e-mail again,
    rendered afresh. Sign-in links cannot be retried: their secret was never stored; the customer
    asks for a new one."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff may resend e-mails.")
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise NotFound("e-mail")
        if message.status != EmailStatus.FAILED and not email_lost(message):
            raise DomainError("not_failed", f"Only failed e-mails are resent; this one is {message.status}.")
        if message.kind not in AUTOMATED_EMAIL_KINDS or message.booking_id is None:
            raise DomainError("cannot_retry", "This e-mail cannot be sent again; the customer can ask for a new one.")
        # attempts keep counting: a retried message that fails again with its attempts used up is
        # failed at once (one more try per retry), not retried for hours
        message.status, message.error, message.claim, message.next_attempt_at = EmailStatus.QUEUED, "", "", None
        message.save(update_fields=["status", "error", "claim", "next_attempt_at", "updated_at"])
        from .tasks import deliver_email

        deliver_email.enqueue(message.pk, None)  # a task row in this transaction
    return message


# --- fieldworker in-app notifications -----------------------------------------------------------


def notification_create(*, actor: Actor, channel: Channel, fieldworker_id: int, kind: str, title: str,
                        body: str = "", booking_id: int | None = None,
                        dedupe_key: str) -> FieldworkerNotification | None:
    """Record an in-app notice; None if this ``dedupe_key`` was recorded before."""
    _system_only(actor)
    if kind not in NotificationKind.values:
        raise ValidationFailed("kind", "Unknown notification kind.")
    try:
        with transaction.atomic():
            return FieldworkerNotification.objects.create(
                fieldworker_id=fieldworker_id, kind=kind, title=title[:200], body=body, booking_id=booking_id,
                dedupe_key=dedupe_key)
    except IntegrityError:
        if FieldworkerNotification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def notifications_mark_read(*, actor: Actor, channel: Channel, ids: list[int] | None = None,
                            mark_all: bool = False) -> int:
    """Mark the fieldworker's own notices read; returns how many changed. Others' ids are ignored
    exactly like missing ones."""
    if not actor.is_fieldworker:
        raise PermissionDenied("Only fieldworkers have notifications.")
    if not mark_all and not ids:
        raise ValidationFailed("ids", "Name the notifications, or mark all.", code="required")
    if ids is not None and len(ids) > 500:
        raise ValidationFailed("ids", "At most 500 at a time.", code="too_many")
    qs = FieldworkerNotification.objects.filter(fieldworker_id=actor.fieldworker_id, read_at__isnull=True)
    if not mark_all:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- portal sign-in -----------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def portal_link_request(*, actor: Actor, channel: Channel, email: str) -> int:
    """E-mail a one-time sign-in link to each customer with this address. Returns how many were
    sent; the front must answer the same way whatever the count (no address probing)."""
    email = (email or "").strip()
    if not email or "@" not in email or len(email) > 254 or NUL in email:
        raise ValidationFailed("email", "Enter your e-mail address.", code="invalid_email")
    customers = list(Customer.objects.filter(email__iexact=email).order_by("pk")[:5])
    company = get_company()
    sent = 0
    for customer in customers:
        raw = secrets.token_urlsafe(32)
        with transaction.atomic():
            PortalLoginToken.objects.create(customer=customer, token_hash=_hash(raw),
                                            expires_at=timezone.now() + timedelta(minutes=PORTAL_LINK_MINUTES))
            content = emails.portal_link(customer, company, links.portal_login_url(raw), PORTAL_LINK_MINUTES)
            email_queue(actor=Actor.system(), channel=channel, kind=EmailKind.PORTAL_LINK,
                        customer_id=customer.pk, content=content)
        sent += 1
    return sent


def portal_link_check(raw: str) -> PortalLoginToken | None:
    """The unused, unexpired token for a raw link value (read only: the GET of a sign-in link)."""
    if not raw or len(raw) > 100:
        return None
    return PortalLoginToken.objects.filter(token_hash=_hash(raw), used_at__isnull=True,
                                           expires_at__gt=timezone.now()).select_related("customer").first()


def portal_link_redeem(*, actor: Actor, channel: Channel, raw: str) -> Customer:
    """Use a sign-in link (once). Raises ``invalid_link`` for unknown, used or expired links."""
    with transaction.atomic():
        token = PortalLoginToken.objects.select_for_update().filter(token_hash=_hash(raw or "")).first() \
            if raw and len(raw) <= 100 else None
        if token is None or token.used_at is not None or token.expires_at <= timezone.now():
            raise DomainError("invalid_link", "This sign-in link is used, expired or not valid. Ask for a new one.")
        token.used_at = timezone.now()
        token.save(update_fields=["used_at"])
        return token.customer


# --- booking requests ("Schedule an appointment") ----------------------------------------------


def booking_request_create(*, actor: Actor, channel: Channel, preferred_date: date,
                           preferred_time: time | None = None, service_id: int | None = None, notes: str = "",
                           follows_booking_id: int | None = None,
                           customer_id: int | None = None) -> BookingRequest:
    if actor.is_customer:
        customer_id = actor.customer_id
    elif not actor.is_staff:
        raise PermissionDenied("Only customers and staff can ask for an appointment.")
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("customer", field="customerId")
    service = None
    if service_id is not None:
        service = Service.objects.filter(pk=service_id, active=True).first()
        if service is None:
            raise NotFound("service", field="service")
    if not isinstance(preferred_date, date) or isinstance(preferred_date, datetime):
        raise ValidationFailed("preferred_date", "Choose a date.", code="required")
    today = timezone.localdate(timezone=get_company().tz)
    if preferred_date < today:
        raise ValidationFailed("preferred_date", "Choose a date from today on.", code="in_past")
    if preferred_date > today + timedelta(days=366):
        raise ValidationFailed("preferred_date", "Choose a date within a year.", code="too_far")
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationFailed("notes", f"At most {MAX_NOTES} characters.", code="too_long")
    follows = None
    if follows_booking_id is not None:
        follows = Booking.objects.filter(pk=follows_booking_id, customer_id=customer.pk).first()
    return BookingRequest.objects.create(customer=customer, service=service, preferred_date=preferred_date,
                                         preferred_time=preferred_time, notes=notes, follows_booking=follows,
                                         channel=channel)


def booking_request_resolve(*, actor: Actor, channel: Channel, request_id: int, status: str,
                            booking_id: int | None = None) -> BookingRequest:
    """Staff close a pending request: ``booked`` (optionally naming the booking made) or ``declined``."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff handle appointment requests.")
    if status not in (BookingRequestStatus.BOOKED, BookingRequestStatus.DECLINED):
        raise ValidationFailed("status", "Booked or declined.", code="invalid_status")
    with transaction.atomic():
        request = BookingRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFound("booking request")
        if request.status != BookingRequestStatus.PENDING:
            raise DomainError("already_resolved", f"This request is already {request.status}.")
        if booking_id is not None:
            if not Booking.objects.filter(pk=booking_id, customer_id=request.customer_id).exists():
                raise NotFound("booking", field="bookingId")
            request.booking_id = booking_id
        request.status = status
        request.resolved_at = timezone.now()
        request.resolved_by = actor.user
        request.save(update_fields=["status", "booking", "resolved_at", "resolved_by"])
        if request.booking_id is not None and status == BookingRequestStatus.BOOKED:
            # the booking fields the customer answered with the request go onto the booking (0905)
            from core.jobdata.services import request_values_carry  # job data reads outreach, not back

            request_values_carry(actor=actor, channel=channel, request_id=request.pk, booking_id=request.booking_id)
    return request


# --- reminders ----------------------------------------------------------------------------------


def reminder_lead() -> timedelta:
    return timedelta(hours=getattr(settings, "OUTREACH_REMINDER_HOURS", 24))


def reminder_schedule(*, actor: Actor, channel: Channel, booking_id: int) -> EmailReminder | None:
    """Keep exactly one pending reminder per open booking, due the lead time before its start."""
    _system_only(actor)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None:
            return None
        pending = EmailReminder.objects.filter(booking=booking, status=ReminderStatus.PENDING).first()
        due = booking.scheduled_start - reminder_lead()
        if booking.status not in OPEN_STATUSES or due <= timezone.now():
            if pending is not None:
                pending.status, pending.withdrawn_reason = ReminderStatus.WITHDRAWN, "no_longer_due"
                pending.save(update_fields=["status", "withdrawn_reason", "updated_at"])
            return None
        if pending is None:
            return EmailReminder.objects.create(booking=booking, due_at=due)
        if pending.due_at != due:
            pending.due_at = due
            pending.save(update_fields=["due_at", "updated_at"])
        return pending


def reminders_withdraw(*, actor: Actor, channel: Channel, booking_id: int, reason: str) -> int:
    _system_only(actor)
    return EmailReminder.objects.filter(booking_id=booking_id, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.WITHDRAWN, withdrawn_reason=reason[:40], updated_at=timezone.now())


def reminders_send_due(*, actor: Actor, channel: Channel, now: datetime | None = None) -> int:
    """Queue the reminder e-mails that are due; returns how many were queued."""
    _system_only(actor)
    now = now or timezone.now()
    queued = 0
    due = EmailReminder.objects.filter(status=ReminderStatus.PENDING, due_at__lte=now).values_list("pk", flat=True)
    for reminder_id in list(due[:500]):
        with transaction.atomic():
            reminder = EmailReminder.objects.select_for_update().select_related("booking").filter(
                pk=reminder_id, status=ReminderStatus.PENDING).first()
            if reminder is None:
                continue
            if reminder.booking.status not in OPEN_STATUSES or reminder.booking.scheduled_start <= now:
                reminder.status, reminder.withdrawn_reason = ReminderStatus.WITHDRAWN, "no_longer_due"
            else:
                reminder.status = ReminderStatus.SENT
                if email_queue(actor=actor, channel=channel, kind=EmailKind.REMINDER,
                               booking_id=reminder.booking_id, dedupe_key=f"reminder:{reminder.pk}"):
                    queued += 1
            reminder.save(update_fields=["status", "withdrawn_reason", "updated_at"])
    return queued
