from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import events
from core.catalog.events import CatalogChanged
from tests.conftest import EventRecorder


@pytest.fixture
def published(db) -> Iterator[EventRecorder]:
    """Catalogue events and booking events alike, in the order they left after commit."""
    recorder = EventRecorder()
    for kind in (CatalogChanged, events.DomainEvent):
        events.subscribe(kind, recorder.seen.append)
    try:
        yield recorder
    finally:
        for kind in (CatalogChanged, events.DomainEvent):
            events.unsubscribe(kind, recorder.seen.append)
