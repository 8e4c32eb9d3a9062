from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import events
from core.crm.events import InquiryEvent
from tests.conftest import EventRecorder


@pytest.fixture
def published(db) -> Iterator[EventRecorder]:
    """Every event that left after commit: booking events and inbox events alike."""
    recorder = EventRecorder()
    events.subscribe(events.DomainEvent, recorder.seen.append)
    events.subscribe(InquiryEvent, recorder.seen.append)
    try:
        yield recorder
    finally:
        events.unsubscribe(events.DomainEvent, recorder.seen.append)
        events.unsubscribe(InquiryEvent, recorder.seen.append)
