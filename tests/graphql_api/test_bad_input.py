"""Bad input: a clear error and nothing changed."""

from __future__ import annotations

import pytest

from .conftest import gid, run
from .operations import ERRORS, snapshot

CREATE = f"mutation($v: CreateBookingInput!) {{ createBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}"
UPDATE = f"mutation($v: UpdateBookingInput!) {{ updateBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}"


def _create_vars(world, **overrides):
    values = {"customerId": gid("Customer", world.cust_a.pk), "propertyId": gid("Property", world.prop_a.pk),
              "scheduledStart": "2031-03-03T09:00:00+00:00",
              "lines": [{"serviceId": gid("Service", world.service.pk)}]}
    values.update(overrides)
    return {"v": values}


PAYLOAD_CASES = {
    "malformed customer id": ({"customerId": "not-base64!!"}, "invalid_id", "customerId"),
    "wrong-type customer id": ("booking-as-customer", "invalid_id", "customerId"),
    "end before start": ({"scheduledEnd": "2031-03-03T08:00:00+00:00"}, "end_before_start", "scheduledEnd"),
    "negative quantity": ("negative", "invalid_quantity", "lines.0.quantity"),
    "not-a-number price": ("nan-price", "invalid", "lines.0.unitPrice"),
    "unknown time zone": ({"timeZone": "Mars/Olympus_Mons"}, "invalid_time_zone", "timeZone"),
    "10 MB notes": ({"notes": "x" * (10 * 1024 * 1024)}, "too_long", "notes"),
    "nonexistent local time": ({"scheduledStart": "2031-10-05T02:30:00", "timeZone": "Australia/Sydney"},
                               "nonexistent_time", "scheduledStart"),
}


@pytest.mark.parametrize("case", sorted(PAYLOAD_CASES))
def test_create_booking_bad_input_is_a_payload_error(world, case):
    overrides, code, field = PAYLOAD_CASES[case]
    if overrides == "booking-as-customer":
        overrides = {"customerId": gid("Booking", world.booking_a.pk)}
    elif overrides == "negative":
        overrides = {"lines": [{"serviceId": gid("Service", world.service.pk), "quantity": "-1"}]}
    elif overrides == "nan-price":
        overrides = {"lines": [{"description": "odd", "unitPrice": "NaN"}]}
    before = snapshot()
    result = run(world.staff, CREATE, **_create_vars(world, **overrides))
    assert "errors" not in result, result
    payload = result["data"]["createBooking"]
    assert payload["booking"] is None
    assert payload["errors"][0]["code"] == code, payload
    assert payload["errors"][0]["field"] == field
    assert payload["errors"][0]["message"]
    assert snapshot() == before


GRAPHQL_CASES = {
    "unknown enum value": ({"source": "CARRIER_PIGEON"}, "CARRIER_PIGEON"),
    "not a datetime": ({"scheduledStart": "next tuesday"}, "DateTime"),
    "not a decimal": ("quantity-word", "Decimal"),
    "int out of range": ({"workersRequired": 2**40}, "Int"),
    "missing required field": ("no-customer", "customerId"),
}


@pytest.mark.parametrize("case", sorted(GRAPHQL_CASES))
def test_malformed_values_are_rejected_before_anything_runs(world, case):
    overrides, mentioned = GRAPHQL_CASES[case]
    variables = _create_vars(world)
    if overrides == "quantity-word":
        variables["v"]["lines"] = [{"serviceId": gid("Service", world.service.pk), "quantity": "lots"}]
    elif overrides == "no-customer":
        del variables["v"]["customerId"]
    else:
        variables["v"].update(overrides)
    before = snapshot()
    result = run(world.staff, CREATE, **variables)
    assert result["data"] is None
    assert mentioned in result["errors"][0]["message"]
    assert "Traceback" not in str(result)
    assert snapshot() == before


def test_update_with_wrong_zone_or_window_changes_nothing(world):
    bid = gid("Booking", world.booking_a.pk)
    for values, code in (({"timeZone": "Europe/Nowhere"}, "invalid_time_zone"),
                         ({"scheduledStart": "2031-01-01T10:00:00+00:00",
                           "scheduledEnd": "2031-01-01T09:00:00+00:00"}, "end_before_start"),
                         ({"lines": [{"description": "x", "unitPrice": "-5"}]}, "invalid_price"),
                         ({"id": "Qm9va2luZzp4eXo="}, "invalid_id")):  # Booking:xyz
        before = snapshot()
        payload = run(world.staff, UPDATE, v={"id": bid, **values})["data"]["updateBooking"]
        assert payload["errors"][0]["code"] == code, payload
        assert snapshot() == before


def test_company_settings_bad_values(world):
    doc = ("mutation($v: UpdateCompanySettingsInput!) { updateCompanySettings(input: $v) "
           f"{{ settings {{ name }} {ERRORS} }} }}")
    for values in ({"timeZone": "Not/AZone"}, {"cancellationNoticeHours": -4}, {"cancellationFeeAmount": "NaN"}):
        before = snapshot()
        payload = run(world.staff, doc, v=values)["data"]["updateCompanySettings"]
        assert payload["settings"] is None and payload["errors"][0]["code"] == "invalid", (values, payload)
        assert snapshot() == before


def test_bad_ids_and_ranges_in_queries(world):
    result = run(world.staff, 'query { booking(id: "%%%") { id } }')
    assert result["errors"][0]["extensions"] == {"code": "invalid_id", "field": "id"}
    result = run(world.staff, 'query($id: ID!) { booking(id: $id) { id } }', id=gid("Customer", world.cust_a.pk))
    assert result["errors"][0]["extensions"]["code"] == "invalid_id"
    window = {"from": "2031-02-01T00:00:00+00:00", "to": "2031-01-01T00:00:00+00:00"}
    result = run(world.staff, "query($f: BookingFilter) { bookings(filter: $f) { totalCount } }", f=window)
    assert result["errors"][0]["extensions"] == {"code": "end_before_start", "field": "filter.to"}
    result = run(world.staff, 'query { bookings(filter: {status: [NOPE]}) { totalCount } }')
    assert "NOPE" in result["errors"][0]["message"]


@pytest.mark.parametrize("first", [101, -1, 10_000])
def test_page_size_is_capped(world, first):
    result = run(world.staff, "query($n: Int) { bookings(first: $n) { edges { node { id } } } }", n=first)
    assert result["data"] is None or result["data"]["bookings"] is None
    assert result["errors"][0]["extensions"] == {"code": "page_size", "field": "first"}


def test_unbounded_page_defaults_to_the_cap(world, settings):
    settings.GRAPHQL_MAX_PAGE_SIZE = 1
    result = run(world.staff, "{ bookings { totalCount edges { node { id } } pageInfo { hasNextPage } } }")
    assert result["data"]["bookings"]["totalCount"] == 2
    assert len(result["data"]["bookings"]["edges"]) == 1
    assert result["data"]["bookings"]["pageInfo"]["hasNextPage"] is True


HUGE = "y" * (10 * 1024 * 1024)


def _huge_cases(world):
    """Every free-text input, 10 MB long (as a WebSocket client could send without the HTTP cap)."""
    b, c = gid("Booking", world.booking_a.pk), gid("Customer", world.cust_a.pk)
    p, f = gid("Property", world.prop_a.pk), gid("Fieldworker", world.fw_a.pk)
    s = gid("Service", world.service.pk)
    return [
        ("createCustomer", "CreateCustomerInput", {"name": HUGE}),
        ("createCustomer", "CreateCustomerInput", {"name": "ok", "notes": HUGE}),
        ("updateCustomer", "UpdateCustomerInput", {"id": c, "email": HUGE}),
        ("createProperty", "CreatePropertyInput", {"customerId": c, "address": HUGE}),
        ("updateProperty", "UpdatePropertyInput", {"id": p, "city": HUGE}),
        ("updateProperty", "UpdatePropertyInput", {"id": p, "timeZone": HUGE}),
        ("createService", "CreateServiceInput", {"name": "ok", "price": "1", "description": HUGE}),
        ("updateService", "UpdateServiceInput", {"id": s, "name": HUGE}),
        ("createFieldworker", "CreateFieldworkerInput", {"name": HUGE, "email": "big@example.com"}),
        ("updateFieldworker", "UpdateFieldworkerInput", {"id": f, "industryLabel": HUGE}),
        ("updateBooking", "UpdateBookingInput", {"id": b, "notes": HUGE}),
        ("updateBooking", "UpdateBookingInput", {"id": b, "lines": [{"description": HUGE, "unitPrice": "1"}]}),
        ("cancelBooking", "CancelBookingInput", {"id": b, "reason": HUGE}),
        ("addBookingComment", "AddBookingCommentInput", {"bookingId": b, "body": HUGE}),
        ("respondToAssignment", "RespondToAssignmentInput",
         {"bookingId": b, "accept": False, "reason": HUGE, "fieldworkerId": f}),
        ("updateCompanySettings", "UpdateCompanySettingsInput", {"address": HUGE}),
        ("updateCompanySettings", "UpdateCompanySettingsInput", {"name": HUGE}),
    ]


def test_ten_megabyte_strings_are_refused_everywhere(world):
    for name, input_type, values in _huge_cases(world):
        before = snapshot()
        doc = f"mutation($v: {input_type}!) {{ {name}(input: $v) {{ errors {{ code field }} }} }}"
        result = run(world.staff, doc, v=values)
        assert "errors" not in result, (name, result)
        errors = result["data"][name]["errors"]
        assert errors and errors[0]["code"] in {"too_long", "invalid", "invalid_email", "invalid_phone",
                                                "invalid_time_zone", "required"}, (name, values.keys(), errors)
        assert snapshot() == before, name
