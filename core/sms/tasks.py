"""Background work for text messages, run through the Tasks API (``django_tasks``).

Handlers of domain events enqueue these after commit; on the embedded default the immediate
backend runs them in the served process, in production a database backend hands them to workers.
Arguments are plain ids so any backend can serialise them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from core.actors import Actor, Channel
from core.bookings import series as booking_series
from core.bookings.models import OPEN_STATUSES, Booking
from core.company.selectors import get_company
from core.crm.models import Customer
from core.delivery import current_claim
from core.outreach import services as outreach
from core.outreach.models import EmailKind

from . import messages, services
from .models import SmsKind, SmsMessage, SmsOptOut, SmsStatus

logger = logging.getLogger(__name__)


@task()
def send_booking_sms(kind: str, booking_id: int) -> int | None:
    """Send one automated SMS about a booking; returns the log row's id (None: nothing to send)."""
    booking = Booking.objects.select_related("customer").filter(pk=booking_id).first()
    if booking is None:
        logger.info("booking %s is gone; no %s text to send", booking_id, kind)
        return None
    company = get_company()
    if kind == SmsKind.CONFIRMATION:
        if not booking.is_open:
            return None
        body, prompt = messages.confirmation(booking, company), True
    elif kind == SmsKind.REMINDER:
        if not booking.is_open:
            return None
        body, prompt = messages.reminder(booking, company), True
    elif kind == SmsKind.CANCELLATION:
        if booking_series.cancelled_with_series(booking):
            return None  # the series' one notice lists this date (SERIES_CANCELLATION)
        body, prompt = messages.cancellation(booking, company), False
    elif kind == SmsKind.SERIES_CONFIRMATION:
        occurrences = booking_series.notice_occurrences(booking, cancelled=False)
        if not occurrences:
            return None
        continues = booking_series.continues_after(booking.series, occurrences[-1].series_date)
        body, prompt = messages.series_confirmation(occurrences, company, continues=continues), False
    elif kind == SmsKind.SERIES_CANCELLATION:
        occurrences = booking_series.notice_occurrences(booking, cancelled=True)
        if not occurrences:
            return None
        body, prompt = messages.series_cancellation(occurrences, company), False
    else:
        raise ValueError(f"not an automated SMS: {kind}")
    # This very task, run again after its worker was lost: finish the text it logged (decision 0033).
    claim = current_claim()
    mine = SmsMessage.objects.filter(booking=booking, kind=kind, claim=claim).first() if claim else None
    if mine is not None:
        services.sms_deliver(actor=Actor.system(), channel=Channel.SYSTEM, message_id=mine.pk, claim=claim)
        return mine.pk
    # A retried task, a redelivered event or a reminder enqueued by two runs of the schedule before
    # either was sent must not text the customer twice.
    earlier = (SmsMessage.objects.filter(booking=booking, kind=kind)
               .exclude(status__in=(SmsStatus.SKIPPED, SmsStatus.FAILED)).values_list("pk", flat=True).first())
    if earlier is not None:
        return earlier
    message = services.sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=booking.customer.mobile,
                                body=body, kind=kind, customer_id=booking.customer_id, booking_id=booking.pk,
                                prompt=prompt)
    return message.pk


@task()
def deliver_sms(message_id: int) -> str | None:
    """Send a logged text that is still unsent (a retry after a transient failure, or staff's)."""
    message = services.sms_deliver(actor=Actor.system(), channel=Channel.SYSTEM, message_id=message_id)
    return None if message is None else message.status


@task()
def deliver_comment(comment_id: int) -> list[str]:
    """Bring a customer-visible discussion message to the customer (``services.comment_deliver``);
    returns the statuses of its deliveries. Safe to run again: nothing is sent twice."""
    deliveries = services.comment_deliver(actor=Actor.system(), channel=Channel.SYSTEM, comment_id=comment_id)
    return [delivery.status for delivery in deliveries]


def due_reminder_ids(now=None) -> list[int]:
    """Open bookings starting within the reminder lead time that have no reminder yet, whose
    SMS is not paused and whose customer has not opted out."""
    now = now or timezone.now()
    lead = timedelta(hours=settings.SMS_REMINDER_HOURS)
    opted_out = SmsOptOut.objects.filter(opted_out=True).values("number")
    reminded = (SmsMessage.objects.filter(kind=SmsKind.REMINDER).exclude(status=SmsStatus.SKIPPED)
                .values("booking_id"))
    return list(
        Booking.objects.filter(status__in=OPEN_STATUSES, scheduled_start__gt=now, scheduled_start__lte=now + lead,
                               automated_sms_paused=False, customer__automated_sms_paused=False)
        .exclude(customer__mobile="").exclude(customer__mobile__in=opted_out).exclude(pk__in=reminded)
        .values_list("pk", flat=True)
    )


@task()
def send_due_reminders() -> int:
    """Enqueue one reminder task per booking that is due (the workers send them side by side);
    returns how many. Run it on a schedule (``manage.py sms_send_reminders`` runs it now). A
    reminder enqueued twice (two runs before the first was sent) sends once: the task skips a
    booking that has a reminder already."""
    ids = due_reminder_ids()
    for booking_id in ids:
        send_booking_sms.enqueue(SmsKind.REMINDER, booking_id)
    return len(ids)


def requeue_stuck(limit: int = 500) -> int:
    """Automated texts logged but never sent (queued or sending, no sid) with no task left to send
    them: a fresh delivery task each. Their claim is cleared so the new task may take them."""
    from django.db import transaction

    from core.tasking import task_alive

    old = timezone.now() - timedelta(minutes=10)
    rows = (SmsMessage.objects.filter(status__in=(SmsStatus.QUEUED, SmsStatus.SENDING), sid__isnull=True,
                                      kind__in=services.RETRIED_KINDS, updated_at__lt=old)
            .exclude(next_attempt_at__gt=old).order_by("pk")[:limit])
    count = 0
    for message in rows:
        if message.claim and task_alive(message.claim):
            continue
        with transaction.atomic():
            if SmsMessage.objects.filter(pk=message.pk, status=message.status, claim=message.claim,
                                         sid__isnull=True).update(status=SmsStatus.QUEUED, claim="",
                                                                  updated_at=timezone.now()):
                deliver_sms.enqueue(message.pk)
                count += 1
    return count


@task()
def email_cancellation_links(customer_id: int, booking_ids: list[int]) -> bool:
    """Rows written before cancellation links went through the e-mail log: queue that e-mail now,
    once per task row (its id is the log row's dedupe key, so a rerun after a lost worker finds it
    and sends nothing more), and let the logged, claimed delivery send it (decision 0038)."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not customer.email:
        return False
    open_ids = list(Booking.objects.filter(pk__in=booking_ids, customer_id=customer_id, status__in=OPEN_STATUSES)
                    .values_list("pk", flat=True)[:2])
    if not open_ids:
        return False
    claim = current_claim()
    message = outreach.email_queue(actor=Actor.system(), channel=Channel.SYSTEM, kind=EmailKind.CANCEL_LINKS,
                                   customer_id=customer_id, booking_id=open_ids[0] if len(open_ids) == 1 else None,
                                   dedupe_key=f"cancel-links:{claim}" if claim else None)
    return message is not None
