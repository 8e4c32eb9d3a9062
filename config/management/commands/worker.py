"""``manage.py worker``: django-tasks-db's ``db_worker`` (same options, same loop), with the
companion thread of ``config/worker.py`` beside it: a heartbeat for ``/readyz``, recovery of the
tasks of lost workers, and the periodic jobs (``--no-schedules`` leaves them to other workers).

Defaults differ from ``db_worker`` where production wants it: every queue (``*``), our polling
interval (``FIELDOPS_WORKER_INTERVAL``), no auto-reload, a worker id naming host and pid, and a
start-up jitter of at most one polling interval (db_worker sleeps up to a second) taken before the
heartbeat begins, so a worker that ``/readyz`` counts is already polling (decision 0046).
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from config.worker import Companion, new_worker_id


class Command(DbWorkerCommand):
    help = "Run background tasks (db_worker), with a heartbeat, orphan recovery and the periodic jobs."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", interval=settings.FIELDOPS_WORKER_INTERVAL, reload=False,
                            worker_id=new_worker_id("p"))
        parser.add_argument("--schedules", action=argparse.BooleanOptionalAction, default=None,
                            help="enqueue the periodic jobs when due (default: FIELDOPS_SCHEDULER)")

    def configure_logging(self, verbosity: int) -> None:
        """Levels come from ``settings.LOGGING`` (``TASKS_LOG_LEVEL`` for the task library's state lines),
        as in the web process; db_worker would set them from ``-v`` and add a plain handler without
        the request id or the JSON format."""

    def handle(self, *args: str, **options: Any) -> None:
        schedules = options.pop("schedules")
        if options["startup_delay"] and options["interval"] and not options["batch"]:
            # de-synchronises the polls of workers started together, as db_worker's delay does
            time.sleep(random.random() * options["interval"])
        options["startup_delay"] = False
        from core.integrations import switch

        switch.prime()  # whether any webhook endpoint is active (decision 0062)
        companion = Companion(options["worker_id"], mode="process", schedules=schedules).start()
        try:
            super().handle(*args, **options)
        finally:
            companion.stop()
