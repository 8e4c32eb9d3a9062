"""Background work on django-tasks-db: the glue we add around its backend and its worker.

A task is a row of django-tasks-db's table (``DBTaskResult``), written by ``enqueue`` in the
caller's transaction: committed, it survives any crash and a worker runs it; rolled back, it never
existed. Workers are ``manage.py worker`` processes (db_worker with a heartbeat, orphan recovery
and the periodic jobs, ``config/worker.py``), or a thread of a web process (``serve --worker
thread``). We write no queue: rows, claims (``SELECT ... FOR UPDATE SKIP LOCKED``) and the run
loop are the library's.

What this module adds:

- :class:`OnCommitDatabaseBackend` (the default under tests): the same rows, and right after the
  enqueuing transaction commits the committing thread runs the row with the worker's own
  ``Worker.run_task``. So a test reads the outcome the moment its transaction "commits"
  (``django_capture_on_commit_callbacks`` or a real commit), and a rolled-back enqueue never runs,
  exactly as with a worker (docs/decisions/0031).
- :func:`run_ready`: run every due row in this thread now (tests' explicit points; ``--batch``).
- :func:`recover_orphans`: a row left ``RUNNING`` by a worker that stopped beating is set ready
  again (or failed after ``FIELDOPS_TASK_MAX_RUNS`` such runs: a task that kills its worker).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.backend import DatabaseBackend, TaskResult
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

INLINE_WORKER = f"inline-{socket.gethostname()[:24]}-{os.getpid()}"
LOST_WORKER_ERROR = "config.tasks.WorkerLost"


class WorkerLost(Exception):
    """Recorded on a task whose worker vanished while running it, too many times."""


def make_worker(worker_id: str, *, interval: float | None = None, batch: bool = False,
                max_tasks: int | None = None) -> Worker:
    """django-tasks-db's worker loop, on every queue of the default backend."""
    return Worker(queue_names=["*"], interval=settings.FIELDOPS_WORKER_INTERVAL if interval is None else interval,
                  batch=batch, backend_name="default", startup_delay=False, max_tasks=max_tasks,
                  worker_id=worker_id[:64], excluded_queue_names=[])


def _claim(result_id: Any, worker_id: str) -> DBTaskResult | None:
    """Claim one ready row (as the worker does: in a transaction, locked, ``claim``)."""
    with transaction.atomic():
        row = (DBTaskResult.objects.ready().filter(pk=result_id)
               .select_for_update(skip_locked=True).first())
        if row is None:
            return None
        row.claim(worker_id)
        return row


def run_one(result_id: Any, *, worker_id: str = INLINE_WORKER) -> bool:
    """Run this task row now, in this thread, if it is still ready. True when it ran."""
    row = _claim(result_id, worker_id)
    if row is None:
        return False
    make_worker(worker_id).run_task(row)
    return True


def run_ready(*, worker_id: str = INLINE_WORKER, limit: int = 10_000) -> int:
    """Run every due task in this thread, one at a time, including those the tasks enqueue, until
    none is due. Returns how many ran."""
    count = 0
    while count < limit:
        ids = list(DBTaskResult.objects.ready().filter(backend_name="default").values_list("pk", flat=True)[:100])
        ran = sum(run_one(pk, worker_id=worker_id) for pk in ids)
        if not ran:
            return count
        count += ran
    return count


class OnCommitDatabaseBackend(DatabaseBackend):
    """The database backend whose rows the committing thread runs right after commit (tests).
    A deferred task (``run_after``) waits for :func:`run_ready`, as it would wait for a worker."""

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        result = super().enqueue(task, args, kwargs)
        if task.run_after is None:
            transaction.on_commit(partial(run_one, result.id), robust=True)
        return result


# --- recovery -----------------------------------------------------------------------------------


def recover_orphans(*, now: Any = None) -> dict[str, int]:
    """Rows ``RUNNING`` under a worker that has not beaten for ``FIELDOPS_WORKER_LOST`` seconds go
    back to ready (their deliveries are idempotent, decision 0033); after ``FIELDOPS_TASK_MAX_RUNS``
    such runs a row is failed instead, so a task that kills its worker cannot loop forever."""
    from config.models import WorkerHeartbeat

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.FIELDOPS_WORKER_LOST)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff, stopped_at__isnull=True)
                .values_list("worker_id", flat=True))
    counts = {"requeued": 0, "failed": 0}
    running = DBTaskResult.objects.running().filter(started_at__lt=cutoff).only("id", "worker_ids", "started_at",
                                                                                "task_path")
    for row in running:
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue
        same = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at)
        if len(row.worker_ids) >= settings.FIELDOPS_TASK_MAX_RUNS:
            changed = same.update(status=TaskResultStatus.FAILED, finished_at=now,
                                  exception_class_path=LOST_WORKER_ERROR,
                                  traceback=f"{len(row.worker_ids)} workers were lost while running this task")
            key = "failed"
        else:
            changed = same.update(status=TaskResultStatus.READY, run_after=now)
            key = "requeued"
        if changed:
            counts[key] += 1
            logger.warning("task %s (id=%s) %s: its worker %s was lost", row.task_path, row.pk, key,
                           row.worker_ids[-1] if row.worker_ids else "?")
    return counts


def queue_state(*, now: Any = None) -> dict[str, Any]:
    """Ready and running rows and the age of the oldest due one, for /metrics and /readyz."""
    now = now or timezone.now()
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {"ready": ready.count(), "running": DBTaskResult.objects.running().count(),
            "oldest_age": max((now - oldest).total_seconds(), 0.0) if oldest else 0.0}
