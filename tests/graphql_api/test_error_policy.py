"""Unexpected failures reach the client as a masked error, domain errors with their code."""

from __future__ import annotations

from types import SimpleNamespace

from graphql import GraphQLError

from core.errors import NotFound
from graphql_api.errors import ErrorPolicy


def _through_policy(original: Exception) -> GraphQLError:
    error = GraphQLError(str(original), original_error=original, path=["booking"])
    result = SimpleNamespace(errors=[error])
    policy = ErrorPolicy()
    policy.execution_context = SimpleNamespace(result=result)
    steps = policy.on_operation()
    next(steps)
    for _ in steps:
        pass
    return result.errors[0]


def test_unexpected_exception_is_masked():
    masked = _through_policy(RuntimeError("password=hunter2 at /srv/app/secret.py line 3"))
    assert masked.message == "Unexpected error."
    assert masked.extensions == {"code": "internal_error"}
    assert "hunter2" not in str(masked.formatted)


def test_domain_error_keeps_code_and_field():
    shown = _through_policy(NotFound("booking", field="bookingId"))
    assert shown.message == "No such booking."
    assert shown.extensions == {"code": "not_found", "field": "bookingId"}
