"""The library internals graphql_api relies on, one test each, so an upgrade fails here loudly
instead of in a resolver at run time. pyproject.toml pins strawberry-graphql, strawberry-graphql-django
and graphql-core to the minor versions these tests passed on; raise a pin only with this file green."""

from __future__ import annotations

import inspect
from importlib.metadata import version
from types import SimpleNamespace

import pytest
import strawberry.schema.schema as strawberry_schema
from strawberry.extensions import ValidationCache
from strawberry.relay import Node
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.info import Info
from strawberry_django.fields.base import StrawberryDjangoFieldBase
from strawberry_django.optimizer import is_optimized_by_prefetching

from core.actors import Actor
from graphql_api import schema as schema_module
from graphql_api.schema import RememberValidDocuments, schema

TESTED = {"strawberry-graphql": "0.341.", "strawberry-graphql-django": "0.93.", "graphql-core": "3.3."}


@pytest.mark.parametrize("package", sorted(TESTED))
def test_installed_versions_are_the_tested_ones(package):
    assert version(package).startswith(TESTED[package]), (
        f"{package} {version(package)} is not the tested {TESTED[package]}x: run this file, then update TESTED "
        "and the pin in pyproject.toml")


def test_graphql_types_point_back_to_their_strawberry_definitions():
    # fastpath finds the strawberry field of every graphql-core field through this back-reference
    booking = schema._schema.type_map["Booking"]
    definition = booking.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert definition.name == "Booking"
    assert any(isinstance(field, StrawberryDjangoFieldBase) for field in definition.fields)


def test_strawberry_django_fields_expose_what_the_fast_path_reads():
    definition = schema._schema.type_map["Booking"].extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    field = next(f for f in definition.fields if f.python_name == "status")
    for attribute in ("django_name", "python_name", "base_resolver", "extensions", "permission_classes",
                      "arguments", "is_async"):
        assert hasattr(field, attribute), attribute


def test_info_is_built_from_the_raw_info_and_the_field():
    # fastpath calls plain resolvers with info_class(_raw_info=..., _field=...)
    parameters = inspect.signature(Info).parameters
    assert {"_raw_info", "_field"} <= set(parameters)


def test_relay_node_ids_resolve_as_the_fast_path_assumes():
    assert inspect.ismethod(Node.resolve_id) and inspect.ismethod(Node.resolve_typename)
    booking_type = schema.get_type_by_name("Booking")
    assert getattr(booking_type.origin, "_id_attr", None) == "pk"


def test_prefetch_marker_of_the_optimizer():
    from core.bookings.models import Booking

    assert is_optimized_by_prefetching(Booking.objects.none()) is False


def test_realtime_execution_context_extends_strawberrys():
    from graphql_api.realtime.execution import SharedEventExecutionContext

    assert issubclass(SharedEventExecutionContext, StrawberryGraphQLCoreExecutionContext)
    assert schema.execution_context_class is SharedEventExecutionContext


def _count_validations(monkeypatch) -> dict[str, int]:
    calls = {"n": 0}
    original = strawberry_schema.validate

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    return calls


QUERY = "query Internals { __typename }"


def _run_five_times() -> None:
    context = SimpleNamespace(request=None, response=None, actor=Actor.anonymous())
    for _ in range(5):
        result = schema.execute_sync(QUERY, context_value=context)
        assert result.errors is None, result.errors


@pytest.mark.django_db
def test_a_document_that_passed_is_validated_once(monkeypatch):
    # RememberValidDocuments sets pre_execution_errors = [] and Strawberry then skips validation
    calls = _count_validations(monkeypatch)
    RememberValidDocuments._passed.clear()
    _run_five_times()
    assert calls["n"] == 1


@pytest.mark.django_db
def test_strawberrys_validation_cache_would_validate_every_time(monkeypatch):
    """Why RememberValidDocuments is ours and not Strawberry's ValidationCache: the limiters are
    per-operation factories, each building a new rule class, so ValidationCache's key (schema,
    document, rules) never repeats and it validates on every request. When this starts failing,
    ValidationCache caches with our limiters: switch to it and delete RememberValidDocuments."""
    calls = _count_validations(monkeypatch)
    extensions = [e for e in schema_module.build_extensions() if e is not RememberValidDocuments]
    monkeypatch.setattr(schema, "extensions", [*extensions, lambda: ValidationCache(maxsize=256)])
    _run_five_times()
    assert calls["n"] == 5
