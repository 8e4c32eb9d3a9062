"""Stored files in tests: every test that stores a file asks for ``media`` (tests/conftest.py), a fresh
MEDIA_ROOT of its own, and reads what landed there with ``stored_files``."""

from __future__ import annotations

from pathlib import Path


def stored_files(root: Path) -> list[str]:
    """The files under ``root``, as paths relative to it, sorted."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def unchanged(media, call):
    """Run ``call``; assert the whole database and the stored files are as before. Returns its result."""
    from tests.core.support import _touch_singletons, db_state

    _touch_singletons()
    before, files = db_state(), stored_files(media)
    result = call()
    assert db_state() == before
    assert stored_files(media) == files
    return result
