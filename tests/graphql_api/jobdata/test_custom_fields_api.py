"""Custom fields over HTTP, per role: staff define them, the form schema shows each caller what
is meant for them, values are set and read typed, filters never reveal what the caller cannot read,
and refusals leave the database as it was."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from core.actors import Channel
from core.bookings.models import Booking, BookingEvent, BookingLine
from core.jobdata import services
from core.jobdata.models import CustomFieldValue
from tests import factories
from tests.core.jobdata.conftest import png_data_url
from tests.core.support import db_state

from ..conftest import gid
from ..over_http import URL, sign_in

G = Channel.GRAPHQL


def post(user, query: str, **variables):
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


def ok(user, query: str, **variables):
    body = post(user, query, **variables)
    assert "errors" not in body, body
    return body["data"]


CREATE_GROUP = """mutation($t: CustomFieldTarget!, $n: String!) {
  createCustomFieldGroup(target: $t, name: $n) { customFieldGroup { id name } errors { code field } } }"""
CREATE = """mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) {
  customField { id key fieldType options { value label } default { number text } minValue maxValue step }
  errors { code field message } } }"""
SET = """mutation($i: SetCustomFieldValuesInput!) { setCustomFieldValues(input: $i) {
  customFields { key value { text number date time boolean choices signature } }
  errors { code field message } } }"""
SCHEMA = """query($t: CustomFieldTarget!, $s: ID) { formSchema(target: $t, serviceId: $s) {
  sections { name fields { key fieldType required } } } }"""


@pytest.fixture
def fields(world):
    """Booking fields: internal ones, one for customers, one for fieldworkers, one per service."""
    staff = world.staff
    access = services.group_create(actor=staff, channel=G, target="booking", name="Access")
    make = lambda **kw: services.field_create(actor=staff, channel=G, **kw)  # noqa: E731
    return {
        "rooms": make(target="booking", label="Rooms", field_type="increment", min_value=0, max_value=20, step=1,
                      group_id=access.pk),
        "parking": make(target="booking", label="Parking", field_type="dropdown", options=["street", "drive"],
                        visible_to_customer=True, group_id=access.pk),
        "pets": make(target="booking", label="Pets", field_type="checkbox_multi", options=["dog", "cat"],
                     visible_to_customer=True),
        "meter": make(target="booking", label="Meter", field_type="increment", visible_to_fieldworker=True),
        "keys_by": make(target="booking", label="Keys by", field_type="date"),
        "carpet": make(target="booking", label="Carpet colour", field_type="short_text",
                       service_id=world.service.pk),
        "vip": make(target="customer", label="VIP", field_type="toggle"),
        "birthday": make(target="customer", label="Birthday", field_type="date", visible_to_customer=True),
        "floors": make(target="property", label="Floors", field_type="increment", visible_to_customer=True),
        "shirt": make(target="fieldworker", label="Shirt", field_type="radio", options=["S", "M"],
                      visible_to_fieldworker=True),
    }


def test_staff_define_fields_and_groups(world):
    staff = world.staff.user
    group = ok(staff, CREATE_GROUP, t="BOOKING", n="Access")["createCustomFieldGroup"]["customFieldGroup"]
    made = ok(staff, CREATE, i={"target": "BOOKING", "label": "Rooms", "fieldType": "INCREMENT",
                                "groupId": group["id"], "minValue": "1", "maxValue": "9", "step": "1",
                                "default": {"number": "2"}})["createCustomField"]
    assert made["errors"] == []
    assert made["customField"]["key"] == "rooms" and made["customField"]["default"] == {"number": "2", "text": None}
    radio = ok(staff, CREATE, i={"target": "CUSTOMER", "label": "Source", "fieldType": "RADIO",
                                 "options": [{"value": "web", "label": "Website"}, {"value": "ad"}]})
    assert radio["createCustomField"]["customField"]["options"] == [{"value": "web", "label": "Website"},
                                                                    {"value": "ad", "label": "ad"}]
    for user in (world.cust_a.user, world.fw_a.user):
        refused = ok(user, CREATE, i={"target": "BOOKING", "label": "X", "fieldType": "TOGGLE"})["createCustomField"]
        assert refused == {"customField": None, "errors": [{"code": "forbidden", "field": None,
                                                            "message": "Only staff may change custom fields."}]}


def test_bad_definitions_are_payload_errors_and_change_nothing(world):
    staff = world.staff.user
    sign_in(staff)
    before = db_state()
    for value, code, field in (
        ({"label": "X", "fieldType": "RADIO"}, "required", "options"),
        ({"label": "X", "fieldType": "INCREMENT", "minValue": "3", "maxValue": "1"}, "out_of_range", "maxValue"),
        ({"label": "X", "fieldType": "DATE", "default": {"date": "2026-01-01", "text": "x"}}, "one_value", "default"),
        ({"label": "X", "fieldType": "TOGGLE", "groupId": gid("Booking", 1)}, "invalid_id", "groupId"),
    ):
        got = ok(staff, CREATE, i={"target": "BOOKING", **value})["createCustomField"]["errors"]
        assert [(e["code"], e["field"]) for e in got] == [(code, field)]
    assert db_state() == before


def test_the_form_schema_shows_each_caller_what_is_meant_for_them(world, fields):
    staff = ok(world.staff.user, SCHEMA, t="BOOKING", s=gid("Service", world.service.pk))["formSchema"]["sections"]
    assert [(s["name"], [f["key"] for f in s["fields"]]) for s in staff] == [
        ("", ["pets", "meter", "keys_by", "carpet_colour"]), ("Access", ["rooms", "parking"])]
    without_service = ok(world.staff.user, SCHEMA, t="BOOKING")["formSchema"]["sections"]
    assert "carpet_colour" not in [f["key"] for s in without_service for f in s["fields"]]
    customer = ok(world.cust_a.user, SCHEMA, t="BOOKING")["formSchema"]["sections"]
    assert [(s["name"], [f["key"] for f in s["fields"]]) for s in customer] == [("", ["pets"]), ("Access", ["parking"])]
    worker = ok(world.fw_a.user, SCHEMA, t="BOOKING")["formSchema"]["sections"]
    assert [f["key"] for s in worker for f in s["fields"]] == ["meter"]
    assert post(world.cust_a.user, '{ formSchema(target: BOOKING, serviceId: "x") { target } }')["errors"][0][
        "extensions"]["code"] == "invalid_id"


def values_of(user, booking_id):
    query = """query($id: ID!) { booking(id: $id) { customFields { key field { label }
      value { text number date choices } } } }"""
    booking = ok(user, query, id=booking_id)["booking"]
    return None if booking is None else {v["key"]: v["value"] for v in booking["customFields"]}


def test_values_are_set_and_read_typed_per_role(world, fields):
    booking = gid("Booking", world.booking_a.pk)
    staff = ok(world.staff.user, SET, i={"objectId": booking, "values": [
        {"key": "rooms", "value": {"number": "3"}}, {"key": "keys_by", "value": {"date": "2026-12-24"}},
        {"key": "carpet_colour", "value": {"text": "Red"}}, {"key": "pets", "value": {"choices": ["cat", "dog"]}}]})
    assert staff["setCustomFieldValues"]["errors"] == []
    assert values_of(world.staff.user, booking) == {
        "rooms": {"text": None, "number": "3", "date": None, "choices": None},
        "pets": {"text": None, "number": None, "date": None, "choices": ["dog", "cat"]},
        "keys_by": {"text": None, "number": None, "date": "2026-12-24", "choices": None},
        "carpet_colour": {"text": "Red", "number": None, "date": None, "choices": None}}
    stored = CustomFieldValue.objects.get(field=fields["rooms"])
    assert stored.number == Decimal(3) and stored.text is None

    # the customer: fields meant for them, on their own booking; they read only those
    mine = ok(world.cust_a.user, SET, i={"objectId": booking, "values": [{"key": "parking", "value": {"text": "drive"}}]})
    assert [v["key"] for v in mine["setCustomFieldValues"]["customFields"]] == ["pets", "parking"]
    assert set(values_of(world.cust_a.user, booking)) == {"pets", "parking"}
    # the fieldworker who accepted the job: their field
    worker = ok(world.fw_a.user, SET, i={"objectId": booking, "values": [{"key": "meter", "value": {"number": "7"}}]})
    assert worker["setCustomFieldValues"]["customFields"] == [
        {"key": "meter", "value": {"text": None, "number": "7", "date": None, "time": None, "boolean": None,
                                   "choices": None, "signature": None}}]
    assert set(values_of(world.fw_a.user, booking)) == {"meter"}
    # a signature round-trips as its data URL
    services.field_create(actor=world.staff, channel=G, target="booking", label="Signed", field_type="signature",
                          visible_to_customer=True)
    url = png_data_url()
    signed = ok(world.cust_a.user, SET, i={"objectId": booking, "values": [{"key": "signed", "value": {"signature": url}}]})
    assert [v["value"]["signature"] for v in signed["setCustomFieldValues"]["customFields"]
            if v["key"] == "signed"] == [url]


def test_refusals_per_role_change_nothing(world, fields):
    booking_a, booking_b = gid("Booking", world.booking_a.pk), gid("Booking", world.booking_b.pk)
    for user in (world.staff.user, world.cust_a.user, world.fw_a.user):
        sign_in(user)
    cases = [
        (world.cust_a.user, booking_b, "parking", {"text": "drive"}, "not_found", "objectId"),
        (world.cust_a.user, booking_a, "rooms", {"number": "1"}, "unknown_field", "values.rooms"),
        (world.cust_a.user, booking_a, "nothing", {"number": "1"}, "unknown_field", "values.nothing"),
        (world.fw_a.user, booking_b, "meter", {"number": "1"}, "not_found", "objectId"),
        (world.staff.user, booking_a, "rooms", {"number": "21"}, "out_of_range", "values.rooms"),
        (world.staff.user, booking_a, "rooms", {"text": "three"}, "wrong_type", "values.rooms"),
        (world.staff.user, booking_a, "rooms", {"number": "1", "text": "1"}, "one_value", "values.0.value"),
        (world.staff.user, booking_a, "parking", {"text": "garage"}, "invalid_choice", "values.parking"),
        (world.staff.user, booking_a, "keys_by", {"text": "soon"}, "invalid_date", "values.keys_by"),
        (world.staff.user, gid("Service", 1), "rooms", {"number": "1"}, "invalid_id", "objectId"),
    ]
    before = db_state()
    for user, object_id, key, value, code, field in cases:
        body = ok(user, SET, i={"objectId": object_id, "values": [{"key": key, "value": value}]})
        errors = body["setCustomFieldValues"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], (key, value)
        assert db_state() == before
    # a booking of someone else reads exactly like one that does not exist
    missing = ok(world.cust_a.user, SET, i={"objectId": gid("Booking", 10**9), "values": []})
    theirs = ok(world.cust_a.user, SET, i={"objectId": booking_b, "values": []})
    assert missing == theirs


def test_values_on_customers_properties_and_fieldworkers(world, fields):
    ok(world.staff.user, SET, i={"objectId": gid("Customer", world.cust_a.pk), "values": [
        {"key": "vip", "value": {"boolean": True}}]})
    ok(world.cust_a.user, SET, i={"objectId": gid("Customer", world.cust_a.pk), "values": [
        {"key": "birthday", "value": {"date": "1990-05-06"}}]})
    ok(world.cust_a.user, SET, i={"objectId": gid("Property", world.prop_a.pk), "values": [
        {"key": "floors", "value": {"number": "2"}}]})
    ok(world.fw_a.user, SET, i={"objectId": gid("Fieldworker", world.fw_a.pk), "values": [
        {"key": "shirt", "value": {"text": "M"}}]})
    query = """query($c: ID!, $f: ID!) {
      c: node(id: $c) { ... on Customer { customFields { key value { boolean date } }
                                        properties { customFields { key value { number } } } } }
      f: node(id: $f) { ... on Fieldworker { customFields { key value { text } } } } }"""
    ids = {"c": gid("Customer", world.cust_a.pk), "f": gid("Fieldworker", world.fw_a.pk)}
    staff = ok(world.staff.user, query, **ids)
    assert [v["key"] for v in staff["c"]["customFields"]] == ["vip", "birthday"]
    assert staff["c"]["properties"][0]["customFields"] == [{"key": "floors", "value": {"number": "2"}}]
    assert staff["f"]["customFields"] == [{"key": "shirt", "value": {"text": "M"}}]
    customer = ok(world.cust_a.user, query, **ids)
    assert [v["key"] for v in customer["c"]["customFields"]] == ["birthday"]  # not the staff-only VIP flag


FILTER = """query($f: BookingFilter) { bookings(first: 50, filter: $f) { totalCount edges { node { number } } } }"""


def _numbers(user, *conditions):
    body = post(user, FILTER, f={"customFields": list(conditions)})
    if "errors" in body:
        return body["errors"][0]["extensions"]
    return sorted(edge["node"]["number"] for edge in body["data"]["bookings"]["edges"])


def test_bookings_filter_by_custom_field_values(world, fields):
    staff = world.staff
    a, b = world.booking_a, world.booking_b
    c = factories.booking(cust=world.cust_a, svc=world.service)
    for booking, rooms, day, pets in ((a, 2, "2026-03-01", ["dog"]), (b, 5, "2026-04-01", ["cat", "dog"]),
                                      (c, 9, "2026-05-01", ["cat"])):
        services.values_set(actor=staff, channel=G, target="booking", object_id=booking.pk,
                            values={"rooms": rooms, "keys_by": day, "pets": pets, "parking": "street"})
    user = staff.user
    assert _numbers(user, {"key": "rooms", "min": "3"}) == sorted([b.number, c.number])
    assert _numbers(user, {"key": "rooms", "min": "3", "max": "6"}) == [b.number]
    assert _numbers(user, {"key": "rooms", "equals": "2"}) == [a.number]
    assert _numbers(user, {"key": "keys_by", "max": "2026-04-01"}) == sorted([a.number, b.number])
    assert _numbers(user, {"key": "pets", "contains": "cat"}) == sorted([b.number, c.number])
    assert _numbers(user, {"key": "pets", "contains": "cat"}, {"key": "rooms", "max": "5"}) == [b.number]
    assert _numbers(user, {"key": "rooms", "contains": "2"}) == {"code": "invalid_condition",
                                                                "field": "filter.customFields.0"}
    assert _numbers(user, {"key": "rooms", "min": "many"})["code"] == "wrong_type"

    # a customer filters within their own bookings, by fields meant for them only: a staff-only
    # key is refused exactly like a key that does not exist
    customer = world.cust_a.user
    assert _numbers(customer, {"key": "pets", "contains": "cat"}) == [c.number]
    assert _numbers(customer, {"key": "rooms", "min": "0"}) == _numbers(customer, {"key": "nope", "min": "0"}) == {
        "code": "unknown_field", "field": "filter.customFields.0.key"}
    worker = world.fw_a.user
    assert _numbers(worker, {"key": "pets", "contains": "cat"})["code"] == "unknown_field"


def test_customers_filter_by_custom_field_values(world, fields):
    services.values_set(actor=world.staff, channel=G, target="customer", object_id=world.cust_b.pk,
                        values={"vip": True, "birthday": "1980-01-01"})
    query = """query($f: [CustomFieldFilter!]) { customers(first: 10, customFields: $f) { totalCount
      edges { node { name } } } }"""
    found = ok(world.staff.user, query, f=[{"key": "vip", "equals": "true"}])["customers"]
    assert [e["node"]["name"] for e in found["edges"]] == [world.cust_b.name]
    assert ok(world.staff.user, query, f=[{"key": "birthday", "min": "1985-01-01"}])["customers"]["totalCount"] == 0
    # customer A cannot learn customer B's birthday by filtering: they only ever see themself
    assert ok(world.cust_a.user, query, f=[{"key": "birthday", "max": "2000-01-01"}])["customers"]["totalCount"] == 0
    refused = post(world.cust_a.user, query, f=[{"key": "vip", "equals": "true"}])
    assert refused["errors"][0]["extensions"] == {"code": "unknown_field", "field": "customFields.0.key"}


PAGE = """query($n: Int) { bookings(first: $n) { edges { node { number
  customFields { key field { label group { name } } value { number text choices } }
  customer { customFields { key value { boolean } } }
  property { customFields { key value { number } } } } } } }"""


def _seed_page(world, fields, count: int) -> None:
    start = timezone.now() + timedelta(days=5)
    made = Booking.objects.bulk_create([
        Booking(number=7000 + i, customer=world.cust_a, property=world.prop_a, time_zone="UTC",
                scheduled_start=start + timedelta(hours=3 * i), scheduled_end=start + timedelta(hours=3 * i + 2))
        for i in range(count)])
    BookingLine.objects.bulk_create([BookingLine(booking=b, service=world.service, description="x",
                                                 unit_price=Decimal(1)) for b in made])
    for booking in made:
        services.values_set(actor=world.staff, channel=G, target="booking", object_id=booking.pk,
                            values={"rooms": 2, "parking": "drive", "pets": ["dog"]})


@pytest.mark.parametrize(("role", "queries"), [("staff", 4), ("customer", 6)])
@pytest.mark.parametrize("count", [3, 15])
def test_a_page_of_bookings_with_custom_fields_costs_the_same_queries(world, fields, count, role, queries,
                                                                      django_assert_num_queries):
    _seed_page(world, fields, count)
    services.values_set(actor=world.staff, channel=G, target="customer", object_id=world.cust_a.pk,
                        values={"vip": True})
    services.values_set(actor=world.staff, channel=G, target="property", object_id=world.prop_a.pk,
                        values={"floors": 3})
    from ..conftest import run

    actor = world.actor(role)
    run(actor, "{ me { kind } }")  # settle lazily created rows
    # staff: the bookings with their customer and property joined, then one query of values for
    # each of the three; a customer: their bookings, then (scoped) customers and properties, and
    # one query of values for each of the three
    with django_assert_num_queries(queries):
        result = run(actor, PAGE, n=count + 2)
    assert "errors" not in result, result
    nodes = [edge["node"] for edge in result["data"]["bookings"]["edges"]]
    seeded = [node for node in nodes if node["number"] >= 7000]
    assert len(seeded) == count
    if role == "staff":
        assert all([v["key"] for v in node["customFields"]] == ["pets", "rooms", "parking"] for node in seeded)
        assert seeded[0]["customFields"][1]["field"]["group"] == {"name": "Access"}
        assert seeded[0]["customer"]["customFields"] == [{"key": "vip", "value": {"boolean": True}}]
    else:  # only what is meant for them
        assert all([v["key"] for v in node["customFields"]] == ["pets", "parking"] for node in seeded)
        assert seeded[0]["customer"]["customFields"] == []
    assert seeded[0]["property"]["customFields"] == [{"key": "floors", "value": {"number": "3"}}]


PROFILE = """query($p: ProfileKind!) { profileFields(profile: $p) { builtin field { key } label shown required } }"""
SET_PROFILE = """mutation($p: ProfileKind!, $f: [ProfileFieldInput!]!) { setProfileFields(profile: $p, fields: $f) {
  profileFields { builtin shown required } errors { code field } } }"""
UPDATE_CUSTOMER = """mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { customer { mobile }
  errors { code field } } }"""


def test_profile_settings_over_http(world, fields):
    staff, customer = world.staff.user, world.cust_a.user
    hidden = ok(staff, SET_PROFILE, p="CUSTOMER", f=[
        {"builtin": "mobile", "required": True},
        {"fieldId": gid("CustomField", fields["birthday"].pk), "shown": False}])["setProfileFields"]
    assert hidden["errors"] == []
    assert ok(customer, SET_PROFILE, p="CUSTOMER", f=[{"builtin": "email"}])["setProfileFields"]["errors"] == [
        {"code": "forbidden", "field": None}]
    # the customer's profile: the built-ins and what is meant for them and shown
    mine = ok(customer, PROFILE, p="CUSTOMER")["profileFields"]
    assert [(row["builtin"], row["field"], row["required"]) for row in mine] == [
        ("email", None, False), ("mobile", None, True)]
    everything = ok(staff, PROFILE, p="CUSTOMER")["profileFields"]
    assert [row["builtin"] or row["field"]["key"] for row in everything] == ["email", "mobile", "vip", "birthday"]
    sign_in(customer)
    before = db_state()
    refused = ok(customer, UPDATE_CUSTOMER, i={"id": gid("Customer", world.cust_a.pk), "mobile": ""})
    assert refused["updateCustomer"]["errors"] == [{"code": "required", "field": "mobile"}]
    assert db_state() == before


CREATE_BOOKING = """mutation($i: CreateBookingInput!) { createBooking(input: $i) {
  booking { id customFields { key value { text number } } } errors { code field message } } }"""


def _new_booking(world, custom_fields) -> dict:
    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0)
    booking_input = {"customerId": gid("Customer", world.cust_a.pk), "propertyId": gid("Property", world.prop_a.pk),
                     "scheduledStart": start.isoformat(),
                     "lines": [{"serviceId": gid("Service", world.service.pk), "quantity": "1"}]}
    if custom_fields is not None:
        booking_input["customFields"] = custom_fields
    return ok(world.staff.user, CREATE_BOOKING, i=booking_input)["createBooking"]


def test_create_booking_takes_its_custom_field_values_in_the_same_call(world, fields):
    made = _new_booking(world, [{"key": "rooms", "value": {"number": "4"}},
                                {"key": "carpet_colour", "value": {"text": "Blue"}}])
    assert made["errors"] == []
    assert {v["key"]: v["value"] for v in made["booking"]["customFields"]} == {
        "rooms": {"text": None, "number": "4"}, "carpet_colour": {"text": "Blue", "number": None}}
    assert made["booking"]["id"] == gid("Booking", Booking.objects.latest("pk").pk)
    assert BookingEvent.objects.filter(booking=Booking.objects.latest("pk"), action="custom_fields_set").count() == 1


@pytest.mark.parametrize(("custom_fields", "code", "field"), [
    ([{"key": "rooms", "value": {"number": "21"}}], "out_of_range", "customFields.rooms"),
    ([{"key": "nothing", "value": {"text": "x"}}], "unknown_field", "customFields.nothing"),
    ([{"key": "rooms", "value": {"number": "1"}}, {"key": "rooms", "value": {"number": "2"}}], "duplicate",
     "customFields.1.key"),
    ([], "required", "customFields.access_code"),
])
def test_a_refused_custom_field_value_creates_no_booking(world, fields, custom_fields, code, field):
    services.field_create(actor=world.staff, channel=G, target="booking", label="Access code",
                          field_type="short_text", required=True)
    sign_in(world.staff.user)
    before = db_state()
    bookings = Booking.objects.count()
    made = _new_booking(world, custom_fields)
    assert made["booking"] is None
    assert [(e["code"], e["field"]) for e in made["errors"]] == [(code, field)]
    assert Booking.objects.count() == bookings
    assert db_state() == before


def test_without_custom_fields_create_booking_leaves_them_for_later(world, fields):
    services.field_create(actor=world.staff, channel=G, target="booking", label="Access code",
                          field_type="short_text", required=True)
    made = _new_booking(world, None)
    assert made["errors"] == [] and made["booking"]["customFields"] == []
