"""SQLite with one writer at a time per process, queued in Python instead of in SQLite's busy handler.

Django's SQLite backend with ``transaction_mode=IMMEDIATE`` takes the database's write lock at
``BEGIN``. When several threads of one server want it, SQLite makes the losers poll: its busy handler
sleeps 1, 2, 5, 10 ... 100 ms between attempts, so under eight concurrent writers a request could wait
over a second for a lock that was free most of that time (p99 of 1.6 s in ``bench/sms_webhook.py``).
Here a writer first takes a process-wide lock for that database file, so threads of one process
queue in order and wake the moment the previous transaction ends; SQLite's own lock (and its busy
timeout) still arbitrates between processes. A write statement outside a transaction (an autocommit
``UPDATE`` of a background task, say) takes the same lock for its one statement: otherwise it could
hold SQLite's lock while a transaction that owns the Python lock sleeps in the busy handler, and
every other writer would queue behind that sleep. See docs/decisions/0004 and 0010.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from django.db import OperationalError
from django.db.backends.sqlite3 import base, operations

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


@lru_cache(maxsize=2048)
def _qmark(query: str) -> str:
    """Django's "format" to sqlite3's "qmark" placeholders, once per distinct statement: the same
    few hundred statements run all day, and the regular expression was a measurable share of each."""
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class _Cursor(base.SQLiteCursorWrapper):
    write_lock: threading.Lock

    def convert_query(self, query, *, param_names=None):  # type: ignore[no-untyped-def]
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)

    def _autocommit_write(self, query: str) -> bool:
        return not self.connection.in_transaction and query.lstrip()[:6].upper() in WRITES

    def execute(self, query, params=None):  # type: ignore[no-untyped-def]
        if not self._autocommit_write(query):
            return super().execute(query, params)
        with self.write_lock:
            return super().execute(query, params)

    def executemany(self, query, param_list):  # type: ignore[no-untyped-def]
        if not self._autocommit_write(query):
            return super().executemany(query, param_list)
        with self.write_lock:
            return super().executemany(query, param_list)


class DatabaseOperations(operations.DatabaseOperations):
    compiler_module = "config.sqlite.compiler"  # one-column tuple IN as a plain IN, on this backend only


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _holds_write_lock = False

    def get_new_connection(self, conn_params):  # type: ignore[no-untyped-def]
        conn = super().get_new_connection(conn_params)
        if self.is_in_memory_db():
            # The test database: one in-memory database shared by the threads' connections. In that
            # shared-cache mode SQLite locks tables, and a reader's lock makes a writer in another
            # thread fail at once ("database table is locked"), busy timeout or not. Readers that
            # take no table locks leave the writers to the write lock above, as on a file.
            conn.execute("PRAGMA read_uncommitted = 1")
        return conn

    def create_cursor(self, name=None):  # type: ignore[no-untyped-def]
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.write_lock = self._write_lock()
        return cursor

    def _write_lock(self) -> threading.Lock:
        return _lock_for(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not self._write_lock().acquire(timeout=timeout):
            raise OperationalError("database is locked (another thread of this process kept it too long)")
        self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            self._write_lock().release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_write_lock()
