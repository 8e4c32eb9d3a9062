"""Background work on django-tasks-db (config/tasks.py, config/worker.py): task rows written in the
caller's transaction, run by the worker's own code; orphans of lost workers run again; poison
tasks fail alone; a real ``manage.py worker`` process runs what a committed transaction enqueued."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from config import tasks as config_tasks
from config.models import WorkerHeartbeat
from config.tasks import recover_orphans, run_ready
from config.worker import Companion
from core.chat.tasks import deliver_message
from core.outreach.tasks import deliver_email
from core.sms.tasks import send_booking_sms

ROOT = Path(__file__).resolve().parents[2]
ran: list[str] = []


@task()
def note(value: str) -> str:
    ran.append(value)
    return value


@task()
def poison() -> None:
    raise RuntimeError("this task always fails")


@pytest.fixture(autouse=True)
def _clear():
    ran.clear()
    yield
    ran.clear()


def test_enqueue_writes_a_row_in_the_callers_transaction_and_it_runs_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        result = note.enqueue("one")
        row = DBTaskResult.objects.get(pk=result.id)
        assert row.status == TaskResultStatus.READY and row.args_kwargs == {"args": ["one"], "kwargs": {}}
        assert ran == []  # nothing runs before the commit
    assert ran == ["one"]
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "one"
    assert row.worker_ids == [config_tasks.INLINE_WORKER]


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_rolled_back_transaction_never_exists():
    with pytest.raises(RuntimeError), transaction.atomic():
        note.enqueue("never")
        raise RuntimeError("the change fails")
    assert DBTaskResult.objects.count() == 0
    assert run_ready() == 0
    assert ran == []


def test_a_poison_task_fails_alone_and_the_others_run(db, caplog):
    poison.enqueue()
    note.enqueue("after")
    with caplog.at_level(logging.ERROR):
        assert run_ready() == 2
    assert ran == ["after"]
    failed = DBTaskResult.objects.get(task_path="tests.config.test_tasks.poison")
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "builtins.RuntimeError" and "always fails" in failed.traceback


def test_a_deferred_task_waits_for_its_time(db):
    note.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue("later")
    assert run_ready() == 0
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    assert run_ready() == 1 and ran == ["later"]


def test_tasks_whose_rows_are_gone_complete_as_no_ops_with_a_log_line(db, caplog):
    with caplog.at_level(logging.INFO):
        deliver_email.enqueue(987654, None)
        send_booking_sms.enqueue("confirmation", 987654)
        deliver_message.enqueue(message_id=987654)
        assert run_ready() == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert "e-mail 987654 is gone" in caplog.text
    assert "booking 987654 is gone" in caplog.text
    assert "chat message 987654 is gone" in caplog.text


def _running(worker_id: str, *, minutes_ago: float, runs: int = 1) -> DBTaskResult:
    result = note.enqueue("orphan")
    started = timezone.now() - timedelta(minutes=minutes_ago)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=[f"lost-{n}" for n in range(runs - 1)]
        + [worker_id])
    return DBTaskResult.objects.get(pk=result.id)


def test_the_tasks_of_a_lost_worker_run_again_and_a_live_workers_are_left_alone(db, settings):
    settings.FIELDOPS_WORKER_LOST = 30
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="alive", started_at=now, seen_at=now)
    WorkerHeartbeat.objects.create(worker_id="dead", started_at=now, seen_at=now - timedelta(minutes=5))
    mine = _running("alive", minutes_ago=3)
    orphan = _running("dead", minutes_ago=3)
    unknown = _running("never-beat", minutes_ago=3)
    just_claimed = _running("dead", minutes_ago=0)  # younger than the limit: its worker may still be starting
    assert recover_orphans() == {"requeued": 2, "failed": 0}
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[mine.pk] == statuses[just_claimed.pk] == TaskResultStatus.RUNNING
    assert statuses[orphan.pk] == statuses[unknown.pk] == TaskResultStatus.READY
    assert run_ready() == 2 and ran == ["orphan", "orphan"]


def test_a_task_that_keeps_losing_its_workers_is_failed_not_run_forever(db, settings):
    settings.FIELDOPS_TASK_MAX_RUNS = 3
    row = _running("dead", minutes_ago=5, runs=3)
    assert recover_orphans() == {"requeued": 0, "failed": 1}
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED and row.exception_class_path == "config.tasks.WorkerLost"


def test_the_companion_beats_recovers_and_signs_off(db, settings):
    settings.FIELDOPS_WORKER_LOST = 30
    orphan = _running("gone", minutes_ago=5)
    companion = Companion("w-test", mode="process", schedules=False)
    companion.once()
    beat = WorkerHeartbeat.objects.get(pk="w-test")
    assert beat.pid == os.getpid() and beat.stopped_at is None
    orphan.refresh_from_db()
    assert orphan.status == TaskResultStatus.READY


# --- a real worker process ---------------------------------------------------------------------


def _sqlite_file_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "config.settings",
                "FIELDOPS_TASK_BACKEND": "database", "FIELDOPS_SCHEDULER": "0", "FIELDOPS_WORKER_HEARTBEAT": "0.5",
                "PYTHONPATH": str(ROOT), "DEBUG": "1", "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(tmp_path / "mail")})
    return env


def _manage(env: dict[str, str], *args: str, timeout: float = 240) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


ENQUEUE = """
from django.db import transaction
from tests.config.test_tasks import note
with transaction.atomic():
    note.enqueue("committed")
try:
    with transaction.atomic():
        note.enqueue("rolled back")
        raise RuntimeError
except RuntimeError:
    pass
"""

READ = """
from django_tasks_db.models import DBTaskResult
from config.models import WorkerHeartbeat
print(sorted((r.args_kwargs["args"][0], r.status) for r in DBTaskResult.objects.all()))
print(WorkerHeartbeat.objects.filter(stopped_at__isnull=False).count())
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the PostgreSQL live tests cover workers there")
def test_a_worker_process_runs_what_a_committed_transaction_enqueued_and_nothing_of_a_rolled_back_one(tmp_path):
    env = _sqlite_file_env(tmp_path)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "shell", "-v", "0", "-c", ENQUEUE)
    # the enqueuing process is gone; a worker started later runs the row (--batch: exits once nothing is due)
    _manage(env, "worker", "--batch")
    out = _manage(env, "shell", "-v", "0", "-c", READ).split("\n")
    assert out[0] == "[('committed', 'SUCCESSFUL')]"  # and nothing of the rolled-back transaction
    assert out[1] == "1"  # the batch worker signed off when it ended
