from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _lists(db) -> None:
    """The lists as the migration made them (a transactional test elsewhere may have emptied them)."""
    from core.complaints.defaults import ensure_lists

    ensure_lists()
