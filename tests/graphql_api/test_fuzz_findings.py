"""Defects the walk and the fuzz found, each tried again over HTTP as its caller meets it
(decisions 0150, 0151). Each of these failed before its fix."""

from __future__ import annotations

import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .conftest import gid
from .over_http import URL
from .walk import db_state, domain_tables

ERRORS = "errors { code field message }"


def _post(user, query: str, **variables) -> dict:
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


def _refused(walk, role: str, query: str, code: str, field: str, **variables) -> dict:
    tables = domain_tables()
    before = db_state(tables)
    body = _post(walk.roles[role].user, query, **variables)
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)], payload
    assert db_state(tables) == before
    return payload


CREATE = f"mutation($v: CreateBookingInput!) {{ createBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}"
SERIES = (f"mutation($v: CreateBookingSeriesInput!) {{ createBookingSeries(input: $v) "
          f"{{ series {{ id }} {ERRORS} }} }}")


def _series(walk, **overrides) -> dict:
    own = walk.roles["staff"].own
    return {"customerId": gid("Customer", own["Customer"]), "propertyId": gid("Property", own["Property"]),
            "rule": "FREQ=WEEKLY;COUNT=2", "startDate": "2031-03-04", "startTime": "09:00",
            "lines": [{"serviceId": gid("Service", own["Service"])}], **overrides}


def test_a_quantity_that_rounds_to_zero_is_refused(walk):
    """0.004 passed the "above 0" check and was stored as 0.00, which the database's positive-
    quantity constraint refused: internal_error on both databases."""
    own = walk.roles["staff"].own
    booking = _refused(walk, "staff", CREATE, "invalid_quantity", "lines.0.quantity", v={
        "customerId": gid("Customer", own["Customer"]), "propertyId": gid("Property", own["Property"]),
        "scheduledStart": "2031-03-03T09:00:00+00:00",
        "lines": [{"serviceId": gid("Service", own["Service"]), "quantity": "0.004"}]})
    series = _refused(walk, "staff", SERIES, "invalid_quantity", "lines.0.quantity",
                      v=_series(walk, lines=[{"description": "Odd job", "unitPrice": "10", "quantity": "0.001"}],
                                durationMinutes=60))
    assert booking["booking"] is None and series["series"] is None


def test_a_series_needs_between_one_and_twenty_workers(walk):
    """A negative workersRequired reached the series row's positive column: internal_error on PostgreSQL."""
    for workers in (-3, 0, 21):
        payload = _refused(walk, "staff", SERIES, "out_of_range", "workersRequired",
                           v=_series(walk, workersRequired=workers))
        assert payload["series"] is None


def test_a_series_with_an_unknown_fieldworker_is_refused_not_booked_with_conflicts(walk):
    """The series was created and each occurrence recorded a not_found conflict for the missing id."""
    own = walk.roles["staff"].own
    payload = _refused(walk, "staff", SERIES, "not_found", "fieldworkerIds.1", v=_series(
        walk, fieldworkerIds=[gid("Fieldworker", own["Fieldworker"]), gid("Fieldworker", 987_654_321)]))
    assert payload["series"] is None


def test_a_retired_service_looks_missing_to_a_customer_asking_for_slots(walk):
    """It answered service_inactive with the service's name, telling a customer that it exists."""
    query = ('query($s: ID!) { availableSlots(serviceId: $s, from: "2031-03-04T00:00:00Z", '
             'to: "2031-03-05T00:00:00Z") { start } }')
    customer = walk.roles["customer"]
    retired = _post(customer.user, query, s=gid("Service", customer.hidden["Service"][0]))
    missing = _post(customer.user, query, s=gid("Service", 987_654_321))
    assert retired == missing
    assert retired["errors"][0]["extensions"] == {"code": "not_found", "field": "serviceId"}
    staff = _post(walk.roles["staff"].user, query, s=gid("Service", customer.hidden["Service"][0]))
    assert staff["errors"][0]["extensions"]["code"] == "service_inactive"  # staff still learn why


def test_someone_elses_booking_costs_a_fieldworker_the_same_queries_as_a_missing_one(walk):
    """Looking up the assignment only for a booking that exists made a denied booking one query
    dearer than a missing one: the answer was the same, the work told them apart."""
    fieldworker = walk.roles["fieldworker"]
    query = f"mutation($id: ID!) {{ startBooking(id: $id) {{ booking {{ id }} {ERRORS} }} }}"
    counts, bodies = [], []
    for pk in (fieldworker.hidden["Booking"][0], 987_654_321):
        with CaptureQueriesContext(connection) as queries:
            bodies.append(_post(fieldworker.user, query, id=gid("Booking", pk)))
        counts.append(len(queries))
    assert bodies[0] == bodies[1]
    assert bodies[0]["data"]["startBooking"]["errors"][0]["code"] == "not_found"
    assert counts[0] == counts[1], counts


def test_a_retired_service_costs_a_customer_asking_for_a_price_what_a_missing_one_does(walk):
    """priceQuote read a retired service's volume tiers before refusing it: one query more than for
    an id of no row."""
    customer = walk.roles["customer"]
    query = "query($s: ID!, $p: ID) { priceQuote(serviceId: $s, propertyId: $p) { unitPrice } }"
    counts, bodies = [], []
    for pk in (customer.hidden["Service"][0], 987_654_321):
        with CaptureQueriesContext(connection) as queries:
            bodies.append(_post(customer.user, query, s=gid("Service", pk), p=gid("Property", customer.own["Property"])))
        counts.append(len(queries))
    assert bodies[0] == bodies[1]
    assert bodies[0]["errors"][0]["extensions"]["code"] == "not_found"
    assert counts[0] == counts[1], counts
