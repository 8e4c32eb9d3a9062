"""Fields read straight from the row: a plain attribute read instead of strawberry-django's
generic field resolver.

strawberry-django marks every field of a Django type as needing its own resolver, so each scalar
of each row goes through Strawberry's extension chain (arguments parsed, an ``Info`` built, the
descriptor inspected) before a dictionary lookup: most of the cost of a 100-row page. A field that
is a plain database column, with no resolver, no field extension and no permission class of its
own, gives the same answer as ``instance.__dict__[attname]``; this module gives such fields that
resolver once, when the schema is built. A column that was not loaded (deferred) falls back to the
original resolver, so nothing changes but the cost (docs/decisions/0107).

The same holds for relations the optimiser already loaded: a foreign key whose object is in the
row's relation cache, and a list whose rows were prefetched by the optimiser (after it applied the
related type's ``get_queryset``, so the rows are already scoped to the viewer): strawberry-django
itself returns exactly those cached objects. Anything not cached takes the original resolver.
Likewise a plain ``def f(self[, info])`` resolver of a scalar field is called directly, and a
primary-key relay id is built from the loaded key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)
from django.db.models.query_utils import DeferredAttribute
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLSchema, Undefined, is_leaf_type
from strawberry.relay import GlobalID, Node
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry_django.fields.base import StrawberryDjangoFieldBase
from strawberry_django.optimizer import is_optimized_by_prefetching

BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


def _column_resolver(attname: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return source.__dict__[attname]
        except (KeyError, AttributeError):
            return fallback(source, info, **kwargs)

    resolve._is_default = True  # type: ignore[attr-defined]
    resolve.column_attname = attname  # type: ignore[attr-defined]
    return resolve


def _foreign_key_resolver(cache_name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return source._state.fields_cache[cache_name]
        except (KeyError, AttributeError):
            return fallback(source, info, **kwargs)

    return resolve


def _prefetched_list_resolver(cache_name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            queryset = source._prefetched_objects_cache[cache_name]
        except (KeyError, AttributeError):
            return fallback(source, info, **kwargs)
        rows = getattr(queryset, "_result_cache", None)
        if rows is None or not is_optimized_by_prefetching(queryset):
            return fallback(source, info, **kwargs)
        return rows

    return resolve


def _plain_field(owner: Any, field: Any) -> tuple[Any, str] | None:
    """(model descriptor, attribute name) when ``field`` is a strawberry-django field of a Django
    type with no resolver, extension, permission class or argument of its own."""
    if not isinstance(field, StrawberryDjangoFieldBase):
        return None
    if field.base_resolver is not None or field.extensions or field.permission_classes or field.arguments:
        return None
    definition = getattr(owner, "__strawberry_django_definition__", None)
    model = getattr(definition, "model", None)
    if model is None:
        return None
    name = field.django_name or field.python_name
    return getattr(model, name, None), name


def _leaf_method_resolver(field: Any, gql_field: Any, info_class: type) -> Callable[..., Any] | None:
    """A direct call for a plain synchronous ``def name(self)`` / ``def name(self, info)`` resolver
    of a Django type that returns a scalar or enum (a computed total, a permission-gated column):
    strawberry-django would call the same function with the same arguments and, since the value
    is not a queryset, return it unchanged."""
    resolver = getattr(field, "base_resolver", None)
    if not isinstance(field, StrawberryDjangoFieldBase) or resolver is None:
        return None
    if field.extensions or field.permission_classes or field.arguments or field.is_async:
        return None
    leaf = gql_field.type.of_type if isinstance(gql_field.type, GraphQLNonNull) else gql_field.type
    if not is_leaf_type(leaf):
        return None
    function = resolver.wrapped_func
    if not inspect.isfunction(function) or inspect.iscoroutinefunction(function):
        return None
    names = list(inspect.signature(function).parameters)
    if names == ["self"]:
        def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
            return function(source)
    elif names == ["self", "info"]:
        def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
            return function(source, info_class(_raw_info=info, _field=field))
    else:
        return None
    return resolve


def _node_id_resolver(type_name: str, owner: Any, field: Any,
                      fallback: Callable[..., Any]) -> Callable[..., Any] | None:
    """The relay ``id`` of a node whose id is its primary key: ``GlobalID(type, str(pk))``, what
    ``relay.Node._id`` computes through ``resolve_typename`` / ``resolve_id`` when neither is
    overridden (the type name is the object type's own, as in ``info.path.typename``)."""
    origin = owner
    if getattr(field, "python_name", None) != "_id" or not (isinstance(origin, type) and issubclass(origin, Node)):
        return None
    if field.extensions or field.permission_classes or origin is Node:
        return None
    resolve_id = origin.resolve_id.__func__  # type: ignore[attr-defined]
    # strawberry's own, or the one strawberry-django installs (``str`` of the loaded primary key)
    library_resolve_id = (resolve_id is Node.resolve_id.__func__  # type: ignore[attr-defined]
                          or resolve_id.__module__.startswith("strawberry_django."))
    if (not library_resolve_id
            or origin.resolve_typename.__func__ is not Node.resolve_typename.__func__  # type: ignore[attr-defined]
            or getattr(origin, "_id_attr", None) != "pk"):
        return None
    model = getattr(getattr(origin, "__strawberry_django_definition__", None), "model", None)
    if model is None:
        return None
    attname = model._meta.pk.attname

    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return GlobalID(type_name=type_name, node_id=str(source.__dict__[attname]))
        except (KeyError, AttributeError):
            return fallback(source, info, **kwargs)

    return resolve


def _column_attname(owner: Any, field: Any) -> str | None:
    """The model attribute name when ``field`` is a plain, non-file column of its type's model."""
    plain = _plain_field(owner, field)
    if plain is None:
        return None
    descriptor, name = plain
    if type(descriptor) is not DeferredAttribute:  # relations, files, properties: keep their resolvers
        return None
    model_field = descriptor.field
    if model_field.is_relation or model_field.attname != name:
        return None
    return name


def _relation_resolver(owner: Any, field: Any, fallback: Callable[..., Any]) -> Callable[..., Any] | None:
    plain = _plain_field(owner, field)
    if plain is None:
        return None
    descriptor, _name = plain
    if isinstance(descriptor, ForwardManyToOneDescriptor):
        return _foreign_key_resolver(descriptor.field.cache_name, fallback)
    if isinstance(descriptor, ManyToManyDescriptor):
        return None  # through-table prefetches are rare here; keep the generic path
    if isinstance(descriptor, ReverseManyToOneDescriptor) and getattr(field, "is_list", False):
        return _prefetched_list_resolver(descriptor.rel.cache_name, fallback)
    return None


def _origin(gql_type: GraphQLObjectType) -> Any:
    definition = (gql_type.extensions or {}).get(BACKREF)
    return getattr(definition, "origin", None)


def install_column_resolvers(schema: GraphQLSchema, info_class: type) -> int:
    """Give every plain column and loaded-relation field of every Django type the direct resolver;
    returns how many."""
    count = 0
    for type_name, gql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        for gql_field in gql_type.fields.values():
            field = (gql_field.extensions or {}).get(BACKREF)
            if field is None or gql_field.resolve is None:
                continue
            attname = _column_attname(field.origin, field)
            if attname is not None:
                gql_field.resolve = _column_resolver(attname, gql_field.resolve)
                count += 1
                continue
            direct = (_relation_resolver(field.origin, field, gql_field.resolve)
                      or _leaf_method_resolver(field, gql_field, info_class)
                      or _node_id_resolver(type_name, _origin(gql_type), field, gql_field.resolve))
            if direct is not None:
                gql_field.resolve = direct
                count += 1
    return count


_MISSING = object()
_NOT_COLUMN = (None, None, False)


def _column_leaf(parent_type: GraphQLObjectType, field_name: str) -> tuple[str | None, Any, bool]:
    """(attname, leaf type, nullable) of a direct-column leaf field, else (None, None, False)."""
    gql_field = parent_type.fields.get(field_name)
    attname = getattr(getattr(gql_field, "resolve", None), "column_attname", None)
    if gql_field is None or attname is None or gql_field.args:
        return _NOT_COLUMN
    field_type, nullable = gql_field.type, True
    if isinstance(field_type, GraphQLNonNull):
        field_type, nullable = field_type.of_type, False
    if not is_leaf_type(field_type):
        return _NOT_COLUMN
    return attname, field_type, nullable


class ColumnFastPathMixin:
    """Executes direct-column leaf fields without building a resolve info for each.

    graphql-core builds a ``GraphQLResolveInfo`` and walks its completion steps for every field of
    every row; for a column that is already on the row the answer is the column's value, coerced
    by the field's scalar or enum. Anything unusual (arguments, a missing or deferred column, a
    null in a non-null field, a value the scalar rejects, resolver middleware) takes graphql-core's
    own path, so errors and their paths are exactly as before.
    """

    _column_leaves: dict[tuple[str, str], tuple[str | None, Any, bool]] = {}

    def execute_field(self, parent_type, source, field_details_list, path, position_context):  # type: ignore[no-untyped-def]
        node = field_details_list[0].node
        key = (parent_type.name, node.name.value)
        leaf = self._column_leaves.get(key)
        if leaf is None:
            leaf = self._column_leaves[key] = _column_leaf(parent_type, node.name.value)
        attname, leaf_type, nullable = leaf
        if attname is not None and not node.arguments and not self._has_middleware():
            value = getattr(source, "__dict__", {}).get(attname, _MISSING)
            if value is None and nullable:
                return None
            if value is not _MISSING and value is not None:
                try:
                    coerced = leaf_type.coerce_output_value(value)
                except Exception:  # graphql-core's own path reports it properly
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    return coerced
        return super().execute_field(  # type: ignore[misc]
            parent_type, source, field_details_list, path, position_context)

    def _has_middleware(self) -> bool:
        manager = self.middleware_manager  # type: ignore[attr-defined]
        return manager is not None and bool(manager.middlewares)
