"""Periodic housekeeping of the background machinery (scheduled in ``config/schedules.py``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task


@task()
def sweep_deliveries() -> dict[str, int]:
    """Deliveries queued or claimed for a while with no task left to finish them (the task row was
    pruned, or written before this engine): enqueue their delivery again. Claims make it safe."""
    from core.integrations.services import requeue_stuck as webhook_requeue
    from core.outreach.tasks import requeue_stuck as email_requeue
    from core.sms.tasks import requeue_stuck as sms_requeue
    from core.workforce.messaging import requeue_lost as fieldworker_requeue

    return {"email": email_requeue(), "sms": sms_requeue(), "fieldworker": fieldworker_requeue(),
            "webhook": webhook_requeue()}


@task()
def prune_task_results(days: int = 14) -> int:
    """Finished task rows older than ``days``: the log rows (e-mail, SMS, chat) are the record."""
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
