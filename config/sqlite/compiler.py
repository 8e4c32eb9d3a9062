"""This backend's SQL compilers: Django's, with one-column tuple ``IN`` compiled as a plain ``IN``.

Django 5.2 prefetches every foreign key with a tuple lookup; SQLite lacks tuple comparisons, so
Django spells each value as its own ``col = %s OR ...`` term, built and compiled one by one (about a
third of a 100-row GraphQL page). One column needs no tuple. The rule lives in this backend's
compilers (``DatabaseOperations.compiler_module``), so it applies to connections of this backend
only, not to every ``TupleIn`` in the process."""

from __future__ import annotations

from typing import Any

from django.db.models.fields.tuple_lookups import TupleIn
from django.db.models.lookups import In
from django.db.models.sql import compiler


def one_column(node: Any) -> In | None:
    """``(col) IN ((1), (2), ...)`` as ``col IN (1, 2, ...)``; None for anything else."""
    if type(node) is not TupleIn or not node.rhs_is_direct_value():
        return None
    columns = list(node.lhs)  # a ColPairs: iterable, not indexable
    return In(columns[0], [value[0] for value in node.rhs]) if len(columns) == 1 else None


class _OneColumnTupleIn:
    def compile(self, node):  # type: ignore[no-untyped-def]
        return super().compile(one_column(node) or node)  # type: ignore[misc]


class SQLCompiler(_OneColumnTupleIn, compiler.SQLCompiler):
    pass


class SQLInsertCompiler(_OneColumnTupleIn, compiler.SQLInsertCompiler):
    pass


class SQLDeleteCompiler(_OneColumnTupleIn, compiler.SQLDeleteCompiler):
    pass


class SQLUpdateCompiler(_OneColumnTupleIn, compiler.SQLUpdateCompiler):
    pass


class SQLAggregateCompiler(_OneColumnTupleIn, compiler.SQLAggregateCompiler):
    pass
