import atexit
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from core import observability as obs

_wal_set: set[str] = set()


def _sqlite_wal_once(sender: object, connection: Any, **kwargs: object) -> None:
    """``journal_mode=WAL`` is stored in the database file, so it is set on the first connection of
    each process only: run on every connection it costs a file lock and about 2 ms, and under ASGI
    every request opens a connection (docs/decisions/0004, 0010)."""
    if connection.vendor != "sqlite" or connection.alias in _wal_set:
        return
    _wal_set.add(connection.alias)
    connection.connection.execute("PRAGMA journal_mode=WAL")  # the raw sqlite3 connection


class FieldopsConfig(AppConfig):
    """The composition root as an app: it holds ``manage.py run_schedules``, the SQLite set-up and
    the tasks' request ids and figures (config/observability.py)."""

    name = "config"
    label = "fieldops_config"
    verbose_name = "Fieldops configuration"

    def ready(self) -> None:
        connection_created.connect(_sqlite_wal_once, dispatch_uid="fieldops-sqlite-wal")
        from config import observability

        observability.connect_task_signals()  # request ids into tasks, task failures counted
        obs.register_collector(observability.TaskQueueCollector())
        if obs.MULTIPROCESS:
            atexit.register(obs.mark_process_dead)
