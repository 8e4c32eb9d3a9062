"""Periodic jobs: what runs when, and the small scheduler that enqueues them.

The scheduler only *enqueues* (Tasks API); the task backend runs the work. It runs in one of two
places: a daemon thread of the served process (``start_in_background``, called from
``config/asgi.py`` when ``FIELDOPS_SCHEDULER`` is on: the server runs without lifespan events
(``manage.py serve``), and ``asgi.py`` is imported only by a server), or in the foreground with
``manage.py run_schedules`` for deployments whose web processes must not run it.

However many processes run a scheduler, one leads: it holds a lock for the database (a
PostgreSQL session advisory lock; for SQLite a file lock beside the database file) and the
others wait, taking over within a minute when the leader goes away. So two server processes
never send the same reminder twice.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x6669656C646F7073 & 0x7FFFFFFFFFFFFFFF  # "fieldops", as a positive bigint
LEADER_RETRY = timedelta(minutes=1)
MAX_SLEEP = 30.0  # seconds: wake up at least this often (clock changes, stop requests)


@dataclass
class Job:
    """One periodic job. Either ``every`` (run when leadership starts, then at that interval) or
    ``daily_at`` (company-local wall-clock time, every day; ``catch_up``: also run at start when
    today's time has passed, for jobs that are useful late)."""

    name: str
    task_path: str
    every: timedelta | None = None
    daily_at: time | None = None
    catch_up: bool = False
    next_run: datetime | None = field(default=None, compare=False)

    def task(self) -> Any:
        return import_string(self.task_path)


def default_jobs() -> list[Job]:
    morning = time(hour=settings.FIELDOPS_MORNING_LIST_HOUR)
    return [
        Job("sms reminders", "core.notifications.tasks.send_due_reminders", every=timedelta(minutes=5)),
        Job("e-mail reminders", "core.outreach.tasks.send_due_reminders", every=timedelta(minutes=5)),
        Job("chat outbox flush", "core.chat.tasks.flush_outbox", every=timedelta(minutes=1)),
        # A "good morning" list at noon is noise: no catch-up (the list is once a day per person anyway).
        Job("chat morning list", "core.chat.tasks.send_morning_lists", daily_at=morning),
        # Idempotent and useful whenever it runs: also at start-up when today's slot has passed.
        Job("series extension", "core.bookings.tasks.extend_booking_series", daily_at=time(hour=3), catch_up=True),
    ]


def company_zone() -> zoneinfo.ZoneInfo:
    from core.company.selectors import get_company

    try:
        return get_company().tz
    except Exception:  # no table yet (before migrate), or a bad zone: the server's zone
        logger.exception("company time zone unavailable; scheduling daily jobs in UTC")
        return zoneinfo.ZoneInfo("UTC")


def next_daily(at: time, after: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first local ``at`` strictly after ``after`` (wall-clock, so DST never shifts it)."""
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(UTC)


class Scheduler:
    """Computes what is due and enqueues it. ``clock`` and ``enqueue`` are injectable for tests."""

    def __init__(self, jobs: list[Job] | None = None, *, clock: Callable[[], datetime] = timezone.now,
                 zone: Callable[[], zoneinfo.ZoneInfo] = company_zone,
                 report: Callable[[str], None] | None = None) -> None:
        self.jobs = jobs if jobs is not None else default_jobs()
        self.clock = clock
        self.zone = zone
        self.report = report or (lambda line: logger.info("%s", line))
        self.lock = LeaderLock()
        self.stop_event = threading.Event()
        self.pending: list[tuple[Job, Any]] = []  # enqueued results not yet seen finished

    # --- planning --------------------------------------------------------------------------------
    def plan(self, now: datetime) -> None:
        """Set every job's first run (when leadership starts)."""
        zone = self.zone()
        for job in self.jobs:
            if job.every is not None or job.catch_up:
                job.next_run = now
            else:
                assert job.daily_at is not None
                job.next_run = next_daily(job.daily_at, now, zone)

    def due(self, now: datetime) -> list[Job]:
        return [job for job in self.jobs if job.next_run is not None and job.next_run <= now]

    def advance(self, job: Job, now: datetime) -> None:
        if job.every is not None:
            job.next_run = now + job.every
        else:
            assert job.daily_at is not None
            job.next_run = next_daily(job.daily_at, now, self.zone())

    # --- running ---------------------------------------------------------------------------------
    def run_job(self, job: Job, now: datetime) -> Any:
        """Enqueue one job now; a failure to enqueue is logged and the job tried again next time."""
        self.advance(job, now)
        try:
            result = job.task().enqueue()
        except Exception:
            logger.exception("scheduled job %s could not be enqueued", job.name)
            return None
        self.report(f"{now:%Y-%m-%d %H:%M:%S} {job.name}: enqueued ({job.task_path}, id={result.id})")
        self.pending.append((job, result))
        self.report_finished()
        return result

    def report_finished(self) -> None:
        still = []
        for job, result in self.pending:
            if not result.is_finished:
                try:
                    result.refresh()
                except (NotImplementedError, TaskResultDoesNotExist):  # another process runs it: stop asking
                    continue
            if not result.is_finished:
                still.append((job, result))
            elif result.status == TaskResultStatus.SUCCESSFUL:
                self.report(f"{job.name}: done -> {result.return_value}")
            else:
                self.report(f"{job.name}: FAILED ({result.errors[-1].exception_class_path if result.errors else '?'})")
        self.pending = still

    def tick(self) -> list[str]:
        """One pass: take or keep the lead, enqueue what is due. Returns the names enqueued."""
        now = self.clock()
        if not self.lock.held:
            if not self.lock.acquire():
                return []
            self.report(f"{now:%Y-%m-%d %H:%M:%S} scheduler leads ({self.lock.describe()})")
            self.plan(now)
        elif not self.lock.alive():
            self.report(f"{now:%Y-%m-%d %H:%M:%S} scheduler lost its lock; waiting to lead again")
            self.lock.release()
            return []
        ran = []
        for job in self.due(now):
            self.run_job(job, now)
            ran.append(job.name)
        self.report_finished()
        return ran

    def seconds_to_next(self) -> float:
        if not self.lock.held:
            return LEADER_RETRY.total_seconds()
        upcoming = [job.next_run for job in self.jobs if job.next_run is not None]
        if not upcoming:
            return MAX_SLEEP
        return max(0.5, min(MAX_SLEEP, (min(upcoming) - self.clock()).total_seconds()))

    def run_forever(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    self.tick()
                except Exception:
                    logger.exception("scheduler tick failed")
                finally:
                    close_old_connections()
                self.stop_event.wait(self.seconds_to_next())
        finally:
            self.lock.release()
            connections.close_all()

    def stop(self) -> None:
        self.stop_event.set()


class LeaderLock:
    """One scheduler per database. PostgreSQL: a session advisory lock on a connection of its own.
    Otherwise (SQLite, one machine): an exclusive file lock beside the database file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path  # the lock file when not on PostgreSQL (default: beside the SQLite file)
        self.held = False
        self._connection: Any = None
        self._file: Any = None

    def _is_postgres(self) -> bool:
        return connections["default"].vendor == "postgresql"

    def _lock_path(self) -> Path | None:
        """Beside the SQLite file; None for an in-memory database (no other process can share it)."""
        if self.path is not None:
            return self.path
        name = str(connections["default"].settings_dict.get("NAME") or "")
        if connections["default"].vendor == "sqlite":
            if not name or name.startswith(":memory:") or "mode=memory" in name:
                return None
            return Path(f"{name}.scheduler.lock")
        return Path(settings.VAR_DIR) / "scheduler.lock"

    def describe(self) -> str:
        if self._connection is not None:
            return "PostgreSQL advisory lock"
        return f"file lock {self._file.name}" if self._file is not None else "in-memory database, no lock"

    def acquire(self) -> bool:
        if self.held:
            return True
        try:
            if self._is_postgres():
                conn = connections.create_connection("default")
                conn.ensure_connection()
                with conn.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                    got = bool(cursor.fetchone()[0])
                if not got:
                    conn.close()
                    return False
                self._connection = conn
            elif (path := self._lock_path()) is not None:
                handle = open(path, "a")  # noqa: SIM115 (held open while leading)
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    handle.close()
                    return False
                self._file = handle
        except Exception:
            logger.exception("scheduler could not try its lock")
            return False
        self.held = True
        return True

    def alive(self) -> bool:
        if self._connection is None:
            return self.held
        try:
            with self._connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except Exception:
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # a session lock ends with its session
            except Exception:
                logger.exception("closing the scheduler's lock connection failed")
            self._connection = None
        if self._file is not None:
            try:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None
        self.held = False


_background: Scheduler | None = None
_background_lock = threading.Lock()


def start_in_background() -> Scheduler | None:
    """Start the served process's scheduler thread, once per process. Off unless FIELDOPS_SCHEDULER."""
    global _background
    if not settings.FIELDOPS_SCHEDULER:
        return None
    with _background_lock:
        if _background is None:
            _background = Scheduler()
            threading.Thread(target=_background.run_forever, name="fieldops-scheduler", daemon=True).start()
        return _background
