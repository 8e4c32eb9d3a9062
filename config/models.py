"""The two tables of the background machinery (the task rows themselves are django-tasks-db's).

- ``WorkerHeartbeat``: one row per worker process, touched every few seconds. ``/readyz`` reads it,
  and a running task whose worker stopped beating is run again (docs/decisions/0032).
- ``JobRun``: one row per periodic job and period. Whoever inserts it enqueues the job, in the
  same transaction; the unique pair makes that happen once per period across every process
  (docs/decisions/0035).
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(default=0)
    mode = models.CharField(max_length=16, blank=True, help_text="process, thread (in a web process)")
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class JobRun(models.Model):
    job = models.CharField(max_length=64)
    period = models.DateTimeField(help_text="the start of the period (UTC) this run is for")
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)
    worker_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-period", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="job_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period:%Y-%m-%d %H:%M}"
