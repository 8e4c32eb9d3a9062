from __future__ import annotations

import pytest

from core import events
from core.company.events import CompanyEvent


@pytest.fixture
def company_events(published):
    """Company events that left after commit (they are not booking events; ``published`` flushes)."""
    seen: list = []
    events.subscribe(CompanyEvent, seen.append)

    class Seen:
        def all(self):
            published.all()  # runs the pending on-commit callbacks
            return list(seen)

        @property
        def names(self):
            return [event.name for event in self.all()]

        def clear(self):
            published.all()
            seen.clear()

    yield Seen()
    events.unsubscribe(CompanyEvent, seen.append)
