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


def test_one_column_tuple_in_is_a_plain_in_on_this_backend_only():
    """Prefetching a foreign key compiles ``(col) IN ((1), (2))``; this backend's compilers give a
    plain ``col IN (1, 2)`` and nothing in the process patches Django's lookup for other backends."""
    from django.db.models.fields.tuple_lookups import TupleIn
    from django.test.utils import CaptureQueriesContext

    from core.bookings.models import Booking
    from tests import factories

    assert "as_sqlite" not in vars(TupleIn)  # no process-wide patch
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite engine's compilers")
    first, second = factories.booking(), factories.booking()
    with CaptureQueriesContext(connection) as queries:
        rows = list(Booking.objects.filter(pk__in=[first.pk, second.pk]).prefetch_related("customer"))
    assert [row.customer.pk for row in rows] == [first.customer_id, second.customer_id]
    prefetch = queries.captured_queries[-1]["sql"]  # the customers, by a forward foreign key: a TupleIn
    assert '"crm_customer"."id" IN (' in prefetch and " OR " not in prefetch, prefetch
