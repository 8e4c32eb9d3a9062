"""Reads of the task tables that the domain needs (the task rows are django-tasks-db's; the worker
heartbeats live in the composition root's app, read here through the app registry, so ``core``
imports nothing of ``config``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def task_alive(task_id: str) -> bool:
    """True while the task waits to run (now or later), or runs under a worker that still beats.
    A task left running by a lost worker is not alive: it will be run again (decision 0032), and
    meanwhile its message may be retried by staff (the claim keeps that to one send)."""
    try:
        uuid.UUID(str(task_id))
    except ValueError:
        return False
    row = DBTaskResult.objects.filter(pk=task_id).values("status", "worker_ids").first()
    if row is None:
        return False
    if row["status"] == TaskResultStatus.READY:
        return True
    if row["status"] != TaskResultStatus.RUNNING or not row["worker_ids"]:
        return False
    heartbeat = apps.get_model("fieldops_config", "WorkerHeartbeat")
    since = timezone.now() - timedelta(seconds=settings.FIELDOPS_WORKER_LOST)
    if not heartbeat.objects.filter(worker_id=row["worker_ids"][-1], seen_at__gte=since).exists():
        return row["worker_ids"][-1].startswith("inline-")  # runs in a process without a heartbeat
    return True
