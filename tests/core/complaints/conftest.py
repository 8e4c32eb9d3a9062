from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import events
from core.complaints.events import ComplaintChanged


class ComplaintEvents:
    def __init__(self) -> None:
        self.seen: list[ComplaintChanged] = []

    def all(self) -> list[ComplaintChanged]:
        from django.db import connection

        while connection.run_on_commit:
            pending, connection.run_on_commit = connection.run_on_commit, []
            for _sids, func, _robust in pending:
                func()
        return list(self.seen)

    @property
    def actions(self) -> list[str]:
        return [event.action for event in self.all()]


@pytest.fixture(autouse=True)
def _lists(db) -> None:
    """The lists as the migration made them (a transactional test elsewhere may have emptied them)."""
    from core.complaints.defaults import ensure_lists

    ensure_lists()


@pytest.fixture
def complaint_events(db) -> Iterator[ComplaintEvents]:
    recorder = ComplaintEvents()
    events.subscribe(ComplaintChanged, recorder.seen.append)
    try:
        yield recorder
    finally:
        events.unsubscribe(ComplaintChanged, recorder.seen.append)
