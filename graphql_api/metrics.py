"""Counts every GraphQL operation and the errors in its result, by operation name (core.observability).

First in the schema's extensions, so it sees the errors as ``ErrorPolicy`` left them: a fault
carries ``internal_error``, an error about the request (syntax, validation, variables, limits) one
of ``REQUEST_CODES``, and a domain error its own code. Payload ``errors`` of mutations are answers, not counted here.
Operation names come from clients: ``operation_label`` keeps their number bounded.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.observability import GRAPHQL_ERRORS, GRAPHQL_OPERATIONS, operation_label

# the codes ErrorPolicy gives errors about the request itself (graphql_api.errors.request_code)
REQUEST_CODES = frozenset({"graphql_parse_failed", "graphql_validation_failed", "invalid_variables",
                           "query_too_large"})


def _kind(error) -> str:
    code = (error.extensions or {}).get("code")
    if code == "internal_error":
        return "internal"
    return "request" if not code or code in REQUEST_CODES else "domain"


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:  # a syntax error or the token limit, raised by the parser hook
            self._count((error,))
            raise
        self._count(())

    def _count(self, raised: tuple) -> None:
        context = self.execution_context
        try:
            name = context.operation_name
            kind = context.operation_type.value
        except Exception:  # a document that did not parse, or names no operation to run
            name, kind = None, "unknown"
        operation = operation_label(name)
        GRAPHQL_OPERATIONS.labels(operation, kind).inc()
        result = context.result
        errors = raised or getattr(result, "errors", None) or context.pre_execution_errors or ()
        for error in errors:
            GRAPHQL_ERRORS.labels(operation, _kind(error)).inc()
