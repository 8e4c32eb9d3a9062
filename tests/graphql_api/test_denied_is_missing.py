"""Denied is identical to missing, everywhere (decision 0150).

Every query and mutation argument of type ID, found in the schema itself, is tried over HTTP by
every role: once with an id of a row that exists but the caller may not see or change, once with
an id of no row at all. The two answers must be the same bytes, cost the same number of database
queries, and leave the database as it was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .conftest import gid
from .over_http import URL
from .walk import CASES, Role, db_state, document, domain_tables, fill, ref_paths, schema_id_paths

MISSING_PK = 987_654_321


def _post(role: Role, query: str, variables: dict[str, Any]) -> tuple[int, bytes, int]:
    headers = {"HTTP_AUTHORIZATION": role.user._test_bearer} if role.user is not None else {}
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                                 content_type="application/json", **headers)
    return response.status_code, response.content, len(queries)


def test_every_id_argument_of_the_schema_has_a_case():
    covered = {(op, path) for op, args in CASES for path, _type in ref_paths(args)}
    missing = schema_id_paths() - covered
    assert not missing, f"id-taking arguments without a case in tests/graphql_api/walk.py: {sorted(missing)}"
    assert covered <= schema_id_paths(), sorted(covered - schema_id_paths())


def _attempts() -> list[tuple[str, dict[str, Any], str, str, str]]:
    """(operation, arguments, document, argument path, id type) for every id argument of every case."""
    return [(op, args, document(op, args), path, type_name)
            for op, args in CASES for path, type_name in dict.fromkeys(ref_paths(args))]


# Mutations that answer an id of no row without an error. markNotificationsRead marks those of the
# ids that are the caller's own and ignores the rest, missing or someone else's alike.
IGNORES_UNKNOWN_IDS = {"markNotificationsRead"}

ROLES = ["anonymous", "customer", "another customer", "fieldworker", "another fieldworker", "staff", "admin"]


def _errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(body.get("errors") or [])
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict) and value.get("errors"):
            found.extend(value["errors"])
    return found


@pytest.mark.parametrize("role_name", ROLES)
def test_denied_is_identical_to_missing(walk, role_name):
    role = walk.roles[role_name]
    differences: list[str] = []
    tried = 0

    def own(type_name: str) -> str:
        # a type the world has no row of (decision 0150): the id of no row
        return gid(type_name, role.own.get(type_name, MISSING_PK))

    tables = domain_tables()
    attempts = _attempts()
    for op, args, query, path, type_name in attempts:
        missing_vars = fill(args, path, gid(type_name, MISSING_PK), own)
        before = db_state(tables)
        missing = _post(role, query, missing_vars)
        hidden_rows = role.hidden.get(type_name, [])
        for pk in hidden_rows:
            sent = gid(type_name, pk)
            denied = _post(role, query, fill(args, path, sent, own))
            # an answer may echo the id the caller sent (formSchema's serviceId): that tells nothing
            denied = (denied[0], denied[1].replace(sent.encode(), gid(type_name, MISSING_PK).encode()), denied[2])
            label = f"{op}({path}={type_name}:{pk})"
            if denied[0] != missing[0] or denied[1] != missing[1]:
                differences.append(f"{label}: denied {denied[0]} {denied[1][:400]!r}\n"
                                   f"    missing {missing[0]} {missing[1][:400]!r}")
            elif denied[2] != missing[2]:
                differences.append(f"{label}: {denied[2]} queries denied, {missing[2]} missing")
        after = db_state(tables)
        if after != before:
            changed = sorted(label for label in before if before[label] != after.get(label))
            differences.append(f"{op}({path}): changed the database: {changed}")
        body = json.loads(missing[1])
        if missing[0] >= 500 or any((e.get("extensions") or {}).get("code") == "internal_error"
                                    for e in body.get("errors") or []):
            differences.append(f"{op}({path}): fault {missing[1][:300]!r}")
        if query.startswith("mutation") and op not in IGNORES_UNKNOWN_IDS and not _errors_of(body):
            differences.append(f"{op}({path}): an id of no row was not refused: {missing[1][:300]!r}")
        tried += 1 + len(hidden_rows)
    print(f"walk {role_name}: {len(attempts)} id arguments, {tried} calls")
    assert not differences, "\n".join(differences)
