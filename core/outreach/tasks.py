"""Background work through the Tasks API. Arguments are plain ids and strings."""

from __future__ import annotations

from django_tasks import task

from core.actors import Actor, Channel


@task()
def deliver_email(message_id: int, content: dict | None = None) -> str:
    from .services import email_deliver

    return email_deliver(actor=Actor.system(), channel=Channel.SYSTEM, message_id=message_id,
                         content=content).status


@task()
def send_due_reminders() -> int:
    from .services import reminders_send_due

    return reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM)


def requeue_stuck(limit: int = 500) -> int:
    """E-mails left queued or sending with no task to finish them (``services.email_lost``): back to
    queued with a fresh delivery task. A sign-in e-mail's content was never stored: failed instead."""
    from django.db import transaction
    from django.utils import timezone

    from .models import EmailMessage, EmailStatus
    from .services import LOST_AFTER, email_lost

    old = timezone.now() - LOST_AFTER
    candidates = (EmailMessage.objects.filter(status__in=(EmailStatus.QUEUED, EmailStatus.SENDING), updated_at__lt=old)
                  .order_by("pk")[:limit])
    count = 0
    for message in candidates:
        if not email_lost(message):
            continue
        with transaction.atomic():
            stale = EmailMessage.objects.filter(pk=message.pk, status=message.status, updated_at=message.updated_at)
            if message.booking_id is None:
                stale.update(status=EmailStatus.FAILED, error="Lost before it was sent; its content was not kept.",
                             updated_at=timezone.now())
                continue
            if stale.update(status=EmailStatus.QUEUED, claim="", next_attempt_at=None, updated_at=timezone.now()):
                deliver_email.enqueue(message.pk, None)
                count += 1
    return count
