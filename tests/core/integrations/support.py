"""What the webhook tests share: a receiver per test, the integrator's own signature check, and
GraphQL over HTTP that may answer errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from django.test import Client

from tests.graphql_api.over_http import URL, sign_in


def verified(secret: str, headers: dict[str, str], body: bytes) -> int:
    """How many of the ``webhook-signature`` entries the secret verifies, computed as a receiver
    would: HMAC-SHA256 keyed with the base64-decoded part after ``whsec_``, over ``id.timestamp.body``."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [entry.split(",", 1) for entry in headers["webhook-signature"].split(" ")]
    return sum(1 for version, value in given if version == "v1" and hmac.compare_digest(value, expected))


def graphql(user, query: str, **variables) -> dict:
    """The whole answer (data and errors) of ``query`` sent by ``user`` with a bearer token."""
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


CREATE = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  secret webhookEndpoint { id url eventTypes active } errors { code field } } }"""
