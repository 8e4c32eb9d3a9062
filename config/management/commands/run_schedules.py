"""Enqueue the periodic jobs whose period began and that no process enqueued yet (the workers do
this every heartbeat; this is for a shell or cron), or list them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from config import schedules


class Command(BaseCommand):
    help = "Enqueue the periodic jobs that are due (once per period, whoever else does it), or --list them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="(the default) enqueue what is due now, exit")
        parser.add_argument("--list", action="store_true", help="print the jobs and when each runs next, exit")

    def handle(self, *args: str, **options: Any) -> None:
        now = timezone.now()
        zone = schedules.company_zone()
        if options["list"]:
            for job in schedules.default_jobs():
                self.stdout.write(f"{job.name:<22} {job.describe():<32} next "
                                  f"{job.next_after(now, zone).astimezone(zone):%Y-%m-%d %H:%M %Z}  {job.task_path}")
            return
        names = schedules.tick(now=now, report=self.stdout.write)
        if not names:
            self.stdout.write("nothing due that was not enqueued already")
