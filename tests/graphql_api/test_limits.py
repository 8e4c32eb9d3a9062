"""Depth, alias and token limits; introspection toggle; the exported schema file."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings as django_settings

from graphql_api.management.commands.graphql_schema import current_sdl

from .conftest import run


def _deep(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"assignments {{ booking {{ {inner} }} }}"
    return f"{{ bookings {{ edges {{ node {{ {inner} }} }} }} }}"


def test_depth_limit(world, settings):
    settings.GRAPHQL_MAX_DEPTH = 10
    shallow = run(world.staff, _deep(2))
    assert "errors" not in shallow
    deep = run(world.staff, _deep(6))
    assert deep["data"] is None and "exceeds maximum operation depth" in deep["errors"][0]["message"]


def test_alias_limit(world, settings):
    settings.GRAPHQL_MAX_ALIASES = 15
    ok = "{ " + " ".join(f"a{i}: me {{ kind }}" for i in range(15)) + " }"
    assert "errors" not in run(world.staff, ok)
    too_many = "{ " + " ".join(f"a{i}: me {{ kind }}" for i in range(16)) + " }"
    result = run(world.staff, too_many)
    assert result["data"] is None and "aliases" in result["errors"][0]["message"]


def test_token_limit(world, settings):
    settings.GRAPHQL_MAX_TOKENS = 40
    assert "errors" not in run(world.staff, "{ me { kind } }")
    long_query = "{ me { " + " ".join(["kind"] * 60) + " } }"
    result = run(world.staff, long_query)
    assert result["data"] is None and "token" in result["errors"][0]["message"].lower()


INTROSPECT = "{ __schema { queryType { name } } }"


def test_introspection_off_by_default_without_debug(world):
    assert django_settings.GRAPHQL_INTROSPECTION is False  # tests run with DEBUG off
    result = run(world.staff, INTROSPECT)
    assert result["data"] is None and "introspection" in result["errors"][0]["message"].lower()


def test_introspection_on_when_configured(world, settings):
    settings.GRAPHQL_INTROSPECTION = True
    assert run(world.staff, INTROSPECT)["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_schema_file_is_current():
    path = Path(django_settings.BASE_DIR) / "schema.graphql"
    assert path.exists() and path.read_text() == current_sdl(), (
        "schema.graphql is stale. Regenerate it with: DEBUG=1 .venv/bin/python manage.py graphql_schema"
    )
