"""Run the periodic jobs in the foreground (for deployments whose web processes set
FIELDOPS_SCHEDULER=off), printing each enqueue and each outcome."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.schedules import Scheduler


class Command(BaseCommand):
    help = ("Enqueue the periodic jobs (reminders, chat outbox, morning list, series extension) on their schedule, "
            "in the foreground. Only one scheduler per database leads; others wait to take over.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once now, wait for them, exit")
        parser.add_argument("--list", action="store_true", help="print the jobs and when each runs next, exit")
        parser.add_argument("--wait", type=float, default=300.0,
                            help="with --once: seconds to wait for the jobs to finish (default 300)")

    def handle(self, *args, **options) -> None:
        scheduler = Scheduler(report=self.stdout.write)
        if options["list"]:
            now = timezone.now()
            scheduler.plan(now)
            for job in scheduler.jobs:
                when = f"every {job.every}" if job.every else f"daily at {job.daily_at:%H:%M} company time"
                self.stdout.write(f"{job.name:<20} {when:<32} next {job.next_run:%Y-%m-%d %H:%M %Z}  {job.task_path}")
            return
        if options["once"]:
            self._once(scheduler, options["wait"])
            return
        self.stdout.write("scheduler running in the foreground (Ctrl-C stops it)")
        try:
            scheduler.run_forever()
        except KeyboardInterrupt:
            scheduler.stop()
            self.stdout.write("scheduler stopped")

    def _once(self, scheduler: Scheduler, wait: float) -> None:
        if not scheduler.lock.acquire():
            raise CommandError("Another scheduler leads for this database; not running the jobs twice.")
        try:
            now = timezone.now()
            for job in scheduler.jobs:
                scheduler.run_job(job, now)
            deadline = time.monotonic() + wait
            while scheduler.pending and time.monotonic() < deadline:
                time.sleep(0.1)
                scheduler.report_finished()
            if scheduler.pending:
                names = ", ".join(job.name for job, _ in scheduler.pending)
                self.stdout.write(f"still running or queued elsewhere: {names}")
        finally:
            scheduler.lock.release()
