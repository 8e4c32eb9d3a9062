"""Background work of the outreach app through the Tasks API. Arguments are ids only (decision 0037).

The top of the app's import order (contract "Inside outreach ..." in pyproject): this module
imports ``services`` and ``sending``; neither imports it. The delivery task itself lives in
``sending`` beside the code it runs (services enqueue it); the name here keeps task rows written
before under ``core.outreach.tasks.deliver_email`` runnable.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from core.actors import Actor, Channel

from . import services
from .models import EmailKind, EmailMessage, EmailStatus
from .sending import deliver_email

__all__ = ["check_email_domains", "deliver_email", "requeue_stuck", "send_due_reminders", "send_due_service_reminders"]


@task()
def send_due_reminders() -> int:
    return services.reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM)


@task()
def check_email_domains() -> int:
    """The daily re-check of the verified (and failing) sending domains (decision 0642)."""
    return services.email_domains_check_all(actor=Actor.system(), channel=Channel.SYSTEM)


@task()
def send_due_service_reminders() -> int:
    """The reminders to book a service again that are due (decision 0625)."""
    return services.service_reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM)


def requeue_stuck(limit: int = 500) -> int:
    """E-mails left queued or sending with no task to finish them (``services.email_lost``): back to
    queued with a fresh delivery task. A sign-in e-mail past its link's life is failed instead (a
    customer who waited that long asks for a new one)."""
    old = timezone.now() - services.LOST_AFTER
    candidates = (EmailMessage.objects.filter(status__in=(EmailStatus.QUEUED, EmailStatus.SENDING), updated_at__lt=old)
                  .order_by("pk")[:limit])
    count = 0
    for message in candidates:
        if not services.email_lost(message):
            continue
        with transaction.atomic():
            stale = EmailMessage.objects.filter(pk=message.pk, status=message.status, updated_at=message.updated_at)
            if message.kind == EmailKind.PORTAL_LINK:
                stale.update(status=EmailStatus.FAILED, error="Lost before it was sent; ask for a new sign-in link.",
                             updated_at=timezone.now())
                continue
            if stale.update(status=EmailStatus.QUEUED, claim="", next_attempt_at=None, updated_at=timezone.now()):
                deliver_email.enqueue(message.pk)
                count += 1
    return count
