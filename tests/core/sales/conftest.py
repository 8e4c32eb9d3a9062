from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import cache

from core import events
from core.sales.invoice_events import InvoiceChanged


@pytest.fixture(autouse=True)
def _sales_env(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    mail.outbox = []
    cache.clear()
    yield
    cache.clear()


class InvoiceEvents:
    def __init__(self) -> None:
        self.seen: list[InvoiceChanged] = []

    @property
    def actions(self) -> list[str]:
        from tests.core.outreach.support import deliver

        deliver()
        return [event.action for event in self.seen]


@pytest.fixture
def invoice_events(db) -> Iterator[InvoiceEvents]:
    recorder = InvoiceEvents()
    events.subscribe(InvoiceChanged, recorder.seen.append)
    try:
        yield recorder
    finally:
        events.unsubscribe(InvoiceChanged, recorder.seen.append)


class QuoteEvents:
    def __init__(self) -> None:
        from core.sales.quote_events import QuoteChanged

        self.seen: list[QuoteChanged] = []

    @property
    def actions(self) -> list[str]:
        from tests.core.outreach.support import deliver

        deliver()
        return [event.action for event in self.seen]


@pytest.fixture
def quote_events(db) -> Iterator[QuoteEvents]:
    from core.sales.quote_events import QuoteChanged

    recorder = QuoteEvents()
    events.subscribe(QuoteChanged, recorder.seen.append)
    try:
        yield recorder
    finally:
        events.unsubscribe(QuoteChanged, recorder.seen.append)
