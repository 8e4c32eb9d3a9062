"""The one connection class: total count, and page size capped by settings.GRAPHQL_MAX_PAGE_SIZE."""

from __future__ import annotations

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry_django.relay import DjangoListConnection

from core.errors import ValidationFailed


@strawberry.type(name="CountedConnection", description="A page of items with the total count.")
class CappedConnection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, before: str | None = None, after: str | None = None,
                           first: int | None = None, last: int | None = None, **kwargs: Any) -> Any:
        cap = settings.GRAPHQL_MAX_PAGE_SIZE
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= cap:
                raise ValidationFailed(name, f"'{name}' must be between 0 and {cap}.", code="page_size")
        if kwargs.get("max_results") is None:
            kwargs["max_results"] = cap
        return super().resolve_connection(nodes, info=info, before=before, after=after, first=first,
                                          last=last, **kwargs)
