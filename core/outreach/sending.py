"""Sending one logged e-mail: the delivery task, the claim, the rendering and the outcome.

The lowest module of the app's sending side: ``services`` (which writes the log rows and enqueues
:func:`deliver_email`) and ``tasks`` (the periodic jobs) import it, it imports neither (the
import-linter contract "Inside outreach ..." keeps it so).

Task arguments are ids only (decision 0037): every kind of e-mail is rendered here, when it is
sent, from the rows it names. A portal sign-in link's one-time secret is made here too, at the
moment of sending, so it is never stored and never travels through the task table.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from core import rawsql
from core.actors import Actor, Channel
from core.bookings.models import OPEN_STATUSES, Booking
from core.company.selectors import get_company
from core.crm.models import Customer
from core.delivery import current_claim, next_attempt, smtp_transient
from core.errors import PermissionDenied

from . import emails, links, mailauth, replies
from .models import DOCUMENT_EMAIL_RENDERERS, EmailKind, EmailMessage, EmailStatus, PortalLoginToken, ServiceReminder

logger = logging.getLogger(__name__)

PORTAL_LINK_MINUTES = 20
CANCEL_LINKS_MAX = 10


def _system_only(actor: Actor) -> None:
    if not actor.is_system:
        raise PermissionDenied("Only the system sends automated messages.")


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@task()
def deliver_email(message_id: int, content: dict | None = None) -> str:
    """Send one logged e-mail. ``content`` is never passed any more (ids only, decision 0037); the
    parameter stays for task rows written before, which still carry it."""
    return email_deliver(actor=Actor.system(), channel=Channel.SYSTEM, message_id=message_id,
                         content=content).status


def _portal_link(message: EmailMessage) -> emails.Rendered | None:
    """A fresh one-time sign-in link for the message's customer: the secret exists only in this
    run and in the e-mail; the database keeps its hash."""
    customer = Customer.objects.filter(pk=message.customer_id).first() if message.customer_id else None
    if customer is None:
        return None
    raw = secrets.token_urlsafe(32)
    PortalLoginToken.objects.create(customer=customer, token_hash=token_hash(raw),
                                    expires_at=timezone.now() + timedelta(minutes=PORTAL_LINK_MINUTES))
    return emails.portal_link(customer, get_company(), links.portal_login_url(raw), PORTAL_LINK_MINUTES)


def _cancel_links(message: EmailMessage) -> emails.Rendered | None:
    """The booking the bare CANCEL was about when there was one, else the customer's open upcoming
    bookings, each with its link; nothing (a failure) when none is open any more."""
    customer = Customer.objects.filter(pk=message.customer_id).first() if message.customer_id else None
    if customer is None:
        return None
    bookings = Booking.objects.filter(customer_id=customer.pk, status__in=OPEN_STATUSES)
    if message.booking_id is not None:
        bookings = bookings.filter(pk=message.booking_id)
    else:
        bookings = bookings.filter(scheduled_start__gt=timezone.now())
    found = list(bookings.order_by("scheduled_start", "pk")[:CANCEL_LINKS_MAX])
    return emails.cancel_links(customer, found, get_company()) if found else None


def _comment(message: EmailMessage) -> emails.Rendered | None:
    """A discussion message e-mailed again (a retry): the comment its delivery names. The delivery
    model is the notifications app's, which imports this app: read through the app registry."""
    delivery_model = apps.get_model("sms", "CommentDelivery")
    delivery = delivery_model.objects.filter(email_message_id=message.pk).select_related("comment").first()
    if delivery is None:
        return None
    booking = rawsql.get(Booking, message.booking_id, "customer", "property")
    return emails.comment(booking, delivery.comment, get_company()) if booking is not None else None


def _service_reminder(message: EmailMessage) -> emails.Rendered | None:
    """The reminder to book again that logged this e-mail, with what its text prints."""
    reminder = (ServiceReminder.objects.select_related("customer", "service", "booking")
                .filter(email_id=message.pk).first())
    return emails.service_reminder(reminder, get_company()) if reminder is not None else None


def _render(message: EmailMessage) -> emails.Rendered | None:
    if message.kind == EmailKind.PORTAL_LINK:
        return _portal_link(message)
    if message.kind == EmailKind.SERVICE_REMINDER:
        return _service_reminder(message)
    if message.kind == EmailKind.CANCEL_LINKS:
        return _cancel_links(message)
    if message.kind in DOCUMENT_EMAIL_RENDERERS:  # an invoice: its app renders it, PDF attached
        return import_string(DOCUMENT_EMAIL_RENDERERS[message.kind])(message)
    if message.booking_id is None:
        return None
    if message.kind == EmailKind.COMMENT:
        return _comment(message)
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


def _sender(rendered: emails.Rendered) -> str | None:
    """From: the brand's own address when its domain is a verified sending domain (the mail is then
    DKIM-signed by the backend, decision 0641); else the trading name's display name on the business's
    sending address (the one the mail is authorised to leave from); None: ``DEFAULT_FROM_EMAIL`` as it is."""
    if rendered.from_address and mailauth.verified_domain(rendered.from_address):
        return rendered.from_address
    if not rendered.sender_name:
        return None
    return formataddr((rendered.sender_name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


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
        # a booking's e-mail can be answered: the answer joins its discussion (decision 0614)
        reply_to = (replies.reply_address(message.booking_id) if message.booking_id else None) or rendered.reply_to
        mail = EmailMultiAlternatives(rendered.subject, rendered.text, _sender(rendered), [message.to_address],
                                      headers={"Message-ID": message.message_id},
                                      reply_to=[reply_to] if reply_to else None)
        mail.attach_alternative(rendered.html, "text/html")
        for filename, data, mimetype in rendered.attachments:
            mail.attach(filename, data, mimetype)
        mail.send()
    except Exception as exc:  # any transport failure is recorded on the row, never raised to the caller
        retry_at = next_attempt(message.attempts, now=timezone.now()) if smtp_transient(exc) else None
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
    with transaction.atomic():  # the row back in the queue and its deferred retry, together
        EmailMessage.objects.filter(pk=message.pk).update(**values)
        deliver_email.using(run_after=retry_at).enqueue(message.pk)  # rendered afresh: ids only (0037)
    return message
