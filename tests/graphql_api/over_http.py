"""GraphQL over HTTP as a signed-in user, for tests that look at the API from the outside."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from .conftest import bearer

URL = "/graphql/"


def sign_in(*users) -> None:
    """Issue each user a bearer token and use it once, so that later requests write nothing of their
    own (the token's last use is stamped at most every few minutes) and database snapshots compare."""
    for user in users:
        if not hasattr(user, "_test_bearer"):
            user._test_bearer = bearer(user)
            gql(user, "{ me { kind } }")


def gql(user, query: str, **variables: Any) -> dict[str, Any]:
    """``data`` of ``query`` sent by ``user``; a GraphQL error fails the test."""
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]
