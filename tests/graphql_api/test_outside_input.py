"""Input from outside that used to reach a resolver and fail there: each is now a typed error (or a
400 for a body that is not JSON a server can hold), with no traceback logged and nothing changed."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from django.test import Client

from .conftest import bearer
from .operations import snapshot

URL = "/graphql/"


def send(auth: str, body: bytes | str, caplog) -> tuple[int, dict]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = Client().post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
    assert response.status_code < 500
    is_json = response["Content-Type"].startswith("application/json")
    return response.status_code, response.json() if is_json else {}


def gql(query: str, variables: dict | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


def codes(result: dict) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.get("errors", [])]


CASES = {
    "garbled cursor": (gql('{ customers(after: "[") { edges { node { id } } } }'), "invalid_cursor"),
    "cursor of another shape": (gql('query($c: String) { customers(after: $c) { totalCount } }',
                                    {"c": base64.b64encode(b"arrayconnection:-1").decode()}), "invalid_cursor"),
    "node id with an exponent": (gql('query($id: ID!) { node(id: $id) { id } }',
                                     {"id": base64.b64encode(b"Booking:1e3").decode()}), "invalid_id"),
    "node id of no type": (gql('query($id: ID!) { node(id: $id) { id } }',
                               {"id": base64.b64encode(b"Nothing:1").decode()}), "invalid_id"),
    "year 0001 with an offset (variable)": (
        gql('query($f: DateTime) { bookings(filter: {from: $f}) { totalCount } }',
            {"f": "0001-01-01T00:00:00+05:00"}), "invalid_variables"),
    "year 0001 (literal)": (gql('{ bookings(filter: {to: "0001-01-01T00:00:00+05:00"}) { totalCount } }'),
                            "graphql_validation_failed"),
    "token limit": (gql("{ " + " ".join(f"a{i}: __typename" for i in range(1500)) + " }"), "query_too_large"),
    "syntax error": (gql("{ bookings("), "graphql_parse_failed"),
    "unknown field": (gql("{ nope }"), "graphql_validation_failed"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_typed_error(world, caplog, case):
    body, code = CASES[case]
    auth = bearer(world.staff.user)
    send(auth, json.dumps({"query": "{ __typename }"}), caplog)  # the token's first use is recorded
    before = snapshot()
    status, result = send(auth, body, caplog)
    assert status == 200 and code in codes(result), result
    assert "internal_error" not in codes(result)
    assert snapshot() == before


@pytest.mark.parametrize("body", [
    # a lone surrogate: valid to Python's json module, unencodable as UTF-8 for the database or a log
    b'{"query": "mutation($s: String!) { login(email: $s, password: $s) { errors { code } } }", '
    b'"variables": {"s": "\\ud800x"}}',
    # nesting no parser should follow
    b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
], ids=["lone surrogate", "5000 levels of nesting"])
def test_a_body_no_server_can_hold_is_a_400(world, caplog, body):
    auth = bearer(world.staff.user)
    send(auth, json.dumps({"query": "{ __typename }"}), caplog)
    before = snapshot()
    status, _result = send(auth, body, caplog)
    assert status == 400
    assert snapshot() == before
