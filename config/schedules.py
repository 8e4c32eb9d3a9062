"""Periodic jobs: what runs when, and the tick that enqueues each job once per period.

When a job is due comes from ``dateutil.rrule`` (intervals aligned to the clock in UTC; daily jobs
at a wall-clock time in the company's zone, so daylight saving never moves them). Who enqueues it
is whoever inserts its ``JobRun`` row (job, period start) first: the insert and the task row share
one transaction, so across any number of workers and restarts a period's job is enqueued exactly
once, and a crash between the two leaves neither (docs/decisions/0035).

Every worker ticks (``config/worker.py``, every heartbeat); ``manage.py run_schedules --once``
ticks once from a shell or cron.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from dateutil import rrule
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One periodic job: ``every`` (periods aligned to the clock, UTC) or ``daily_at`` (company-local
    wall-clock time). ``grace``: how late a period may still be run (a worker down at 07:00 that is
    back at 07:20 sends the morning list; back at noon it does not). None: always catch up on the
    latest period (jobs useful whenever they run)."""

    name: str
    task_path: str
    every: timedelta | None = None
    daily_at: time | None = None
    grace: timedelta | None = None

    def task(self) -> Any:
        return import_string(self.task_path)

    def describe(self) -> str:
        return f"every {self.every}" if self.every else f"daily at {self.daily_at:%H:%M} company time"

    def period(self, now: datetime, zone: zoneinfo.ZoneInfo) -> datetime | None:
        """The start of the latest period at or before ``now`` (aware, UTC)."""
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            rule = rrule.rrule(rrule.SECONDLY, interval=seconds, dtstart=day)
        else:
            assert self.daily_at is not None
            local_day = now.astimezone(zone).date() - timedelta(days=2)
            start = datetime.combine(local_day, time(0), tzinfo=zone)
            rule = rrule.rrule(rrule.DAILY, dtstart=start, byhour=self.daily_at.hour,
                               byminute=self.daily_at.minute, bysecond=0)
        found = rule.before(now.astimezone(UTC if self.every else zone), inc=True)
        if found is None:
            return None
        if self.every is None:
            # rrule walks wall-clock times; attach the zone's offset for that very day
            found = found.replace(tzinfo=zone)
        return found.astimezone(UTC)

    def next_after(self, now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
        if self.every is not None:
            current = self.period(now, zone)
            assert current is not None
            return current + self.every
        return next_daily(self.daily_at, now, zone)  # type: ignore[arg-type]


def default_jobs() -> list[Job]:
    morning = time(hour=settings.FIELDOPS_MORNING_LIST_HOUR)
    return [
        Job("sms reminders", "core.sms.tasks.send_due_reminders", every=timedelta(minutes=5)),
        Job("e-mail reminders", "core.outreach.tasks.send_due_reminders", every=timedelta(minutes=5)),
        # reminders to book a service again, due days after a completion (decision 0625); review requests
        # after a completed job (0630)
        Job("book-again reminders", "core.outreach.tasks.send_due_service_reminders", every=timedelta(minutes=5)),
        Job("review requests", "core.reviews.tasks.send_due_review_requests", every=timedelta(minutes=5)),
        Job("chat outbox flush", "core.chat.tasks.flush_outbox", every=timedelta(minutes=1)),
        # rows whose delivery task is gone (a lost enqueue before this engine) or stuck: picked up again
        Job("deliveries sweep", "config.jobs.sweep_deliveries", every=timedelta(minutes=5)),
        # "any webhook endpoint active?" written again from the database into the shared cache (0062)
        Job("webhook flag", "core.integrations.tasks.refresh_webhook_flag", every=timedelta(minutes=1)),
        Job("task results pruning", "config.jobs.prune_task_results", daily_at=time(hour=4)),
        # A "good morning" list at noon is noise: only within the hour after its time.
        Job("chat morning list", "core.chat.tasks.send_morning_lists", daily_at=morning, grace=timedelta(hours=1)),
        # Idempotent and useful whenever it runs: always the latest day's run, however late.
        Job("series extension", "core.bookings.tasks.extend_booking_series", daily_at=time(hour=3)),
        # Overdue invoices: a reminder in office hours, caught up whenever the worker is back that day.
        Job("invoice reminders", "core.sales.invoice_tasks.send_overdue_reminders", daily_at=time(hour=9)),
        # Quotes past their validity: expired once a day, the first thing in the company's morning.
        Job("quote expiry", "core.sales.quote_tasks.expire_quotes", daily_at=time(hour=0, minute=5)),
        Job("quote follow-ups", "core.sales.quote_tasks.send_follow_up_reminders", daily_at=time(hour=8)),
        # Sending domains whose DNS records went missing stop signing; staff are told (decision 0642).
        Job("sending domain checks", "core.outreach.tasks.check_email_domains", daily_at=time(hour=6)),
    ]


def company_zone() -> zoneinfo.ZoneInfo:
    from core.company.selectors import get_company

    try:
        return get_company().tz
    except Exception:  # no table yet (before migrate), or a bad zone: UTC
        logger.exception("company time zone unavailable; scheduling daily jobs in UTC")
        return zoneinfo.ZoneInfo("UTC")


def next_daily(at: time, after: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first local ``at`` strictly after ``after`` (wall-clock, so DST never shifts it)."""
    rule = rrule.rrule(rrule.DAILY, dtstart=datetime.combine(after.astimezone(zone).date(), time(0)),
                       byhour=at.hour, byminute=at.minute, bysecond=0)
    found = rule.after(after.astimezone(zone).replace(tzinfo=None), inc=False)
    return found.replace(tzinfo=zone).astimezone(UTC)


_done: dict[tuple[str, datetime], bool] = {}  # this process's memory of periods already claimed


def claim_and_enqueue(job: Job, period: datetime, *, worker_id: str = "") -> Any:
    """Insert the ledger row and enqueue the job in one transaction. None: another process (or an
    earlier tick) has this period already."""
    from config.models import JobRun

    try:
        with transaction.atomic():
            run = JobRun.objects.create(job=job.name, period=period, worker_id=worker_id[:64])
            result = job.task().enqueue()
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:
        return None
    return result


def tick(*, now: datetime | None = None, jobs: list[Job] | None = None, worker_id: str = "",
         zone: Callable[[], zoneinfo.ZoneInfo] = company_zone,
         report: Callable[[str], None] | None = None) -> list[str]:
    """Enqueue every job whose current period has not been enqueued yet. Returns their names."""
    from config.models import JobRun

    now = now or timezone.now()
    tz = zone()
    enqueued = []
    for job in jobs if jobs is not None else default_jobs():
        period = job.period(now, tz)
        if period is None or _done.get((job.name, period)):
            continue
        if job.grace is not None and now - period > job.grace:
            continue
        if JobRun.objects.filter(job=job.name, period=period).exists():
            _done[(job.name, period)] = True
            continue
        try:
            result = claim_and_enqueue(job, period, worker_id=worker_id)
        except Exception:  # its ledger row rolled back with it: the next tick tries again
            logger.exception("periodic job %s could not be enqueued", job.name)
            continue
        _done[(job.name, period)] = True
        if result is not None:
            enqueued.append(job.name)
            line = f"{now:%Y-%m-%d %H:%M:%S} {job.name}: enqueued for {period:%Y-%m-%d %H:%M} UTC (id={result.id})"
            (report or logger.info)(line)
    if len(_done) > 1000:
        _done.clear()
    return enqueued
