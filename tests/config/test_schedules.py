"""Periodic jobs (config/schedules.py) and ``manage.py run_schedules``."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks import task

from config import schedules
from config.schedules import Job, LeaderLock, Scheduler, next_daily
from core.notifications import backends as sms_backends
from core.notifications.models import SmsKind, SmsMessage
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
    yield
    calls.clear()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_daily_times_are_wall_clock_across_daylight_saving():
    # 29 March 2026: Berlin moves from UTC+1 to UTC+2 overnight; 07:00 stays 07:00 local.
    before = datetime(2026, 3, 28, 7, 30, tzinfo=BERLIN)
    after = next_daily(time(7), before, BERLIN)
    assert after == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    assert after.astimezone(BERLIN).hour == 7
    assert next_daily(time(7), datetime(2026, 3, 28, 6, 59, tzinfo=BERLIN), BERLIN) == datetime(
        2026, 3, 28, 6, 0, tzinfo=UTC)


def make(clock: Clock, report: list[str]) -> Scheduler:
    jobs = [Job("every five", "tests.config.test_schedules.tick_a", every=timedelta(minutes=5)),
            Job("morning", "tests.config.test_schedules.tick_daily", daily_at=time(7))]
    return Scheduler(jobs, clock=clock, zone=lambda: BERLIN, report=report.append)


def test_interval_jobs_run_at_start_then_every_interval_and_daily_jobs_at_their_local_hour(db):
    clock = Clock(datetime(2026, 6, 1, 4, 58, tzinfo=UTC))  # 06:58 in Berlin (summer, UTC+2)
    lines: list[str] = []
    scheduler = make(clock, lines)
    try:
        assert scheduler.tick() == ["every five"]
        assert calls == ["a"]
        assert any("every five: done -> a" in line for line in lines)
        clock.now += timedelta(minutes=1)
        assert scheduler.tick() == []
        clock.now += timedelta(minutes=1)  # 07:00 local
        assert scheduler.tick() == ["morning"]
        clock.now += timedelta(minutes=3)  # five minutes after the first run
        assert scheduler.tick() == ["every five"]
        clock.now += timedelta(hours=23, minutes=54)  # 06:57 the next day
        assert "morning" not in scheduler.tick()
        clock.now += timedelta(minutes=3)  # 07:00 the next day
        assert "morning" in scheduler.tick()
        assert calls.count("daily") == 2
        assert 0.5 <= scheduler.seconds_to_next() <= schedules.MAX_SLEEP
    finally:
        scheduler.lock.release()


def test_a_catch_up_job_also_runs_at_start(db):
    clock = Clock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    scheduler = Scheduler([Job("series", "tests.config.test_schedules.tick_daily", daily_at=time(3), catch_up=True),
                           Job("morning", "tests.config.test_schedules.tick_a", daily_at=time(7))],
                          clock=clock, zone=lambda: BERLIN, report=lambda line: None)
    try:
        assert scheduler.tick() == ["series"]  # the morning list is not sent at 14:00
        assert scheduler.jobs[0].next_run == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)
        assert scheduler.jobs[1].next_run == datetime(2026, 6, 2, 5, 0, tzinfo=UTC)
    finally:
        scheduler.lock.release()


def test_only_one_scheduler_leads(db, tmp_path):
    first, second = LeaderLock(path=tmp_path / "s.lock"), LeaderLock(path=tmp_path / "s.lock")
    try:
        assert first.acquire()
        assert not second.acquire()
        follower = Scheduler([Job("every five", "tests.config.test_schedules.tick_a", every=timedelta(minutes=5))],
                             report=lambda line: None)
        follower.lock = second
        assert follower.tick() == [] and calls == []  # a follower enqueues nothing
        assert follower.seconds_to_next() == schedules.LEADER_RETRY.total_seconds()
        first.release()
        assert follower.tick() == ["every five"] and calls == ["a"]  # and takes over when the leader goes
    finally:
        first.release()
        second.release()


def test_the_default_schedule_covers_the_periodic_jobs(settings):
    settings.FIELDOPS_MORNING_LIST_HOUR = 6
    jobs = {job.task_path: job for job in schedules.default_jobs()}
    assert set(jobs) == {"core.notifications.tasks.send_due_reminders", "core.outreach.tasks.send_due_reminders",
                         "core.chat.tasks.flush_outbox", "core.chat.tasks.send_morning_lists",
                         "core.bookings.tasks.extend_booking_series"}
    assert jobs["core.chat.tasks.flush_outbox"].every == timedelta(minutes=1)
    assert jobs["core.notifications.tasks.send_due_reminders"].every == timedelta(minutes=5)
    assert jobs["core.chat.tasks.send_morning_lists"].daily_at == time(6)
    for job in jobs.values():
        assert callable(job.task().enqueue)  # every path names a real task


def test_no_scheduler_thread_unless_switched_on(settings):
    settings.FIELDOPS_SCHEDULER = False
    assert schedules.start_in_background() is None


def test_run_schedules_once_runs_every_job_and_reports(db, settings, capsys):
    settings.SMS_BACKEND = "core.notifications.backends.LocmemSmsBackend"
    settings.TWILIO_FROM_NUMBER = "+61400999999"
    settings.SMS_REMINDER_HOURS = 24
    booking = factories.booking(start=timezone.now() + timedelta(hours=20))
    sms_backends.outbox.clear()
    call_command("run_schedules", "--once")
    out = capsys.readouterr().out
    for name in ("sms reminders", "e-mail reminders", "chat outbox flush", "chat morning list", "series extension"):
        assert f"{name}: enqueued" in out and f"{name}: done" in out, out
    assert "sms reminders: done -> 1" in out
    assert SmsMessage.objects.filter(booking=booking, kind=SmsKind.REMINDER).count() == 1
    assert [sms.to for sms in sms_backends.outbox] == [booking.customer.mobile]
    sms_backends.outbox.clear()


def test_run_schedules_once_refuses_while_another_scheduler_leads(db, monkeypatch, tmp_path):
    holder = LeaderLock(path=tmp_path / "s.lock")
    monkeypatch.setattr(schedules, "LeaderLock", lambda: LeaderLock(path=tmp_path / "s.lock"))
    try:
        assert holder.acquire()
        with pytest.raises(CommandError, match="Another scheduler leads"):
            call_command("run_schedules", "--once")
        assert SmsMessage.objects.count() == 0
    finally:
        holder.release()


def test_run_schedules_lists_the_jobs(db, capsys):
    call_command("run_schedules", "--list")
    out = capsys.readouterr().out
    assert "chat outbox flush" in out and "every 0:01:00" in out and "daily at 07:00 company time" in out
