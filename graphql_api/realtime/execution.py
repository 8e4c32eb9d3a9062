"""Execute a subscription event once per process for all subscribers asking the same thing.

graphql-core executes every subscription's selection set for every event, per subscriber: for
a thousand dashboards watching one booking that is a thousand identical executions. Event
payloads of the ``Live*`` types (``SHARED_EXECUTION``) depend on nothing but the event: the
subscription filtered by permission *before* yielding, and no field resolver reads the context.
So the result of one (operation text, variables, payload) is computed once and reused by every
other subscriber of this process; everything else executes as usual.
"""

from __future__ import annotations

import inspect
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ..fastpath import ColumnFastPathMixin

SHARED_EXECUTION = "__shared_execution__"
# Results are kept on the payload itself, so they live exactly as long as the event's object
# (memoised per event in types.built).
RESULTS = "_shared_results"


def _operation_key(executor: Any) -> tuple | None:
    """What makes two subscriptions' results identical for the same payload: the operation's
    text and position in its document, and the coerced variables."""
    operation = executor.operation
    loc = getattr(operation, "loc", None)
    source = getattr(getattr(loc, "source", None), "body", None)
    coerced = getattr(getattr(executor, "variable_values", None), "coerced", None)
    if source is None or not isinstance(coerced, dict):
        return None
    return (source, loc.start, loc.end, repr(sorted(coerced.items())))


class SharedEventExecutionContext(ColumnFastPathMixin, StrawberryGraphQLCoreExecutionContext):
    _shared_key: tuple | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if self._shared_key is None and getattr(type(payload), SHARED_EXECUTION, False):
            self._shared_key = _operation_key(self)  # once per subscription, copied to each event
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        payload, key = self.root_value, self._shared_key
        if key is None or not getattr(type(payload), SHARED_EXECUTION, False):
            return super().execute_operation(serially)
        cache = payload.__dict__.setdefault(RESULTS, {})
        if key in cache:
            return cache[key]
        result = super().execute_operation(serially)
        if inspect.isawaitable(result):
            return self._store(cache, key, result)
        cache[key] = result
        return result

    @staticmethod
    async def _store(cache: dict[tuple, Any], key: tuple, pending: Any) -> Any:
        result = await pending
        cache[key] = result
        return result
