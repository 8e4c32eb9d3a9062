"""What a worker does besides running tasks: a heartbeat, orphan recovery, the periodic jobs.

``manage.py worker`` (a process) and ``serve --worker thread`` (a thread of a web process) both run
django-tasks-db's ``Worker`` loop, and beside it one :class:`Companion` thread that every
``FIELDOPS_WORKER_HEARTBEAT`` seconds

1. touches this worker's ``WorkerHeartbeat`` row (``/readyz`` wants one younger than a minute);
2. sets ready again the task rows of workers that stopped beating (``config.tasks.recover_orphans``);
3. enqueues the periodic jobs whose period began (``config.schedules.tick``: once per period over
   every process, by a ledger row).

All three are safe to run in any number of workers at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger(__name__)


def new_worker_id(prefix: str = "w") -> str:
    return f"{prefix}-{socket.gethostname()[:20]}-{os.getpid()}-{get_random_string(8)}"[:64]


def beat(worker_id: str, *, mode: str, started_at: Any) -> None:
    from config.models import WorkerHeartbeat

    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(pk=worker_id).update(seen_at=now, stopped_at=None)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id, defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "mode": mode,
                                           "started_at": started_at, "seen_at": now, "stopped_at": None})


def sign_off(worker_id: str) -> None:
    from config.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(pk=worker_id).update(stopped_at=timezone.now())


class Companion:
    """The heartbeat / recovery / schedule thread of one worker."""

    def __init__(self, worker_id: str, *, mode: str, schedules: bool | None = None) -> None:
        self.worker_id = worker_id
        self.mode = mode
        self.schedules = settings.FIELDOPS_SCHEDULER if schedules is None else schedules
        self.started_at = timezone.now()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"worker-companion-{worker_id[-8:]}", daemon=True)

    def start(self) -> Companion:
        self.thread.start()
        return self

    def once(self) -> None:
        beat(self.worker_id, mode=self.mode, started_at=self.started_at)
        from config.tasks import recover_orphans

        recover_orphans()
        if self.schedules:
            from config import schedules

            schedules.tick(worker_id=self.worker_id)

    def _run(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    self.once()
                except Exception:
                    logger.exception("worker %s: heartbeat, recovery or schedules failed", self.worker_id)
                finally:
                    close_old_connections()
                self.stop_event.wait(settings.FIELDOPS_WORKER_HEARTBEAT)
        finally:
            try:
                sign_off(self.worker_id)
            except Exception:
                logger.exception("worker %s could not sign off", self.worker_id)
            connections.close_all()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


class WorkerThread:
    """A worker inside a web process (``serve --worker thread``): the library's loop on a thread."""

    def __init__(self) -> None:
        from config.tasks import make_worker

        self.worker_id = new_worker_id("t")
        self.worker = make_worker(self.worker_id)
        self.companion = Companion(self.worker_id, mode="thread")
        self.thread = threading.Thread(target=self._run, name="task-worker", daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except Exception:
            logger.exception("the task worker thread stopped")
        finally:
            connections.close_all()

    def start(self) -> WorkerThread:
        self.companion.start()
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.worker.running = False
        self.thread.join(timeout)
        self.companion.stop()


_thread: WorkerThread | None = None
_thread_lock = threading.Lock()


def start_thread_worker() -> WorkerThread:
    """Once per process (``config/asgi.py`` with ``FIELDOPS_SERVE_WORKER=thread``)."""
    global _thread
    with _thread_lock:
        if _thread is None:
            _thread = WorkerThread().start()
        return _thread


def stop_thread_worker() -> None:
    global _thread
    with _thread_lock:
        if _thread is not None:
            _thread.stop()
            _thread = None
