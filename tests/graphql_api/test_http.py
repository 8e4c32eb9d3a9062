"""The HTTP endpoint: bearer tokens, sessions with CSRF, body size, GraphiQL."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.accounts.services import token_revoke
from core.actors import Actor, Channel
from core.bookings.models import Booking

from .conftest import bearer, gid
from .operations import snapshot

URL = "/graphql/"


def post(client: Client, query: str, variables=None, **headers):
    body = json.dumps({"query": query, "variables": variables or {}})
    return client.post(URL, body, content_type="application/json", **headers)


def test_bearer_token_identifies_the_user(world):
    response = post(Client(), "{ me { kind user { email } } }", HTTP_AUTHORIZATION=bearer(world.cust_a.user))
    assert response.status_code == 200
    assert response.json()["data"]["me"] == {"kind": "customer", "user": {"email": world.cust_a.user.email}}


def test_no_credentials_is_anonymous(world):
    response = post(Client(), "{ me { kind } bookings { totalCount } }")
    assert response.json()["data"] == {"me": None, "bookings": {"totalCount": 0}}


@pytest.mark.parametrize("header", ["Bearer fo_not-a-real-token", "Token abc", "Bearer", "Basic dXNlcjpwYXNz"])
def test_bad_authorization_is_401(world, header):
    response = post(Client(), "{ me { kind } }", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "unauthenticated"
    assert "invalid_token" in response["WWW-Authenticate"]


def test_revoked_token_is_401(world):
    header = bearer(world.cust_a.user)
    from core.accounts.models import ApiToken

    token = ApiToken.objects.get(user=world.cust_a.user)
    token_revoke(actor=Actor.from_user(world.cust_a.user), channel=Channel.SYSTEM, token_id=token.pk)
    assert post(Client(), "{ me { kind } }", HTTP_AUTHORIZATION=header).status_code == 401


def test_login_over_http_then_use_the_token(world):
    doc = 'mutation { login(email: "%s", password: "pw-staff-123") { result { token } errors { code } } }'
    response = post(Client(), doc % world.staff.user.email)
    token = response.json()["data"]["login"]["result"]["token"]
    me = post(Client(), "{ me { kind } }", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["data"]["me"]["kind"] == "staff"


def test_login_over_http_is_limited_per_client_address(world):
    from core.accounts.throttle import CLIENT_LIMIT as LOGIN_LIMIT_PER_CLIENT

    doc = 'mutation { login(email: "%s", password: "%s") { result { token } errors { code } } }'
    for i in range(LOGIN_LIMIT_PER_CLIENT):
        response = post(Client(REMOTE_ADDR="203.0.113.5"), doc % (f"guess{i}@example.com", "x"))
        assert response.json()["data"]["login"]["errors"][0]["code"] == "invalid_credentials"
    before = snapshot()
    limited = post(Client(REMOTE_ADDR="203.0.113.5"), doc % (world.staff.user.email, "pw-staff-123"))
    assert limited.status_code == 200
    assert limited.json()["data"]["login"] == {"result": None, "errors": [{"code": "rate_limited"}]}
    assert snapshot() == before  # no token issued
    other = post(Client(REMOTE_ADDR="198.51.100.7"), doc % (world.staff.user.email, "pw-staff-123"))
    assert other.json()["data"]["login"]["result"]["token"]


def test_session_needs_csrf_but_token_does_not(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff.user)
    mutation = 'mutation($id: ID!) { confirmBooking(id: $id) { booking { status } errors { code } } }'
    variables = {"id": gid("Booking", world.booking_a.pk)}
    refused = post(client, mutation, variables)
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "csrf_failed"
    assert Booking.objects.get(pk=world.booking_a.pk).status == "pending"
    csrf = "k" * 32  # the cookie secret a browser would hold; the header must match it
    client.cookies["csrftoken"] = csrf
    accepted = post(client, mutation, variables, HTTP_X_CSRFTOKEN=csrf)
    assert accepted.json()["data"]["confirmBooking"]["booking"]["status"] == "CONFIRMED"
    # a bearer-token client carries no ambient credentials and needs no CSRF token
    token_client = Client(enforce_csrf_checks=True)
    me = post(token_client, "{ me { kind } }", HTTP_AUTHORIZATION=bearer(world.fw_a.user))
    assert me.json()["data"]["me"]["kind"] == "fieldworker"


def test_oversized_body_is_refused_before_parsing(world, settings):
    before = snapshot()
    notes = "x" * (10 * 1024 * 1024)
    response = post(Client(), 'mutation($v: UpdateBookingInput!) { updateBooking(input: $v) { errors { code } } }',
                    {"v": {"id": gid("Booking", world.booking_a.pk), "notes": notes}},
                    HTTP_AUTHORIZATION=bearer(world.staff.user))
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "request_too_large"
    after = snapshot()
    after.pop("ApiToken"), before.pop("ApiToken")
    assert after == before


def test_graphiql_page(world, settings):
    settings.GRAPHQL_GRAPHIQL = True
    response = Client().get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"graphiql" in response.content.lower()


def test_no_graphiql_page_unless_a_setting_turns_it_on(world, settings):
    settings.GRAPHQL_GRAPHIQL = False
    response = Client().get(URL, HTTP_ACCEPT="text/html")
    assert b"graphiql" not in response.content.lower()
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("query", [
    "{ bookingz { totalCount } }",  # an unknown field
    "{ bookings(filtr: {}) { totalCount } }",  # an unknown argument
    "{ bookings(filter: {statuz: [CONFIRMED]}) { totalCount } }",  # an unknown input field
    "{ bookings(filter: {status: [CONFIRMD]}) { totalCount } }",  # an unknown enum value
])
def test_names_are_not_suggested_while_introspection_is_off(world, settings, query):
    settings.GRAPHQL_INTROSPECTION = True
    on = post(Client(), query, HTTP_AUTHORIZATION=bearer(world.staff.user)).json()
    assert "Did you mean" in on["errors"][0]["message"]
    settings.GRAPHQL_INTROSPECTION = False
    off = post(Client(), query, HTTP_AUTHORIZATION=bearer(world.staff.user)).json()
    assert "Did you mean" not in off["errors"][0]["message"]
    assert off["errors"][0]["extensions"]["code"] == "graphql_validation_failed"


def test_errors_never_leak_tracebacks(world):
    response = post(Client(), "{ bookings(first: 5000) { totalCount } }", HTTP_AUTHORIZATION=bearer(world.staff.user))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Traceback" not in text and "page_size" in text


def test_oversized_body_without_content_length_is_refused(world, settings):
    from io import BytesIO

    from django.test import RequestFactory

    from graphql_api.schema import schema
    from graphql_api.views import FieldopsGraphQLView

    settings.GRAPHQL_MAX_BODY_BYTES = 1000
    view = FieldopsGraphQLView.as_view(schema=schema)

    def chunked(payload: bytes):
        request = RequestFactory().generic("POST", URL, data=b"{}", content_type="application/json")
        request.META.pop("CONTENT_LENGTH", None)
        request._stream = BytesIO(payload)
        request.META["wsgi.input"] = request._stream
        return view(request)

    small = json.dumps({"query": "{ me { kind } }"}).encode()
    ok = chunked(small)
    assert ok.status_code == 200, ok.content
    big = json.dumps({"query": "{ me { kind } }", "variables": {"pad": "z" * 5000}}).encode()
    response = chunked(big)
    assert response.status_code == 413
