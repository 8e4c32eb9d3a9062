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
import json
import weakref
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

SHARED_EXECUTION = "__shared_execution__"

# payload object -> {operation key: result}; entries vanish with the payload (memoised per event
# in types.built, so it lives as long as it may be needed).
_results: weakref.WeakKeyDictionary[Any, dict[tuple, Any]] = weakref.WeakKeyDictionary()


def _operation_key(executor: Any) -> tuple | None:
    operation = executor.operation
    loc = getattr(operation, "loc", None)
    source = getattr(getattr(loc, "source", None), "body", None)
    if source is None:
        return None
    try:
        variables = json.dumps(executor.variable_values.coerced, sort_keys=True, default=str)
    except (AttributeError, TypeError, ValueError):
        return None
    name = operation.name.value if operation.name else None
    return (source, loc.start, loc.end, name, variables)


class SharedEventExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        payload = self.root_value
        if not getattr(type(payload), SHARED_EXECUTION, False):
            return super().execute_operation(serially)
        key = _operation_key(self)
        if key is None:
            return super().execute_operation(serially)
        cache = _results.setdefault(payload, {})
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
