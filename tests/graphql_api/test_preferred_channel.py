"""A customer's preferred channel over GraphQL, as staff and the customer meet it (decision 0615): set on
create and update, read back as an enum, cleared with NONE; a value that is not a channel is a clear
error and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from core.crm.models import Customer, CustomerLog
from tests.core.support import db_state

from .conftest import gid
from .operations import ERRORS
from .over_http import URL, gql, sign_in

CUSTOMER = "id name preferredChannel"
CREATE = f"mutation($v: CreateCustomerInput!) {{ createCustomer(input: $v) {{ customer {{ {CUSTOMER} }} {ERRORS} }} }}"
UPDATE = f"mutation($v: UpdateCustomerInput!) {{ updateCustomer(input: $v) {{ customer {{ {CUSTOMER} }} {ERRORS} }} }}"


def post(user, query: str, **variables: Any) -> dict[str, Any]:
    """The whole response body, errors included."""
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def users(world):
    sign_in(world.staff.user, world.cust_a.user, world.fw_a.user)
    return world.staff.user, world.cust_a.user, world.fw_a.user


def test_staff_set_change_and_clear_it_with_history(world, users):
    staff, *_ = users
    made = gql(staff, CREATE, v={"name": "Ann Lee", "email": "ann@example.com", "preferredChannel": "EMAIL"})
    assert made["createCustomer"]["errors"] == []
    assert made["createCustomer"]["customer"]["preferredChannel"] == "EMAIL"
    ann = Customer.objects.get(name="Ann Lee")
    assert ann.preferred_channel == "email"

    cid = gid("Customer", ann.pk)
    changed = gql(staff, UPDATE, v={"id": cid, "preferredChannel": "SMS"})["updateCustomer"]
    assert (changed["errors"], changed["customer"]["preferredChannel"]) == ([], "SMS")
    untouched = gql(staff, UPDATE, v={"id": cid, "name": "Ann B. Lee"})["updateCustomer"]
    assert untouched["customer"]["preferredChannel"] == "SMS"  # not sent: not changed
    cleared = gql(staff, UPDATE, v={"id": cid, "preferredChannel": "NONE"})["updateCustomer"]
    assert cleared["customer"]["preferredChannel"] == "NONE"
    assert Customer.objects.get(pk=ann.pk).preferred_channel == ""
    assert list(CustomerLog.objects.filter(customer=ann).values_list("action", "channel", "changes")) == [
        ("created", "graphql", {"name": ["", "Ann Lee"], "email": ["", "ann@example.com"],
                                "preferred_channel": ["", "email"]}),
        ("updated", "graphql", {"preferred_channel": ["email", "sms"]}),
        ("updated", "graphql", {"name": ["Ann Lee", "Ann B. Lee"]}),
        ("updated", "graphql", {"preferred_channel": ["sms", ""]}),
    ]


def test_the_customer_sets_their_own_and_a_fieldworker_on_the_job_reads_it(world, users):
    _staff, customer, fieldworker = users
    own = gql(customer, UPDATE, v={"id": gid("Customer", world.cust_a.pk), "preferredChannel": "EMAIL"})
    assert own["updateCustomer"]["errors"] == []
    row = CustomerLog.objects.get(customer=world.cust_a)
    assert (row.actor_kind, row.changes) == ("customer", {"preferred_channel": ["", "email"]})
    seen = gql(fieldworker, "query($id: ID!) { node(id: $id) { ... on Customer { preferredChannel } } }",
               id=gid("Customer", world.cust_a.pk))
    assert seen["node"] == {"preferredChannel": "EMAIL"}  # the contact details of their job's customer


@pytest.mark.parametrize("value", ["FAX", "email", "", 3])
def test_a_value_that_is_not_a_channel_is_a_clear_error_and_changes_nothing(world, users, value):
    staff, *_ = users
    before = db_state()
    body = post(staff, UPDATE, v={"id": gid("Customer", world.cust_a.pk), "name": "Changed",
                                  "preferredChannel": value})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "invalid_variables" and "'PreferredChannel'" in error["message"], error
    assert "Traceback" not in json.dumps(body)
    created = post(staff, CREATE, v={"name": "Bo", "preferredChannel": value})
    assert created["data"] is None and "PreferredChannel" in created["errors"][0]["message"]
    assert db_state() == before
