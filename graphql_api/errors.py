"""How failures look to a GraphQL client.

* A rule said no inside a mutation: the payload's ``errors { code field message }`` with the
  service's ``DomainError`` code (see :func:`attempt`).
* A query or field that cannot be answered (bad id, staff-only data): a GraphQL error whose
  ``extensions`` carry the same ``code`` and ``field`` (see :class:`ErrorPolicy`).
* Anything unexpected: logged with its traceback on the server, masked to
  "Unexpected error." for the client. Never a 500, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, TypeVar

import strawberry
from django.conf import settings
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.error_codes import AREA_OF, AREAS
from core.errors import DomainError

from .context import InvalidToken

P = TypeVar("P")


@strawberry.interface(description="Why a mutation did not happen. Each area's type (`BookingError`, "
                                  "`CommonError`, ...) gives the reason as `errorCode`, an enum of its "
                                  "area's codes; `field` names the input.")
class UserError:
    code: str = strawberry.field(deprecation_reason=(
        "Use errorCode (an enum); code stays for one release, the same value in lower case."))
    message: str
    field: str | None = None


def _area_type(area: str, codes: dict[str, str]) -> tuple[type, type[Enum]]:
    """``<Area>ErrorCode`` (one value per code, its meaning as the description) and ``<Area>Error``."""
    values = {code.upper(): strawberry.enum_value(code, description=meaning) for code, meaning in codes.items()}
    enum = strawberry.enum(Enum(f"{area}ErrorCode", values),  # type: ignore[misc]
                           description=f"Codes of the {area.lower()} area's refusals (core/error_codes.py).")
    error = type(f"{area}Error", (UserError,), {"__annotations__": {"error_code": enum}})
    return strawberry.type(error, description=f"A refusal with one of the {area.lower()} area's codes."), enum


ERROR_TYPES: dict[str, tuple[type, type[Enum]]] = {area: _area_type(area, codes) for area, codes in AREAS.items()}


def user_errors(exc: DomainError) -> list[UserError]:
    """The error entry of the code's area (core/error_codes.py lists every code; a test keeps it so)."""
    error, enum = ERROR_TYPES[AREA_OF[exc.code]]
    return [error(code=exc.code, message=exc.message, field=exc.field, error_code=enum(exc.code))]


def attempt(payload: Callable[..., P], key: str, work: Callable[[], Any]) -> P:
    """Run ``work`` (decode ids, call the service) and wrap the result or its DomainError."""
    try:
        result = work()
    except DomainError as exc:
        return payload(errors=user_errors(exc))
    return payload(**{key: result, "errors": []})


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    """The error with its code, and without name suggestions while introspection is off (they would
    tell a stranger the schema one guess at a time)."""
    message = error.message if settings.GRAPHQL_INTROSPECTION else _SUGGESTION.sub("", error.message)
    if error.extensions and "code" in error.extensions and message == error.message:
        return error
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, extensions={"code": code, **(error.extensions or {})})


def _public(error: GraphQLError) -> GraphQLError | None:
    """The client-facing version of an error, or None if it must be masked."""
    original = error.original_error
    if original is None:  # syntax, validation and variable coercion errors: about the request
        return _with_code(error, request_code(error))
    if isinstance(original, GraphQLError):
        # a scalar refusing a variable's value: graphql-core wraps Strawberry's coercion error
        return _public(original) if original.original_error is not None else _with_code(original, request_code(error))
    if isinstance(original, DomainError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        return GraphQLError(original.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path, extensions=extensions)
    if isinstance(original, InvalidToken):
        return GraphQLError(str(original), nodes=error.nodes, path=error.path,
                            extensions={"code": "unauthenticated"})
    return None


def request_code(error: GraphQLError) -> str:
    """The code of an error about the request itself (it never reached a resolver)."""
    message = error.message
    if "tokens" in message or message.startswith(("Validation aborted", "Parsing aborted")):
        return "query_too_large"
    if message.startswith("Syntax Error"):
        return "graphql_parse_failed"
    if message.startswith("Variable "):
        return "invalid_variables"
    return "graphql_validation_failed"


def expected_error(error: GraphQLError) -> bool:
    """Errors that are answers about the request (not faults): no server-side traceback needed."""
    return _public(error) is not None


class ErrorPolicy(SchemaExtension):
    """Give domain errors their code; mask everything unexpected (after logging it). Errors about the
    request itself (syntax, validation, variables, the token limit) get a code too."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # A syntax error or the token limit, raised by the parser cache's own hook: Strawberry
            # answers with this very error object, so it is given its code in place.
            if error.original_error is None and not (error.extensions and "code" in error.extensions):
                error.extensions = {**(error.extensions or {}), "code": request_code(error)}
            raise
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        processed = []
        for error in errors:
            public = _public(error)
            if public is None:
                public = GraphQLError("Unexpected error.", nodes=error.nodes, path=error.path,
                                      extensions={"code": "internal_error"})
            processed.append(public)
        result.errors = processed
