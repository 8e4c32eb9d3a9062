"""The one connection class: total count, and page size capped by settings.GRAPHQL_MAX_PAGE_SIZE."""

from __future__ import annotations

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry.relay.types import PREFIX
from strawberry.relay.utils import from_base64
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
        for name, cursor in (("after", after), ("before", before)):
            if cursor is not None:
                check_cursor(name, cursor)
        if kwargs.get("max_results") is None:
            kwargs["max_results"] = cap
        return super().resolve_connection(nodes, info=info, before=before, after=after, first=first,
                                          last=last, **kwargs)


def check_cursor(name: str, cursor: str) -> None:
    """A cursor is what a page gave out (``arrayconnection:<offset>`` in base64); anything else is an
    ``invalid_cursor`` error on that argument, not a fault."""
    try:
        prefix, offset = from_base64(cursor)
    except Exception:
        prefix, offset = "", ""
    if prefix != PREFIX or not offset.isascii() or not offset.isdigit() or len(offset) > 9:
        raise ValidationFailed(name, f"'{name}' is not a cursor this list gave out.", code="invalid_cursor")
