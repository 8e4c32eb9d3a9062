from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core import rawsql

from .models import Company

# Within ``read_once()`` (one inbound webhook, say) the company is read at most once: the reply, the
# service and the e-mail it sends each ask for it. Outside it, every call reads the row.
_scope: ContextVar[dict[str, Company] | None] = ContextVar("company_scope", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def forget() -> None:
    """The company changed: the next read in this scope goes to the database."""
    scope = _scope.get()
    if scope is not None:
        scope.clear()


def get_company() -> Company:
    scope = _scope.get()
    if scope is not None and "company" in scope:
        return scope["company"]
    company = rawsql.get(Company, 1)  # read on most requests: no statement building (decision 0409)
    if company is None:
        company, _ = Company.objects.get_or_create(pk=1)
    if scope is not None:
        scope["company"] = company
    return company
