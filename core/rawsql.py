"""Hand-written statements that still give what the ORM gives.

A few statements run on every webhook or event, and there the ORM spends more CPU building them
than the database spends answering them. Only those that save at least a tenth of their request's
CPU on PostgreSQL are written out (docs/decisions/0409, measured by bench/rawsql.py); the rest are
ORM queries. The reads are SQL over the models' table and column names, their rows turned back
into ORM values here: each column through the same converters the ORM applies (SQLite's
datetimes, JSON), each model through ``Model.from_db`` (unread fields stay deferred and load on
access, as with ``.only()``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model

Converter = Callable[[Any, Any, Any], Any]


def _wrapper(conn: Any) -> Any:
    """The connection itself for ``django.db.connection``: each attribute read through that proxy
    looks the connection up again (a thread-local lookup), dozens of times per row otherwise."""
    return connections[DEFAULT_DB_ALIAS] if conn is connection else conn


class Columns:
    """Some fields of one model as a statement selects them (in the model's field order)."""

    def __init__(self, model: type[Model], *names: str) -> None:
        self.model = model
        wanted = {model._meta.get_field(name) for name in names}
        # in the model's field order, which ``Model.from_db`` reads partial rows in
        self.fields = [field for field in model._meta.concrete_fields if field in wanted]
        if len(self.fields) != len(wanted):
            raise ValueError(f"not all of {names} are columns of {model.__name__}")
        self.attnames = [field.attname for field in self.fields]  # type: ignore[union-attr]
        self._converters: dict[str, list[list[tuple[Converter, Any]]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, alias: str) -> str:
        """``alias."column", ...`` for a SELECT list."""
        return ", ".join(f'{alias}."{field.column}"' for field in self.fields)  # type: ignore[union-attr]

    def _for(self, conn: Any) -> list[list[tuple[Converter, Any]]]:
        found = self._converters.get(conn.vendor)
        if found is None:
            found = []
            for field in self.fields:
                column = field.get_col(self.model._meta.db_table)  # type: ignore[union-attr]
                found.append([(convert, column) for convert in
                              conn.ops.get_db_converters(column) + field.get_db_converters(conn)])
            self._converters[conn.vendor] = found
        return found

    def values(self, row: Sequence[Any], conn: Any = connection) -> list[Any]:
        """The row's values as the ORM would give them."""
        conn = _wrapper(conn)
        out = list(row)
        for index, converters in enumerate(self._for(conn)):
            for convert, column in converters:
                out[index] = convert(out[index], column, conn)
        return out

    def instance(self, row: Sequence[Any], conn: Any = connection) -> Any:
        """A model instance of the row, the other fields deferred."""
        conn = _wrapper(conn)
        return self.model.from_db(conn.alias, self.attnames, self.values(row, conn))


def moment(value: datetime, conn: Any = connection) -> Any:
    """An aware datetime as a statement parameter, stored the way the ORM stores it."""
    return _wrapper(conn).ops.adapt_datetimefield_value(value)


class _ByPk:
    """``SELECT`` of one row by primary key with some foreign keys joined, built once."""

    def __init__(self, model: type[Model], related: tuple[str, ...]) -> None:
        self.main = Columns(model, *(f.name for f in model._meta.concrete_fields))
        self.joins: list[tuple[str, Columns, str]] = []  # (field name, columns, alias)
        select, joins = [self.main.select("t0")], []
        for index, name in enumerate(related, start=1):
            field = model._meta.get_field(name)
            target = field.related_model
            columns = Columns(target, *(f.name for f in target._meta.concrete_fields))  # type: ignore[union-attr]
            alias = f"t{index}"
            select.append(columns.select(alias))
            joins.append(f'LEFT JOIN "{target._meta.db_table}" {alias} '  # type: ignore[union-attr]
                         f'ON {alias}."{target._meta.pk.column}" = t0."{field.column}"')  # type: ignore[union-attr]
            self.joins.append((name, columns, alias))
        self.sql = _BY_PK.format(select=", ".join(select), table=model._meta.db_table, joins=" ".join(joins),
                                 pk=model._meta.pk.column)  # type: ignore[union-attr]

    def get(self, pk: Any, conn: Any, for_update: bool = False) -> Any:
        sql = self.sql
        if for_update and conn.features.has_select_for_update:
            sql += " FOR UPDATE OF t0" if self.joins else " FOR UPDATE"
        with conn.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        at = len(self.main)
        obj = self.main.instance(row[:at], conn)
        for name, columns, _alias in self.joins:
            part = row[at:at + len(columns)]
            at += len(columns)
            related = columns.instance(part, conn) if part[0] is not None else None
            obj._meta.get_field(name).set_cached_value(obj, related)
        return obj


_BY_PK = 'SELECT {select} FROM "{table}" t0 {joins} WHERE t0."{pk}" = %s'
_by_pk: dict[tuple[type[Model], tuple[str, ...]], _ByPk] = {}


def get(model: type[Model], pk: Any, *related: str, for_update: bool = False, conn: Any = connection) -> Any:
    """The row ``pk`` of ``model`` as a full instance, or None; each foreign key named in
    ``related`` joined and cached on it (as ``select_related`` does); with ``for_update`` the row
    is locked where the database locks rows (``select_for_update(of=("self",))``). Same instances as
    ``model.objects.select_related(*related).filter(pk=pk).first()``, without building the
    statement every time."""
    key = (model, related)
    query = _by_pk.get(key)
    if query is None:
        query = _by_pk[key] = _ByPk(model, related)
    # the ORM's own check of the value (a ValueError for "abc" as an integer key, as with filter(pk=))
    return query.get(model._meta.pk.get_prep_value(pk), _wrapper(conn), for_update)  # type: ignore[union-attr]


class _Children:
    """The rows of a reverse foreign key (``booking.lines``), in the child model's ordering."""

    def __init__(self, model: type[Model], name: str) -> None:
        relation = model._meta.get_field(name)
        self.child: type[Model] = relation.related_model  # type: ignore[assignment]
        self.fk = relation.field  # type: ignore[union-attr]
        self.columns = Columns(self.child, *(f.name for f in self.child._meta.concrete_fields))
        order = []
        for item in self.child._meta.ordering or ["pk"]:
            descending = isinstance(item, str) and item.startswith("-")
            field = self.child._meta.get_field(str(item).lstrip("-")) if item not in ("pk", "-pk") \
                else self.child._meta.pk
            order.append(f'c."{field.column}"' + (" DESC" if descending else ""))  # type: ignore[union-attr]
        self.sql = _CHILDREN.format(select=self.columns.select("c"), table=self.child._meta.db_table,
                                    fk=self.fk.column, order=", ".join(order))

    def load(self, obj: Model, name: str, conn: Any) -> list[Any]:
        with conn.cursor() as cursor:
            cursor.execute(self.sql, [obj.pk])
            rows = [self.columns.instance(row, conn) for row in cursor.fetchall()]
        for row in rows:
            self.fk.set_cached_value(row, obj)  # line.booking is the parent, no query
        # stored where prefetch_related stores it, so ``obj.<name>.all()`` reads no more
        queryset = getattr(obj, name).all()
        queryset._result_cache = rows
        queryset._prefetch_done = True
        obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
        return rows


_CHILDREN = 'SELECT {select} FROM "{table}" c WHERE c."{fk}" = %s ORDER BY {order}'
_children: dict[tuple[type[Model], str], _Children] = {}


def prefetch(obj: Model, name: str, conn: Any = connection) -> list[Any]:
    """``prefetch_related_objects([obj], name)`` for one object and one reverse foreign key, with
    the statement built once: afterwards ``getattr(obj, name).all()`` costs no query."""
    key = (type(obj), name)
    children = _children.get(key)
    if children is None:
        children = _children[key] = _Children(type(obj), name)
    return children.load(obj, name, _wrapper(conn))


# --- writes ------------------------------------------------------------------------------------

_UPDATE = 'UPDATE "{table}" SET {columns} WHERE {conditions}'
_updates: dict[tuple[type[Model], tuple[str, ...], tuple[str, ...]], str] = {}


def update(model: type[Model], pk: Any, values: dict[str, Any], *, conn: Any = connection) -> int:
    """``model.objects.filter(pk=pk).update(**values)`` for plain column values, with the statement
    built once (``Booking.save_columns``). Returns the number of rows changed."""
    where = {"pk": pk}
    meta = model._meta
    conn = _wrapper(conn)

    def field(name: str) -> Any:
        return meta.pk if name == "pk" else meta.get_field(name)

    key = (model, tuple(values), tuple(where))
    sql = _updates.get(key)
    if sql is None:
        columns = ", ".join(f'"{field(name).column}" = %s' for name in values)
        conditions = " AND ".join(f'"{field(name).column}" = %s' for name in where)
        sql = _updates[key] = _UPDATE.format(table=meta.db_table, columns=columns, conditions=conditions)
    params = [field(name).get_db_prep_save(value, connection=conn) for name, value in values.items()]
    params.extend(field(name).get_db_prep_value(value, conn) for name, value in where.items())
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
