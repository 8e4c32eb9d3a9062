"""PostgreSQL with psycopg's C loader for ``timestamptz`` columns.

Django registers its own ``timestamptz`` loader so that values come back with its UTC ``tzinfo``;
that loader subclasses psycopg's pure-Python one, which parses each value with a regular
expression: about 20 microseconds a value here, against about 3 for psycopg's C loader. A page of
bookings carries a handful of datetimes per row, so this was the largest single cost of reading
rows (docs/decisions/0011). With ``USE_TZ`` the session time zone is UTC, and the C loader then
returns exactly what Django's does (``datetime.timezone.utc`` as the ``tzinfo``); under any other
session zone, or without psycopg's C module, Django's loader stays.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import _cmodule
from psycopg.adapt import Loader

_C_MODULE = getattr(_cmodule, "_psycopg", None)


class UtcTimestamptzLoader(Loader):
    """Delegates to psycopg's C loader. ``timezone`` is what Django's ``create_cursor`` compares
    with the connection's zone before deciding to install its own loader on a cursor."""

    timezone = UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self.load = _C_MODULE.TimestamptzLoader(oid, context).load  # type: ignore[union-attr, method-assign]

    def load(self, data: Any) -> Any:  # replaced per instance by the C loader's bound method
        raise NotImplementedError


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if _C_MODULE is not None and settings.USE_TZ and self.timezone_name == "UTC":
            connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
        return connection
