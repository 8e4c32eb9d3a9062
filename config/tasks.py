"""A Tasks API backend for the served process: tasks run on a small pool of worker threads.

``enqueue`` records a ``TaskResult`` and hands it to a bounded queue that a few worker threads
(started on first use, once per process) drain; the request that enqueued it answers without
waiting. It is the embedded default of ``make serve``; production can point
``FIELDOPS_TASK_BACKEND`` at a database backend with separate workers instead.

- Enqueued inside an open transaction, the hand-off waits for the commit (and never happens on
  rollback), as a task row of a database backend would. Our callers enqueue after commit already.
- A full queue does not drop work: the caller runs the task itself (logged), which slows that
  caller down instead of losing a notice.
- Each task runs with Django's usual connection hygiene around it (``close_old_connections``
  before and after, as around a request); a worker closes its connections when it stops.
- A failing task is logged with its path and marked FAILED; the worker carries on.
- Results live in this process (the last ``RESULTS_KEPT``), readable with ``get_result`` from any
  thread of it, not from other processes.
- At interpreter exit the queue is drained (``SHUTDOWN_TIMEOUT`` seconds at most), so a
  management command that enqueued work still gets it done before the process ends.

The pool is process-wide, not per backend instance: django-tasks creates backend instances per
thread/context, and a pool per request would defeat the purpose.

``WORKERS: 0`` gives the pool no threads of its own: its tasks run on the threads that serve views,
which the HTTP handler lends with :func:`lend_threads` (each task queued there behind the requests
already waiting, ahead of those that come later). That is the embedded default on SQLite when
every delivery backend is local (decision 0014): a task thread with a database connection of its
own cost an eighth to a sixth of the webhook's CPU. A process with no lent threads (a management
command) runs such a pool on one thread of its own.
"""

from __future__ import annotations

import atexit
import copy
import itertools
import logging
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor
from typing import Any

from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.signals import task_enqueued, task_finished, task_started
from django_tasks.utils import get_exception_traceback, get_module_path, get_random_id, normalize_json

logger = logging.getLogger(__name__)

DEFAULTS = {"WORKERS": 4, "QUEUE_SIZE": 1000, "RESULTS_KEPT": 1000, "SHUTDOWN_TIMEOUT": 10.0}
_STOP = float("inf")  # sorts after every task in the priority queue: workers stop once the queue is drained


class _Pool:
    """Worker threads around one bounded priority queue, plus the results they produce."""

    def __init__(self, name: str, *, workers: int, queue_size: int, results_kept: int) -> None:
        self.name = name
        self.size = max(1, workers)  # WORKERS 0: one own thread, and only while none are lent
        self.queue: queue.PriorityQueue = queue.PriorityQueue(maxsize=max(1, queue_size))
        self.results: OrderedDict[str, TaskResult] = OrderedDict()
        self.results_kept = max(1, results_kept)
        self.lock = threading.Lock()
        self.counter = itertools.count()
        self.threads: list[threading.Thread] = []
        self.closed = False
        self.worker_id = f"{name}-{get_random_id()[:8]}"
        self.running = 0
        self.borrows = workers == 0  # runs on lent threads when there are any

    # --- results ---------------------------------------------------------------------------------
    def remember(self, result: TaskResult) -> None:
        with self.lock:
            self.results[result.id] = result
            while len(self.results) > self.results_kept:
                self.results.popitem(last=False)

    def lookup(self, result_id: str) -> TaskResult:
        with self.lock:
            result = self.results.get(result_id)
        if result is None:
            raise TaskResultDoesNotExist(result_id)
        return _snapshot(result)

    # --- submitting ------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.borrows:
            self._start_threads()

    def _start_threads(self) -> None:
        for index in range(self.size):
            thread = threading.Thread(target=self._work, name=f"{self.name}-worker-{index}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def submit(self, backend: ThreadPoolBackend, result: TaskResult) -> bool:
        """Queue the task; False when the pool is closed or full (the caller runs it then)."""
        if self.closed:
            return False
        try:
            self.queue.put_nowait((-result.task.priority, next(self.counter), backend, result))
        except queue.Full:
            return False
        if self.borrows:
            self._borrow()
        return True

    def _borrow(self) -> None:
        """One turn on a lent thread per queued task; without lent threads, a thread of our own."""
        lent = _lent
        if lent is not None:
            try:
                lent.submit(self._run_one)
                return
            except RuntimeError:  # the lender shut its threads down meanwhile
                pass
        with self.lock:
            if not self.threads:
                self._start_threads()

    def _run_one(self) -> None:
        """A lent thread's turn: the most urgent task queued (a turn may find it taken by a thread
        of our own, or only the markers that stop those threads)."""
        try:
            item = self.queue.get_nowait()
        except queue.Empty:
            return
        if item[0] == _STOP:
            self.queue.put_nowait(item)  # not ours to take: an own thread's stop marker
            self.queue.task_done()
            return
        try:
            self._execute(item[2], item[3])
        finally:
            self.queue.task_done()

    # --- working ---------------------------------------------------------------------------------
    def _work(self) -> None:
        try:
            while True:
                priority, _, backend, result = self.queue.get()
                try:
                    if priority == _STOP:
                        return
                    self._execute(backend, result)
                finally:
                    self.queue.task_done()
        finally:
            connections.close_all()

    def _execute(self, backend: ThreadPoolBackend, result: TaskResult) -> None:
        with self.lock:
            self.running += 1
        close_old_connections()
        try:
            backend.execute(result, worker_id=self.worker_id)
        finally:
            close_old_connections()
            with self.lock:
                self.running -= 1

    def shutdown(self, timeout: float) -> bool:
        """Stop taking work, let the workers finish what is queued, wait up to ``timeout`` seconds.
        True when every worker stopped in time."""
        with self.lock:
            if self.closed:
                return not any(thread.is_alive() for thread in self.threads)
            self.closed = True
        deadline = time.monotonic() + timeout
        if self.borrows and not self.threads:  # every task went to lent threads: wait for the turns
            while self.queue.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.005)
            if self.queue.unfinished_tasks:
                logger.warning("task pool %s: %d task(s) still queued or running at shutdown", self.name,
                               self.queue.unfinished_tasks)
            return not self.queue.unfinished_tasks
        for _ in self.threads:
            try:
                self.queue.put((_STOP, next(self.counter), None, None), timeout=timeout)
            except queue.Full:
                break
        for thread in self.threads:
            thread.join(timeout)
        alive = [thread.name for thread in self.threads if thread.is_alive()]
        if alive:
            logger.warning("task pool %s: %d task(s) still queued or running at shutdown (%s)",
                           self.name, self.queue.qsize(), ", ".join(alive))
        return not alive


def _snapshot(result: TaskResult) -> TaskResult:
    """A copy the caller can hold while a worker keeps updating the original (``refresh`` reloads)."""
    snapshot = copy.copy(result)
    object.__setattr__(snapshot, "errors", list(result.errors))
    object.__setattr__(snapshot, "worker_ids", list(result.worker_ids))
    return snapshot


_pools: dict[tuple, _Pool] = {}
_pools_lock = threading.Lock()
_lent: Executor | None = None


def lend_threads(executor: Executor) -> None:
    """The serving threads (``config.http``) that pools with ``WORKERS: 0`` run their tasks on."""
    global _lent
    _lent = executor


def take_back(executor: Executor) -> None:
    """The server is shutting these threads down: later tasks go to a thread of the pool's own."""
    global _lent
    if _lent is executor:
        _lent = None


def shutdown_all(timeout: float | None = None) -> bool:
    """Drain and stop every pool of this process (at exit, and in tests)."""
    with _pools_lock:
        pools = list(_pools.items())
        _pools.clear()
    ok = True
    for key, pool in pools:
        ok = pool.shutdown(timeout if timeout is not None else key[-1]) and ok
    return ok


atexit.register(shutdown_all)


class ThreadPoolBackend(BaseTaskBackend):
    """``TASKS = {"default": {"BACKEND": "config.tasks.ThreadPoolBackend", "OPTIONS": {...}}}``.

    OPTIONS: ``WORKERS`` (threads, default 4; 0: the threads the server lends), ``QUEUE_SIZE`` (default
    1000), ``RESULTS_KEPT`` (default 1000), ``SHUTDOWN_TIMEOUT`` (seconds to drain at exit, default 10)."""

    supports_async_task = True
    supports_priority = True
    # get_result works from any thread of this process, not from another process.
    supports_get_result = False

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        options = {**DEFAULTS, **{key.upper(): value for key, value in self.options.items()}}
        self.workers = int(options["WORKERS"])
        self.queue_size = int(options["QUEUE_SIZE"])
        self.results_kept = int(options["RESULTS_KEPT"])
        self.shutdown_timeout = float(options["SHUTDOWN_TIMEOUT"])

    @property
    def _key(self) -> tuple:
        return (self.alias, self.workers, self.queue_size, self.results_kept, self.shutdown_timeout)

    def pool(self) -> _Pool:
        """This process's pool for this configuration, started on first use."""
        with _pools_lock:
            pool = _pools.get(self._key)
            if pool is None:
                pool = _Pool(f"tasks-{self.alias}", workers=self.workers, queue_size=self.queue_size,
                             results_kept=self.results_kept)
                pool.start()
                _pools[self._key] = pool
            return pool

    def shutdown(self, timeout: float | None = None) -> bool:
        """Drain and stop this configuration's pool; the next enqueue starts a fresh one."""
        with _pools_lock:
            pool = _pools.pop(self._key, None)
        return True if pool is None else pool.shutdown(self.shutdown_timeout if timeout is None else timeout)

    # --- the Tasks API ---------------------------------------------------------------------------
    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result = TaskResult(task=task, id=get_random_id(), status=TaskResultStatus.READY,
                            enqueued_at=timezone.now(), started_at=None, last_attempted_at=None, finished_at=None,
                            args=args, kwargs=kwargs, backend=self.alias, errors=[], worker_ids=[])
        pool = self.pool()
        pool.remember(result)
        task_enqueued.send(type(self), task_result=result)
        if transaction.get_connection().in_atomic_block:
            # Nothing the task reads may be uncommitted, and a rolled-back request queues nothing.
            transaction.on_commit(lambda: self._hand_over(pool, result), robust=True)
        else:
            self._hand_over(pool, result)
        return _snapshot(result)

    def _hand_over(self, pool: _Pool, result: TaskResult) -> None:
        if pool.submit(self, result):
            return
        logger.warning("task pool %s is full or stopped: running %s (id=%s) in the calling thread",
                       pool.name, result.task.module_path, result.id)
        self.execute(result, worker_id=f"{pool.worker_id}-caller")

    def get_result(self, result_id: str) -> TaskResult:
        with _pools_lock:
            pools = list(_pools.values())
        for pool in pools:
            try:
                return pool.lookup(result_id)
            except TaskResultDoesNotExist:
                continue
        raise TaskResultDoesNotExist(result_id)

    def execute(self, result: TaskResult, *, worker_id: str) -> None:
        """Run one task and record the outcome on its result. Never raises (but KeyboardInterrupt)."""
        task = result.task
        started = timezone.now()
        object.__setattr__(result, "status", TaskResultStatus.RUNNING)
        object.__setattr__(result, "started_at", started)
        object.__setattr__(result, "last_attempted_at", started)
        result.worker_ids.append(worker_id)
        task_started.send(sender=type(self), task_result=result)
        try:
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            object.__setattr__(result, "_return_value", normalize_json(value))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            logger.exception("task %s (id=%s) failed", task.module_path, result.id)
            result.errors.append(TaskError(exception_class_path=get_module_path(type(exc)),
                                           traceback=get_exception_traceback(exc)))
            object.__setattr__(result, "finished_at", timezone.now())
            object.__setattr__(result, "status", TaskResultStatus.FAILED)
            task_finished.send(type(self), task_result=result)
        else:
            object.__setattr__(result, "finished_at", timezone.now())
            object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
            task_finished.send(type(self), task_result=result)
