"""Reads of the task table that the domain needs (the table is django-tasks-db's)."""

from __future__ import annotations

import uuid

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def task_alive(task_id: str) -> bool:
    """True while the task is waiting to run (now or later) or running."""
    try:
        uuid.UUID(str(task_id))
    except ValueError:
        return False
    return DBTaskResult.objects.filter(
        pk=task_id, status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)).exists()
