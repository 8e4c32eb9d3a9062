"""The served process's task backend (config/tasks.py): worker threads, not the caller's thread."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks.exceptions import TaskResultDoesNotExist

from config import tasks as config_tasks
from config.tasks import ThreadPoolBackend
from core.notifications import backends as sms_backends
from core.notifications.models import SmsKind, SmsMessage
from core.notifications.tasks import send_booking_sms
from tests import factories

THREADS = "config.tasks.ThreadPoolBackend"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"
ROOT = Path(__file__).resolve().parents[2]

gate = threading.Event()
ran: list[int] = []
ran_lock = threading.Lock()


@task()
def thread_name() -> str:
    return threading.current_thread().name


@task()
def explode(value: int) -> None:
    raise ValueError(f"bad value {value}")


@task()
def wait_for_gate() -> str:
    gate.wait(10)
    return threading.current_thread().name


@task()
def record(value: int) -> int:
    time.sleep(0.02)
    with ran_lock:
        ran.append(value)
    return value


def tasks_setting(**options) -> dict:
    return {"default": {"BACKEND": IMMEDIATE},
            "threads": {"BACKEND": THREADS, "OPTIONS": {"WORKERS": 2, **options}}}


@pytest.fixture
def threads(request):
    """The thread backend under the alias "threads" (the default stays immediate); its pool is
    drained and stopped afterwards."""
    options = getattr(request, "param", {})
    with override_settings(TASKS=tasks_setting(**options)):
        backend = task_backends["threads"]
        assert isinstance(backend, ThreadPoolBackend)
        yield backend
        gate.set()
        assert backend.shutdown(timeout=10)
    gate.clear()
    ran.clear()


def wait_finished(backend: ThreadPoolBackend, result_id: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = backend.get_result(result_id)
        if current.is_finished:
            return current
        time.sleep(0.01)
    raise AssertionError(f"task {result_id} did not finish in {timeout}s")


def test_a_task_runs_on_a_worker_thread_not_the_callers(threads, transactional_db):
    result = thread_name.using(backend="threads").enqueue()
    assert result.status == TaskResultStatus.READY
    done = wait_finished(threads, result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value.startswith("tasks-threads-worker-")
    assert done.return_value != threading.current_thread().name
    result.refresh()  # the caller's copy catches up through get_result
    assert result.status == TaskResultStatus.SUCCESSFUL and result.attempts == 1


def test_a_real_task_writes_rows_that_are_visible_once_it_finished(threads, transactional_db, settings):
    settings.SMS_BACKEND = "core.notifications.backends.LocmemSmsBackend"
    settings.TWILIO_FROM_NUMBER = "+61400999999"
    sms_backends.outbox.clear()
    booking = factories.booking()
    SmsMessage.objects.filter(booking=booking).delete()  # the confirmation the immediate backend sent
    sms_backends.outbox.clear()
    result = send_booking_sms.using(backend="threads").enqueue(SmsKind.CONFIRMATION, booking.pk)
    done = wait_finished(threads, result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL, done.errors
    row = SmsMessage.objects.get(pk=done.return_value)
    assert (row.booking_id, row.kind) == (booking.pk, SmsKind.CONFIRMATION)
    assert [sms.to for sms in sms_backends.outbox] == [booking.customer.mobile]
    sms_backends.outbox.clear()


@pytest.mark.parametrize("threads", [{"WORKERS": 1}], indirect=True)
def test_a_failing_task_is_logged_and_the_worker_carries_on(threads, caplog):
    with caplog.at_level(logging.ERROR, logger="config.tasks"):
        bad = explode.using(backend="threads").enqueue(7)
        good = thread_name.using(backend="threads").enqueue()
        bad_done, good_done = wait_finished(threads, bad.id), wait_finished(threads, good.id)
    assert bad_done.status == TaskResultStatus.FAILED
    assert bad_done.errors[0].exception_class_path == "builtins.ValueError"
    assert "bad value 7" in bad_done.errors[0].traceback
    with pytest.raises(ValueError, match="Task failed"):
        _ = bad_done.return_value
    assert good_done.status == TaskResultStatus.SUCCESSFUL
    assert good_done.worker_ids == bad_done.worker_ids  # the same single worker ran both
    [record_] = [r for r in caplog.records if r.name == "config.tasks"]
    assert "tests.config.test_tasks.explode" in record_.getMessage() and record_.exc_info


@pytest.mark.parametrize("threads", [{"WORKERS": 1}], indirect=True)
def test_shutdown_drains_the_queue(threads):
    results = [record.using(backend="threads").enqueue(i) for i in range(6)]
    pool = threads.pool()
    assert threads.shutdown(timeout=10)
    assert sorted(ran) == list(range(6))
    assert all(pool.lookup(r.id).status == TaskResultStatus.SUCCESSFUL for r in results)
    assert all(not thread.is_alive() for thread in pool.threads)
    # A later enqueue starts a fresh pool.
    again = thread_name.using(backend="threads").enqueue()
    assert wait_finished(threads, again.id).status == TaskResultStatus.SUCCESSFUL
    assert threads.pool() is not pool


def test_enqueued_inside_a_transaction_it_waits_for_the_commit(threads, transactional_db):
    with transaction.atomic():
        result = record.using(backend="threads").enqueue(1)
        time.sleep(0.2)
        assert ran == [] and threads.get_result(result.id).status == TaskResultStatus.READY
    assert wait_finished(threads, result.id).status == TaskResultStatus.SUCCESSFUL
    assert ran == [1]


def test_enqueued_inside_a_rolled_back_transaction_it_never_runs(threads, transactional_db):
    with pytest.raises(RuntimeError), transaction.atomic():
        result = record.using(backend="threads").enqueue(2)
        raise RuntimeError("roll back")
    later = record.using(backend="threads").enqueue(3)
    wait_finished(threads, later.id)
    assert ran == [3]
    assert threads.get_result(result.id).status == TaskResultStatus.READY


@pytest.mark.parametrize("threads", [{"WORKERS": 1, "QUEUE_SIZE": 1}], indirect=True)
def test_a_full_queue_makes_the_caller_run_the_task(threads, caplog):
    blocker = wait_for_gate.using(backend="threads").enqueue()
    deadline = time.monotonic() + 5
    while threads.get_result(blocker.id).status != TaskResultStatus.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    queued = thread_name.using(backend="threads").enqueue()  # fills the queue of one
    with caplog.at_level(logging.WARNING, logger="config.tasks"):
        overflow = thread_name.using(backend="threads").enqueue()
    assert threads.get_result(overflow.id).return_value == threading.current_thread().name
    assert "full or stopped" in caplog.text
    gate.set()
    assert wait_finished(threads, queued.id).return_value.startswith("tasks-threads-worker-")


def test_unknown_results_are_reported_as_missing(threads):
    with pytest.raises(TaskResultDoesNotExist):
        threads.get_result("no-such-id")


busy = threading.Event()  # released by the lent-thread tests: the serving thread's "request" ends


@pytest.fixture
def lent():
    """One serving thread lent to the task pools, as config.http lends its view threads."""
    busy.clear()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http")
    config_tasks.lend_threads(executor)
    yield executor
    config_tasks.take_back(executor)
    busy.set()
    executor.shutdown(wait=True)
    busy.clear()


@pytest.mark.parametrize("threads", [{"WORKERS": 0}], indirect=True)
def test_without_threads_of_its_own_a_pool_runs_its_tasks_on_the_lent_threads(lent, threads):
    result = thread_name.using(backend="threads").enqueue()
    assert wait_finished(threads, result.id).return_value.startswith("http_")
    assert threads.pool().threads == []  # no thread of its own was started


@pytest.mark.parametrize("threads", [{"WORKERS": 0}], indirect=True)
def test_on_lent_threads_the_more_urgent_task_goes_first(lent, threads):
    lent.submit(busy.wait, 10)  # the serving thread is busy with a request
    low = record.using(backend="threads", priority=-10).enqueue(1)
    mid = record.using(backend="threads").enqueue(2)
    high = record.using(backend="threads", priority=10).enqueue(3)
    assert ran == []
    busy.set()
    for result in (low, mid, high):
        wait_finished(threads, result.id)
    assert ran == [3, 2, 1]


@pytest.mark.parametrize("threads", [{"WORKERS": 0}], indirect=True)
def test_on_lent_threads_shutdown_waits_for_the_queued_tasks(lent, threads):
    lent.submit(busy.wait, 10)
    results = [record.using(backend="threads").enqueue(i) for i in range(4)]
    pool = threads.pool()
    threading.Timer(0.2, busy.set).start()
    assert threads.shutdown(timeout=10)
    assert sorted(ran) == [0, 1, 2, 3]
    assert all(pool.lookup(r.id).status == TaskResultStatus.SUCCESSFUL for r in results)


@pytest.mark.parametrize("threads", [{"WORKERS": 0}], indirect=True)
def test_with_no_threads_lent_a_pool_without_its_own_starts_one(threads, monkeypatch):
    monkeypatch.setattr(config_tasks, "_lent", None)  # a management command: no server lent any
    result = thread_name.using(backend="threads").enqueue()
    assert wait_finished(threads, result.id).return_value == "tasks-threads-worker-0"
    assert len(threads.pool().threads) == 1


@pytest.mark.parametrize("threads", [{"WORKERS": 0}], indirect=True)
def test_threads_taken_back_are_not_used_any_more(lent, threads):
    config_tasks.take_back(lent)
    result = thread_name.using(backend="threads").enqueue()
    assert wait_finished(threads, result.id).return_value == "tasks-threads-worker-0"


def test_the_http_handler_lends_its_view_threads_until_it_closes():
    from config.http import HttpHandler

    handler = HttpHandler()
    try:
        assert config_tasks._lent is handler._threads
    finally:
        handler.close()
    assert config_tasks._lent is None


def test_the_backend_is_chosen_by_environment():
    def tasks_of(**env: str) -> str:
        base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "DEBUG": "1",
                "FIELDOPS_VAR_DIR": "/tmp/fieldops-settings-test"}
        out = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                                   "print(settings.TASKS['default']['BACKEND'], settings.FIELDOPS_SCHEDULER, "
                                   "settings.TASKS['default'].get('OPTIONS', {}).get('WORKERS'))"],
            env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env}, cwd=ROOT, capture_output=True,
            text=True, timeout=60, check=True)
        return out.stdout.strip()

    assert tasks_of() == f"{THREADS} True 0"  # what `make serve` gets: tasks on the view thread
    assert tasks_of(FIELDOPS_TASK_BACKEND="immediate", FIELDOPS_SCHEDULER="off") == f"{IMMEDIATE} False None"
    # a task that may wait on a network gets threads of its own (decision 0014)
    assert tasks_of(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend") == f"{THREADS} True 4"
    assert tasks_of(SMS_BACKEND="conversations.sms.twilio_backend.TwilioSmsBackend") == f"{THREADS} True 4"
    assert tasks_of(CHAT_BACKEND="conversations.telegram.backend.TelegramChatBackend") == f"{THREADS} True 4"
    assert tasks_of(DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused") == f"{THREADS} True 4"
    assert tasks_of(FIELDOPS_TASK_WORKERS="2") == f"{THREADS} True 2"
