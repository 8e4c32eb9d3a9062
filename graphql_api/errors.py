"""How failures look to a GraphQL client.

* A rule said no inside a mutation: the payload's ``errors { code field message }`` with the
  service's ``DomainError`` code (see :func:`attempt`).
* A query or field that cannot be answered (bad id, staff-only data): a GraphQL error whose
  ``extensions`` carry the same ``code`` and ``field`` (see :class:`ErrorPolicy`).
* Anything unexpected: logged with its traceback on the server, masked to
  "Unexpected error." for the client. Never a 500, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.errors import DomainError

from .context import InvalidToken

P = TypeVar("P")


@strawberry.type(description="Why a mutation did not happen. `code` is stable; `field` names the input.")
class UserError:
    code: str
    message: str
    field: str | None = None


def user_errors(exc: DomainError) -> list[UserError]:
    return [UserError(code=exc.code, message=exc.message, field=exc.field)]


def attempt(payload: Callable[..., P], key: str, work: Callable[[], Any]) -> P:
    """Run ``work`` (decode ids, call the service) and wrap the result or its DomainError."""
    try:
        result = work()
    except DomainError as exc:
        return payload(errors=user_errors(exc))
    return payload(**{key: result, "errors": []})


def _public(error: GraphQLError) -> GraphQLError | None:
    """The client-facing version of an error, or None if it must be masked."""
    original = error.original_error
    if original is None:  # syntax, validation and variable coercion errors: about the request
        return error
    if isinstance(original, GraphQLError):
        return _public(original) if original.original_error is not None else original
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


def expected_error(error: GraphQLError) -> bool:
    """Errors that are answers about the request (not faults): no server-side traceback needed."""
    return _public(error) is not None


class ErrorPolicy(SchemaExtension):
    """Give domain errors their code; mask everything unexpected (after logging it)."""

    def on_operation(self) -> Iterator[None]:
        yield
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
