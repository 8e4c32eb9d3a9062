"""Assertions shared by the core service tests: a refusal raises the expected code and leaves
the database and the event stream exactly as they were."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from core.company.selectors import get_company
from core.errors import DomainError

# every table the domain owns; small in tests, so a full dump is cheap and catches stray writes
_APPS = ("accounts", "company", "crm", "catalog", "workforce", "bookings", "jobdata", "files", "payroll", "reviews",
         "integrations")


def db_state() -> dict[str, list[dict[str, Any]]]:
    state: dict[str, list[dict[str, Any]]] = {}
    tables = set(connection.introspection.table_names())
    for label in _APPS:
        # auto-created many-to-many tables too (an inquiry's bookings): a stray link is a write
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table not in tables:  # a model still waiting for its migration
                continue
            state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def _touch_singletons() -> None:
    """Settings rows are created on first read; creating one is not a change a refusal made."""
    get_company()
    from core.workforce import selectors as workforce_selectors

    settings_row = getattr(workforce_selectors, "scheduling_settings", None)
    if settings_row is not None:
        settings_row()
    from core.workforce.profile import profile_settings

    profile_settings()


def assert_refused(call: Callable[[], Any], code: str, *, published=None, field: str | None = None) -> DomainError:
    """``call`` raises DomainError(code), writes nothing and publishes nothing."""
    if published is not None:
        published.clear()
    _touch_singletons()
    before = db_state()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, f"expected {code!r}, got {caught.value.code!r}: {caught.value.message}"
    if field is not None:
        assert caught.value.field == field
    assert db_state() == before
    if published is not None:
        assert published.names == []
    return caught.value
