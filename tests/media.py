"""Stored files in tests: every test that stores a file asks for ``media`` (tests/conftest.py), a fresh
MEDIA_ROOT of its own, and reads what landed there with ``stored_files``."""

from __future__ import annotations

from pathlib import Path


def stored_files(root: Path) -> list[str]:
    """The files under ``root``, as paths relative to it, sorted."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
