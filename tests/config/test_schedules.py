"""Periodic jobs (config/schedules.py): periods from dateutil.rrule, each enqueued once per period
by whoever inserts its ledger row first; ``manage.py run_schedules``."""

from __future__ import annotations

import threading
import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from config import schedules
from config.models import JobRun
from config.schedules import Job, next_daily
from config.tasks import run_ready
from core.sms import backends as sms_backends
from core.sms.models import SmsKind, SmsMessage
from tests import factories

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
calls: list[str] = []


@task()
def tick_a() -> str:
    calls.append("a")
    return "a"


@task()
def tick_daily() -> str:
    calls.append("daily")
    return "daily"


@pytest.fixture(autouse=True)
def _clear():
    calls.clear()
    schedules._done.clear()
    yield
    calls.clear()
    schedules._done.clear()


EVERY_FIVE = Job("every five", "tests.config.test_schedules.tick_a", every=timedelta(minutes=5))
MORNING = Job("morning", "tests.config.test_schedules.tick_daily", daily_at=time(7), grace=timedelta(hours=1))
SERIES = Job("catch up", "tests.config.test_schedules.tick_daily", daily_at=time(3))


def tick(now: datetime, jobs=None) -> list[str]:
    return schedules.tick(now=now, jobs=jobs or [EVERY_FIVE, MORNING], zone=lambda: BERLIN)


def test_daily_times_are_wall_clock_across_daylight_saving():
    # 29 March 2026: Berlin moves from UTC+1 to UTC+2 overnight; 07:00 stays 07:00 local.
    before = datetime(2026, 3, 28, 7, 30, tzinfo=BERLIN)
    after = next_daily(time(7), before, BERLIN)
    assert after == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    assert after.astimezone(BERLIN).hour == 7
    assert next_daily(time(7), datetime(2026, 3, 28, 6, 59, tzinfo=BERLIN), BERLIN) == datetime(
        2026, 3, 28, 6, 0, tzinfo=UTC)
    # the period a daily job is in, on both sides of the change
    assert MORNING.period(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), BERLIN) == datetime(2026, 3, 28, 6, 0, tzinfo=UTC)
    assert MORNING.period(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), BERLIN) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_interval_periods_are_aligned_to_the_clock():
    assert EVERY_FIVE.period(datetime(2026, 6, 1, 4, 58, 59, tzinfo=UTC), BERLIN) == datetime(
        2026, 6, 1, 4, 55, tzinfo=UTC)
    assert EVERY_FIVE.period(datetime(2026, 6, 1, 5, 0, tzinfo=UTC), BERLIN) == datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    assert EVERY_FIVE.period(datetime(2026, 6, 1, 0, 0, 1, tzinfo=UTC), BERLIN) == datetime(2026, 6, 1, tzinfo=UTC)


def test_each_period_is_enqueued_once_and_the_task_runs(db, django_capture_on_commit_callbacks):
    now = datetime(2026, 6, 1, 4, 58, tzinfo=UTC)  # 06:58 in Berlin (summer, UTC+2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tick(now) == ["every five"]  # the morning's period began yesterday 07:00: past its grace
        assert tick(now + timedelta(minutes=1)) == []  # same five-minute period
        assert tick(now + timedelta(minutes=2)) == ["every five", "morning"]  # 07:00 local, and 05:00 UTC
    assert calls == ["a", "a", "daily"]
    assert list(JobRun.objects.order_by("period", "job").values_list("job", "period")) == [
        ("every five", datetime(2026, 6, 1, 4, 55, tzinfo=UTC)),
        ("every five", datetime(2026, 6, 1, 5, 0, tzinfo=UTC)),
        ("morning", datetime(2026, 6, 1, 5, 0, tzinfo=UTC)),
    ]
    # each ledger row names the task row enqueued with it
    assert set(JobRun.objects.values_list("task_id", flat=True)) == {
        str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}


def test_another_process_that_ran_the_period_is_respected(db):
    now = datetime(2026, 6, 1, 4, 58, tzinfo=UTC)
    JobRun.objects.create(job="every five", period=datetime(2026, 6, 1, 4, 55, tzinfo=UTC), worker_id="elsewhere")
    assert tick(now) == []
    assert DBTaskResult.objects.count() == 0


def test_a_job_without_grace_catches_up_on_its_latest_period(db):
    # a worker that comes back at 10:00 still runs the 03:00 job (once), and not yesterday's as well
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert tick(now, [SERIES]) == ["catch up"]
    assert tick(now + timedelta(hours=1), [SERIES]) == []
    assert list(JobRun.objects.values_list("period", flat=True)) == [datetime(2026, 6, 1, 1, 0, tzinfo=UTC)]


def test_a_job_that_cannot_be_enqueued_leaves_no_ledger_row_and_blocks_no_other(db, caplog):
    broken = Job("broken", "tests.config.test_schedules.no_such_task", every=timedelta(minutes=5))
    assert tick(datetime(2026, 6, 1, 4, 58, tzinfo=UTC), [broken, EVERY_FIVE]) == ["every five"]
    assert list(JobRun.objects.values_list("job", flat=True)) == ["every five"]  # the next tick tries again
    assert "periodic job broken could not be enqueued" in caplog.text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: meaningful on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_many_threads_ticking_at_once_enqueue_each_period_once():
    now = datetime(2026, 6, 1, 4, 58, tzinfo=UTC)
    start = threading.Barrier(8)
    results: list[list[str]] = []

    def run() -> None:
        from django.db import connections

        try:
            start.wait()
            results.append(schedules.tick(now=now, jobs=[EVERY_FIVE], zone=lambda: BERLIN))
        finally:
            connections.close_all()

    schedules._done.clear()
    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0] * 7 + [1]
    assert JobRun.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path="tests.config.test_schedules.tick_a").count() == 1


def test_the_default_schedule_covers_the_periodic_jobs(settings):
    settings.FIELDOPS_MORNING_LIST_HOUR = 6
    jobs = {job.task_path: job for job in schedules.default_jobs()}
    assert set(jobs) == {"core.sms.tasks.send_due_reminders", "core.outreach.tasks.send_due_reminders",
                         "core.chat.tasks.flush_outbox", "core.chat.tasks.send_morning_lists",
                         "core.bookings.tasks.extend_booking_series", "config.jobs.sweep_deliveries",
                         "config.jobs.prune_task_results", "core.sales.invoice_tasks.send_overdue_reminders",
                         "core.sales.quote_tasks.expire_quotes", "core.sales.quote_tasks.send_follow_up_reminders",
                         "core.outreach.tasks.send_due_service_reminders", "core.outreach.tasks.check_email_domains",
                         "core.reviews.tasks.send_due_review_requests", "core.integrations.tasks.refresh_webhook_flag"}
    assert jobs["core.chat.tasks.flush_outbox"].every == timedelta(minutes=1)
    assert jobs["core.sms.tasks.send_due_reminders"].every == timedelta(minutes=5)
    assert jobs["core.outreach.tasks.send_due_service_reminders"].every == timedelta(minutes=5)
    assert jobs["core.reviews.tasks.send_due_review_requests"].every == timedelta(minutes=5)
    assert jobs["core.chat.tasks.send_morning_lists"].daily_at == time(6)
    assert jobs["core.sales.invoice_tasks.send_overdue_reminders"].daily_at == time(9)
    assert jobs["core.sales.quote_tasks.expire_quotes"].daily_at == time(0, 5)
    assert jobs["core.sales.quote_tasks.send_follow_up_reminders"].daily_at == time(8)
    assert jobs["core.outreach.tasks.check_email_domains"].daily_at == time(6)
    for job in jobs.values():
        assert callable(job.task().enqueue)  # every path names a real task


def test_run_schedules_enqueues_what_is_due_and_a_worker_runs_it(db, settings, capsys):
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.TWILIO_FROM_NUMBER = "+61400999999"
    settings.SMS_REMINDER_HOURS = 24
    booking = factories.booking(start=timezone.now() + timedelta(hours=20))
    run_ready()  # the booking's own confirmation texts and e-mails
    sms_backends.outbox.clear()
    with transaction.atomic():
        call_command("run_schedules")
    out = capsys.readouterr().out
    for name in ("sms reminders", "e-mail reminders", "chat outbox flush", "series extension", "deliveries sweep"):
        assert f"{name}: enqueued" in out, out
    assert run_ready() >= 5
    assert SmsMessage.objects.filter(booking=booking, kind=SmsKind.REMINDER).count() == 1
    assert [sms.to for sms in sms_backends.outbox] == [booking.customer.mobile]
    call_command("run_schedules")
    assert "nothing due" in capsys.readouterr().out
    sms_backends.outbox.clear()


def test_run_schedules_lists_the_jobs(db, capsys):
    call_command("run_schedules", "--list")
    out = capsys.readouterr().out
    assert "chat outbox flush" in out and "every 0:01:00" in out and "daily at 07:00 company time" in out
