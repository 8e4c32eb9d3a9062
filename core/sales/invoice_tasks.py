"""The overdue reminders, a periodic job (``config/schedules.py``, daily in company time).

An issued invoice past its due date with a balance gets a reminder e-mail when it has had fewer
than ``reminder_limit`` and the last one (or the due date) is at least ``reminder_interval_days``
old. The key ``invoice_reminder:<invoice>:<n>`` makes the n-th reminder once, however often the job
runs; a paused customer or booking has it logged as skipped, and a skipped one still counts, so a
pause does not pile reminders up for the day it is lifted (decision 0834)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone
from django_tasks import task

from core.company.selectors import get_company

from . import invoice_mail
from .invoice_models import InvoiceEmailKind
from .invoice_selectors import get_settings, overdue, visible_invoices, with_paid

BATCH = 500


def send_overdue_reminders_now(*, now: datetime | None = None) -> int:
    from core.actors import Actor

    settings = get_settings()
    if settings.reminder_limit == 0:
        return 0
    now = now or timezone.now()
    on = now.astimezone(get_company().tz).date()
    interval = timedelta(days=max(settings.reminder_interval_days, 1))
    reminders = Q(emails__kind=InvoiceEmailKind.REMINDER)
    candidates = (overdue(with_paid(visible_invoices(Actor.system())), on=on)
                  .annotate(sent=Count("emails", filter=reminders), last=Max("emails__created_at", filter=reminders))
                  .filter(sent__lt=settings.reminder_limit).order_by("due_date", "pk")[:BATCH])
    zone = get_company().tz
    count = 0
    for invoice in candidates:
        if invoice.last is not None and invoice.last.astimezone(zone).date() > on - interval:
            continue
        if invoice_mail.queue(invoice, InvoiceEmailKind.REMINDER,
                              dedupe_key=f"invoice_reminder:{invoice.pk}:{invoice.sent + 1}", at=now) is not None:
            count += 1
    return count


@task()
def send_overdue_reminders() -> int:
    return send_overdue_reminders_now()
