"""A NUL character in any string of a request is refused as such, on every database (decision 0151).

Found by the fuzz (tests/graphql_api/test_fuzz.py): on PostgreSQL a NUL reached the database driver
and came back as ``internal_error``; on SQLite it was stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from .over_http import URL
from .walk import db_state, domain_tables

LITERALS = {
    "createPropertyType": ('mutation { createPropertyType(name: "Barn\\u0000") { propertyType { id } } }', "name"),
    "createServiceCategory": ('mutation { createServiceCategory(name: "a\\u{0}b") { category { id } } }', "name"),
    "createCustomer": ('mutation { createCustomer(input: {name: "Ann", notes: "x\\u0000"}) { customer { id } } }',
                       "input.notes"),
    "customers": ('{ customers(search: "an\\u0000") { totalCount } }', "search"),
}


def _post(user, body: dict) -> dict:
    headers = {"HTTP_AUTHORIZATION": user._test_bearer} if user is not None else {}
    response = Client().post(URL, json.dumps(body), content_type="application/json", **headers)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("case", sorted(LITERALS))
def test_a_nul_in_a_literal_is_refused_and_nothing_changes(walk, case):
    query, field = LITERALS[case]
    tables = domain_tables()
    before = db_state(tables)
    body = _post(walk.roles["staff"].user, {"query": query})
    assert body["data"] is None
    assert [(error["extensions"]["code"], error["extensions"].get("field")) for error in body["errors"]] \
        == [("invalid_characters", field)], body
    assert body["errors"][0]["message"] == "Text cannot contain NUL characters."
    assert db_state(tables) == before


VARIABLES = {
    "createApiToken": ("mutation($v: CreateApiTokenInput!) { createApiToken(input: $v) { result { token } } }",
                       {"v": {"name": "laptop\x00"}}, "v.name"),
    "createBookingSeries": (
        "mutation($v: CreateBookingSeriesInput!) { createBookingSeries(input: $v) { series { id } } }",
        {"v": {"customerId": "Q3VzdG9tZXI6MQ==", "rule": "FREQ=WEEKLY", "startDate": "2031-03-04",
               "startTime": "09:00", "lines": [{"description": "ok"}, {"description": "bad\x00"}]}},
        "v.lines.1.description"),
    "login": ("mutation($e: String!, $p: String!) { login(email: $e, password: $p) { result { token } } }",
              {"e": "ann@example.com", "p": "\x00"}, "p"),
}


@pytest.mark.parametrize("case", sorted(VARIABLES))
def test_a_nul_in_a_variable_is_refused_and_nothing_changes(walk, case):
    query, variables, field = VARIABLES[case]
    tables = domain_tables()
    before = db_state(tables)
    user = None if case == "login" else walk.roles["staff"].user
    body = _post(user, {"query": query, "variables": variables})
    assert body["data"] is None
    assert [(error["extensions"]["code"], error["extensions"].get("field")) for error in body["errors"]] \
        == [("invalid_characters", field)], body
    assert db_state(tables) == before


def test_the_same_document_without_the_nul_still_runs(walk):
    """The check refuses the value, not the document: a known-good document with a NUL in a
    variable is refused even though it passed validation before, and runs again without it."""
    query = "mutation($v: CreateApiTokenInput!) { createApiToken(input: $v) { result { token } errors { code } } }"
    staff = walk.roles["staff"].user
    assert _post(staff, {"query": query, "variables": {"v": {"name": "one"}}})["data"]["createApiToken"]["result"]
    refused = _post(staff, {"query": query, "variables": {"v": {"name": "t\x00wo"}}})
    assert refused["errors"][0]["extensions"]["code"] == "invalid_characters"
    assert _post(staff, {"query": query, "variables": {"v": {"name": "three"}}})["data"]["createApiToken"]["result"]
