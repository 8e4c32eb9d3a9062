from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

from .models import Company, Label, TermsVersion, TradingName

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
    company = Company.objects.filter(pk=1).first()
    if company is None:
        company, _ = Company.objects.get_or_create(pk=1)
    if scope is not None:
        scope["company"] = company
    return company


# --- trading names, terms, labels (issue 18) ---------------------------------------------------------


def default_trading_name() -> TradingName:
    """The trading name that brands what has no trading name of its own (booking job sheets). A data
    migration makes one from the company; where none is stored (a flushed test database) an unsaved
    one is made from the company's details, without writing."""
    row = TradingName.objects.filter(is_default=True).first()
    if row is not None:
        return row
    company = get_company()
    return TradingName(name=company.name, email=company.email, phone=company.phone, website=company.website,
                       address=company.address, is_default=True)


def terms_in_force(trading_name: TradingName, at: datetime | None = None) -> TermsVersion | None:
    """The version in force at ``at`` (now): the latest whose start has passed."""
    if trading_name.pk is None:
        return None
    at = at or timezone.now()
    return (TermsVersion.objects.filter(trading_name_id=trading_name.pk, in_force_from__lte=at)
            .order_by("-in_force_from", "-version").first())


def labels_for(kind: str, *, include_inactive: bool = False) -> list[Label]:
    """The labels that may tag ``kind`` (quote, invoice, booking, customer). The list is short and
    managed (at most ``services.MAX_LABELS``), and a JSON list is filtered the same on both databases
    here rather than with a lookup SQLite lacks."""
    rows = Label.objects.all() if include_inactive else Label.objects.filter(active=True)
    return [label for label in rows if kind in (label.applies_to or [])]
