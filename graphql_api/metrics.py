"""Counts every GraphQL operation and the errors in its result, by operation name (core.observability).

First in the schema's extensions, so it sees the errors as ``ErrorPolicy`` left them: a domain
error carries its ``code``, a fault ``internal_error``, and a request error (syntax, validation,
variables, limits) no code. Payload ``errors`` of mutations are answers, not counted here.
Operation names come from clients: ``operation_label`` keeps their number bounded.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from core.observability import GRAPHQL_ERRORS, GRAPHQL_OPERATIONS, operation_label


def _kind(error) -> str:
    code = (error.extensions or {}).get("code")
    if code == "internal_error":
        return "internal"
    return "domain" if code else "request"


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        try:
            name = context.operation_name
            kind = context.operation_type.value
        except Exception:  # a document that did not parse, or names no operation to run
            name, kind = None, "unknown"
        operation = operation_label(name)
        GRAPHQL_OPERATIONS.labels(operation, kind).inc()
        result = context.result
        errors = getattr(result, "errors", None) or context.pre_execution_errors or ()
        for error in errors:
            GRAPHQL_ERRORS.labels(operation, _kind(error)).inc()
