"""The config.sqlite engine's cursor: placeholders converted as Django converts them, once per
statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper

from config.sqlite.base import _qmark

pytestmark = pytest.mark.django_db

STATEMENTS = [
    "SELECT 1",
    'SELECT "a"."id" FROM "a" WHERE "a"."id" = %s AND "a"."n" IN (%s, %s)',
    "SELECT 'x%%' LIKE %s",
    "SELECT '100%%s done', %s",
    "UPDATE t SET v = %s WHERE id = %s",
]


@pytest.mark.parametrize("query", STATEMENTS)
def test_the_converted_statement_is_djangos(query):
    djangos = SQLiteCursorWrapper.convert_query(None, query)  # type: ignore[arg-type]
    assert _qmark(query) == djangos
    assert _qmark(query) is _qmark(query)  # converted once, then reused


def test_named_parameters_still_take_djangos_path():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite engine's cursor")
    with connection.cursor() as cursor:
        cursor.execute("SELECT %(a)s + %(b)s, 'x%%' LIKE 'x%%'", {"a": 2, "b": 3})
        assert cursor.fetchone() == (5, 1)
        cursor.execute("SELECT %s * %s, '50%%'", [6, 7])
        assert cursor.fetchone() == (42, "50%")
