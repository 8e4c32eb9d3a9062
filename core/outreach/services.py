"""The only writers of outreach records. Keyword-only, with ``actor`` and ``channel``.

E-mails are written to the log first (queued or skipped, with the reason) with their delivery
task (``sending.deliver_email``, ids only) in the same transaction; :func:`email_deliver` then
claims the row (queued -> sending) with one conditional UPDATE, so a task run twice still sends
once. The sending side lives in ``sending`` (below this module: it never imports it back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core import ratelimit, rawsql
from core.actors import Actor, Channel
from core.bookings import policy, zones
from core.bookings.models import OPEN_STATUSES, Booking, BookingLine, BookingStatus
from core.catalog.models import Service
from core.company.models import TradingName
from core.company.selectors import get_company
from core.crm.models import Customer
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.sms import messages as sms_messages
from core.sms import selectors as sms_selectors
from core.sms import services as sms_services
from core.sms.models import DeliveryChannel, SmsKind, SmsMessage, SmsStatus
from core.tasking import task_alive
from core.text import NUL

from . import emails, links, mailauth
from .models import (
    AUTOMATED_EMAIL_KINDS,
    DOCUMENT_EMAIL_RENDERERS,
    BookingRequest,
    BookingRequestStatus,
    EmailDomain,
    EmailDomainStatus,
    EmailKind,
    EmailMessage,
    EmailReminder,
    EmailStatus,
    FieldworkerNotification,
    NotificationKind,
    PortalLoginToken,
    ReminderStatus,
    ServiceReminder,
    ServiceReminderStatus,
)
from .sending import PORTAL_LINK_MINUTES as PORTAL_LINK_MINUTES  # printed by the portal
from .sending import deliver_email, token_hash
from .sending import email_deliver as email_deliver  # the callers' entry to sending, kept here

logger = logging.getLogger(__name__)

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
                content: emails.Rendered | None = None, enqueue: bool = True,
                booking: Booking | None = None) -> EmailMessage | None:
    """Log an e-mail and, after commit, hand it to the Tasks API.

    Returns None when a row with the same ``dedupe_key`` exists (the event was handled before).
    ``content``: a subject to log now (the caller renders it itself); the delivery task renders the
    message again from its ids (decision 0037). ``enqueue=False``: the caller, already a task, sends it itself
    with :func:`email_deliver` and reads the outcome (the delivery of a discussion message).
    ``booking``: the booking ``booking_id`` names, read by the caller with its customer joined
    (``rawsql.get(Booking, pk, "customer")``), so it is not read a second time."""
    _system_only(actor)
    if kind not in EmailKind.values:
        raise ValidationFailed("kind", "Unknown e-mail kind.")
    if booking is not None:
        booking_id = booking.pk
    elif booking_id:
        booking = rawsql.get(Booking, booking_id, "customer")
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
        deliver_email.enqueue(message.pk)  # ids only (0037), a task row in the same transaction as the log row
    return message


LOST_AFTER = timedelta(minutes=10)


def email_lost(message: EmailMessage, *, now: datetime | None = None) -> bool:
    """Queued or sending for a while with no live task to finish it: its task row was pruned or
    never written (before this engine), or every worker that tried it was lost."""
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
        if message.kind not in AUTOMATED_EMAIL_KINDS or (message.booking_id is None
                                                         and message.kind not in DOCUMENT_EMAIL_RENDERERS
                                                         and message.kind != EmailKind.SERVICE_REMINDER):
            raise DomainError("cannot_retry", "This e-mail cannot be sent again; the customer can ask for a new one.")
        # attempts keep counting: a retried message that fails again with its attempts used up is
        # failed at once (one more try per retry), not retried for hours
        message.status, message.error, message.claim, message.next_attempt_at = EmailStatus.QUEUED, "", "", None
        message.save(update_fields=["status", "error", "claim", "next_attempt_at", "updated_at"])
        deliver_email.enqueue(message.pk)  # a task row in this transaction
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


_hash = token_hash


def portal_link_request(*, actor: Actor, channel: Channel, email: str) -> int:
    """E-mail a one-time sign-in link to each customer with this address. Returns how many were
    sent; the front must answer the same way whatever the count (no address probing). The link's
    secret is made by the delivery task when it sends (``sending``): never stored, never a task
    argument (decision 0037)."""
    email = (email or "").strip()
    if not email or "@" not in email or len(email) > 254 or NUL in email:
        raise ValidationFailed("email", "Enter your e-mail address.", code="invalid_email")
    customers = list(Customer.objects.filter(email__iexact=email).order_by("pk")[:5])
    sent = 0
    for customer in customers:
        with transaction.atomic():
            email_queue(actor=Actor.system(), channel=channel, kind=EmailKind.PORTAL_LINK, customer_id=customer.pk)
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


# --- reminders to book a service again (decision 0625) -------------------------------------------

SERVICE_REMINDER_BATCH = 500


def service_reminders_schedule(*, actor: Actor, channel: Channel, booking_id: int) -> list[ServiceReminder]:
    """A completed booking: one pending reminder per service of its lines that has
    ``rebook_reminder_days``, due that many days after the completion. A pending reminder of the same
    customer and service from an earlier completion is withdrawn (``replaced``): one pending per
    customer and service (a partial unique constraint). Run again for the same booking, it changes
    nothing."""
    _system_only(actor)
    booking = Booking.objects.filter(pk=booking_id, status=BookingStatus.COMPLETED).first()
    if booking is None:
        return []
    completed_at = booking.completed_at or timezone.now()
    line_services = BookingLine.objects.filter(booking_id=booking.pk, service__isnull=False).values("service_id")
    found = list(Service.objects.filter(pk__in=line_services, rebook_reminder_days__isnull=False).order_by("pk"))
    scheduled = []
    with transaction.atomic():
        for service in found:
            pending = ServiceReminder.objects.select_for_update().filter(
                customer_id=booking.customer_id, service=service, status=ServiceReminderStatus.PENDING).first()
            if pending is not None:
                if pending.booking_id == booking.pk or pending.completed_at > completed_at:
                    continue  # this completion's already, or a later one's
                pending.status, pending.reason = ServiceReminderStatus.WITHDRAWN, "replaced"
                pending.save(update_fields=["status", "reason", "updated_at"])
            scheduled.append(ServiceReminder.objects.create(
                customer_id=booking.customer_id, service=service, booking=booking, completed_at=completed_at,
                due_at=completed_at + timedelta(days=service.rebook_reminder_days)))
    return scheduled


def _rebooked(reminder: ServiceReminder) -> bool:
    """The customer has a booking of the service, not cancelled, scheduled after the completion."""
    return (Booking.objects.filter(customer_id=reminder.customer_id, lines__service_id=reminder.service_id,
                                   scheduled_start__gt=reminder.completed_at)
            .exclude(status=BookingStatus.CANCELLED).exclude(pk=reminder.booking_id).exists())


def service_reminders_send_due(*, actor: Actor, channel: Channel, now: datetime | None = None) -> int:
    """Send each pending reminder that is due by one channel, or skip it with the reason. Returns how
    many texts and e-mails were queued.

    ``rebooked`` skips it. Else :func:`customer_message_queue` sends it by the first usable channel
    of the customer's order, or says why none could be used. Each reminder is taken locked and still
    pending, and its text or e-mail carries the reminder's ``dedupe_key``: two workers running this
    at once queue one message."""
    _system_only(actor)
    now = now or timezone.now()
    due = ServiceReminder.objects.filter(status=ServiceReminderStatus.PENDING, due_at__lte=now)
    queued = 0
    for reminder_id in list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:SERVICE_REMINDER_BATCH]):
        with transaction.atomic():
            reminder = (ServiceReminder.objects.select_for_update(of=("self",))
                        .select_related("customer", "service", "booking")
                        .filter(pk=reminder_id, status=ServiceReminderStatus.PENDING).first())
            if reminder is None:
                continue  # withdrawn, or handled by another run meanwhile
            if _rebooked(reminder):
                reminder.status, reminder.reason = ServiceReminderStatus.SKIPPED, "rebooked"
            else:
                # The reminder is the customer's, not the old booking's: no booking in the plan or the log (0625).
                sent = customer_message_queue(
                    actor=actor, channel=channel, customer=reminder.customer,
                    dedupe_key=_service_reminder_key(reminder),
                    email_kind=EmailKind.SERVICE_REMINDER, sms_kind=SmsKind.BOOK_AGAIN,
                    sms_body=lambda reminder=reminder: _book_again_text(reminder))
                reminder.email, reminder.sms = sent.email, sent.sms
                if sent.channel:
                    reminder.status, reminder.channel = ServiceReminderStatus.SENT, sent.channel
                else:
                    reminder.status, reminder.reason = ServiceReminderStatus.SKIPPED, sent.reason
                queued += sent.queued
            reminder.save(update_fields=["status", "reason", "channel", "email", "sms", "updated_at"])
    return queued


def _service_reminder_key(reminder: ServiceReminder) -> str:
    return f"service_reminder:{reminder.pk}"


def _book_again_text(reminder: ServiceReminder) -> str:
    done = reminder.completed_at.astimezone(zones.zone_of(reminder.booking))
    return sms_messages.book_again(reminder.service.name, f"{done.day} {done:%b %Y}", get_company(),
                                   links.book_again_url(reminder))


# --- one automated message by the customer's channel (0625, 0630) --------------------------------


@dataclass(frozen=True)
class Queued:
    """What :func:`customer_message_queue` did: ``channel`` it went by (blank: skipped, ``reason``
    says why), the text or e-mail logged (also when the log skipped it), and ``queued`` 1 when it was
    logged by this call (0: it was logged before under the same key, or skipped)."""

    channel: str = ""
    reason: str = ""
    email: EmailMessage | None = None
    sms: SmsMessage | None = None
    queued: int = 0


def customer_message_queue(*, actor: Actor, channel: Channel, customer: Customer, dedupe_key: str,
                           email_kind: str, sms_kind: str, sms_body: Callable[[], str],
                           booking: Booking | None = None) -> Queued:
    """Log one automated message to the customer by one channel, the first usable one of their order
    (``core.sms.selectors.delivery_plan``, the rule of decisions 0610 and 0615: the stated preference,
    else the channel they last wrote through, else SMS; no mobile, opted out or texts paused, no address
    or e-mail paused drop a channel; with ``booking``, that booking's pause switches count too). None
    usable: nothing is logged and ``reason`` is the first channel's (``opted_out``,
    ``paused_for_customer``, ``paused_for_booking``, ``no_contact``).

    The text (``sms_body()``, words made only when it is a text) or the e-mail carries ``dedupe_key``
    and is handed to its delivery task in the caller's transaction: a second call with the key logs
    nothing and returns the message logged before. The e-mail names ``booking`` (its answer joins the
    booking's discussion); the text is the customer's."""
    _system_only(actor)
    plan = sms_selectors.delivery_plan(customer, booking)
    if not plan.channels:
        return Queued(reason=plan.why or "no_contact")
    if plan.channels[0] == DeliveryChannel.SMS:
        logged = sms_services.sms_queue(actor=actor, channel=channel, to=plan.to[DeliveryChannel.SMS], body=sms_body(),
                                        kind=sms_kind, customer_id=customer.pk, dedupe_key=dedupe_key)
        # None: its text was logged before (the key is unique); it is that one, not a second
        text = logged or SmsMessage.objects.get(dedupe_key=dedupe_key)
        if text.status == SmsStatus.SKIPPED:  # the number opted out since the plan read it
            return Queued(reason=text.error_message, sms=text)
        return Queued(channel=DeliveryChannel.SMS, sms=text, queued=int(logged is not None))
    logged_email = email_queue(actor=actor, channel=channel, kind=email_kind, customer_id=customer.pk,
                               booking_id=booking.pk if booking is not None else None, dedupe_key=dedupe_key)
    message = logged_email or EmailMessage.objects.get(dedupe_key=dedupe_key)
    if message.status == EmailStatus.SKIPPED:
        return Queued(reason=message.skip_reason, email=message)
    return Queued(channel=DeliveryChannel.EMAIL, email=message, queued=int(logged_email is not None))


M = TypeVar("M", bound=models.Model)


def scheduled_withdraw(model: type[M], pk: int, *, actor: Actor, noun: str, code: str) -> M:
    """Staff call off a pending scheduled message (a book-again reminder, a review request): locked,
    refused unless still pending, then ``withdrawn`` with the reason ``by_staff``; it is never sent.
    The model has ``status`` (``pending``/``withdrawn`` among its values), ``reason`` and ``updated_at``."""
    if not actor.is_staff:
        raise PermissionDenied(f"Only staff withdraw {noun}s.")
    with transaction.atomic():
        row: Any = model._default_manager.select_for_update().filter(pk=pk).first()
        if row is None:
            raise NotFound(noun)
        if row.status != ServiceReminderStatus.PENDING:
            raise DomainError(code, f"Only a pending {noun} can be withdrawn; this one is "
                                    f"{row.get_status_display().lower()}.")
        row.status, row.reason = ServiceReminderStatus.WITHDRAWN, "by_staff"
        row.save(update_fields=["status", "reason", "updated_at"])
    return row


def service_reminder_withdraw(*, actor: Actor, channel: Channel, reminder_id: int) -> ServiceReminder:
    """Staff call off a pending reminder; it is never sent."""
    return scheduled_withdraw(ServiceReminder, reminder_id, actor=actor, noun="reminder", code="not_pending")


# --- sending domains (decisions 0640-0642) ---------------------------------------------------------


def _staff_only(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff set up sending domains.")


def _domain_row(domain_id: int, *, lock: bool = False) -> EmailDomain:
    rows = EmailDomain.objects.select_for_update() if lock else EmailDomain.objects
    row = rows.filter(pk=domain_id).first()
    if row is None:
        raise NotFound("sending domain")
    return row


def email_domain_add(*, actor: Actor, channel: Channel, domain: str,
                     trading_name_id: int | None = None) -> EmailDomain:
    """A domain the business (or one trading name) sends from: pending, with a new key pair whose
    records are to be published. Refused: an invalid name, one already added, an unknown trading
    name, no key configured (``FIELDOPS_EMAIL_KEYS``)."""
    _staff_only(actor)
    name = mailauth.normalise_domain(domain)
    if trading_name_id is not None and not TradingName.objects.filter(pk=trading_name_id).exists():
        raise NotFound("trading name", field="tradingNameId")
    if EmailDomain.objects.filter(domain=name).exists():
        raise DomainError("duplicate", "That domain is added already.", field="domain")
    private_key, public_key = mailauth.new_key_pair()
    try:
        with transaction.atomic():
            row = EmailDomain.objects.create(domain=name, trading_name_id=trading_name_id,
                                             selector=mailauth.new_selector(), private_key=private_key,
                                             public_key=public_key, created_by=actor.user)
    except IntegrityError:  # added by someone else meanwhile
        raise DomainError("duplicate", "That domain is added already.", field="domain")
    logger.info("sending domain %s added (%s) via %s", name, row.selector, channel)
    return row


def email_domain_check(*, actor: Actor, channel: Channel, domain_id: int) -> EmailDomain:
    """Look the domain's records up now and record the outcome: all there -> verified (a rotation's
    new key, once its record is there too, becomes the key in use); a verified domain missing one ->
    failing, and staff are told once; DNS not answering changes no status. Staff may ask
    ``EMAIL_DOMAIN_CHECK_RATE`` times per window and domain; the daily job is not limited."""
    if not actor.is_system:
        _staff_only(actor)
    row = _domain_row(domain_id)
    if not actor.is_system:
        limit, _, window = settings.EMAIL_DOMAIN_CHECK_RATE.partition("/")
        if not ratelimit.hit("email_domain_check", str(row.pk), limit=int(limit), window=int(window)):
            raise DomainError("check_rate_limited", "This domain was checked just now; try again in a while.")
    outcome = mailauth.lookup(row)  # the network, outside any transaction
    now = timezone.now()
    with transaction.atomic():
        row = _domain_row(domain_id, lock=True)
        before = row.status
        row.results, row.checked_at = outcome.results, now
        if outcome.verified:
            row.status, row.failing_since, row.failing_notice_at = EmailDomainStatus.VERIFIED, None, None
            row.verified_at = row.verified_at if before == EmailDomainStatus.VERIFIED else now
            if row.next_selector and outcome.next_ready:  # the rotation's record is out: switch to it
                row.retired_selector, row.selector = row.selector, row.next_selector
                row.private_key, row.public_key = row.next_private_key, row.next_public_key
                row.next_selector = row.next_private_key = row.next_public_key = ""
                row.results = {**outcome.results, "dkim": outcome.results["next_dkim"]}
                row.results.pop("next_dkim")
        elif outcome.complete and before in (EmailDomainStatus.VERIFIED, EmailDomainStatus.FAILING):
            row.status = EmailDomainStatus.FAILING
            row.failing_since = row.failing_since or now
        row.save()
        if before == EmailDomainStatus.VERIFIED and row.status == EmailDomainStatus.FAILING:
            mailauth.notify_domain_failing.enqueue(row.pk)
    logger.info("sending domain %s checked via %s: %s -> %s", row.domain, channel, before, row.status)
    return row


def email_domains_check_all(*, actor: Actor, channel: Channel) -> int:
    """The daily re-check of every verified or failing domain (system only); how many were checked."""
    _system_only(actor)
    count = 0
    ids = EmailDomain.objects.filter(status__in=(EmailDomainStatus.VERIFIED, EmailDomainStatus.FAILING)
                                     ).order_by("pk").values_list("pk", flat=True)
    for pk in list(ids):
        try:
            email_domain_check(actor=actor, channel=channel, domain_id=pk)
        except DomainError:  # removed meanwhile
            continue
        count += 1
    return count


def email_domain_rotate_key(*, actor: Actor, channel: Channel, domain_id: int) -> EmailDomain:
    """A new selector and key pair for a verified domain, pending beside the key in use until a check
    finds its record; then the check switches to it (``retired_selector`` names the old record, which
    may be removed). Refused: a domain not verified, or a rotation already pending."""
    _staff_only(actor)
    with transaction.atomic():
        row = _domain_row(domain_id, lock=True)
        if row.status != EmailDomainStatus.VERIFIED:
            raise DomainError("domain_not_verified", "Only a verified domain's key is rotated.")
        if row.next_selector:
            raise DomainError("rotation_pending", "A new key is waiting for its record already.")
        row.next_private_key, row.next_public_key = mailauth.new_key_pair()
        selector = mailauth.new_selector()
        while selector in (row.selector, row.retired_selector):
            selector = mailauth.new_selector()
        row.next_selector = selector
        row.save(update_fields=["next_selector", "next_private_key", "next_public_key"])
    logger.info("sending domain %s: new key %s pending via %s", row.domain, row.next_selector, channel)
    return row


def email_domain_remove(*, actor: Actor, channel: Channel, domain_id: int) -> int:
    """Forget a sending domain and its keys: its mail leaves from the default address again."""
    _staff_only(actor)
    with transaction.atomic():
        row = _domain_row(domain_id, lock=True)
        row.delete()
    logger.info("sending domain %s removed via %s", row.domain, channel)
    return domain_id
