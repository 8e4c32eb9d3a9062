"""Each query as each role: staff, fieldworker, customer, anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.accounts.services import token_create
from core.actors import Channel
from core.bookings import services as booking_services
from tests import factories

from .conftest import gid, run

BOOKINGS = """query($filter: BookingFilter, $orderBy: BookingOrder, $first: Int) {
  bookings(filter: $filter, orderBy: $orderBy, first: $first) { totalCount
    edges { node { id number status customer { id name email mobile notes } property { address }
      lines { description } assignments { status fieldworker { id name } } } } } }"""


def numbers(result) -> list[int]:
    assert "errors" not in result, result
    return [edge["node"]["number"] for edge in result["data"]["bookings"]["edges"]]


def test_bookings_by_role(world):
    a, b = world.booking_a.number, world.booking_b.number
    assert sorted(numbers(run(world.staff, BOOKINGS))) == sorted([a, b])
    assert numbers(run(world.actor_a, BOOKINGS)) == [a]
    assert numbers(run(world.actor_b, BOOKINGS)) == [b]
    assert numbers(run(world.fw_actor_a, BOOKINGS)) == [a]
    assert numbers(run(world.fw_actor_b, BOOKINGS)) == [b]
    assert numbers(run(world.actor("anonymous"), BOOKINGS)) == []


def test_customer_contact_details_and_notes(world):
    world.cust_a.notes = "gate code 1234"
    world.cust_a.save()
    node = run(world.staff, BOOKINGS, filter={"customerId": gid("Customer", world.cust_a.pk)})
    customer = node["data"]["bookings"]["edges"][0]["node"]["customer"]
    assert customer["email"] == world.cust_a.email and customer["notes"] == "gate code 1234"
    own = run(world.actor_a, BOOKINGS)["data"]["bookings"]["edges"][0]["node"]["customer"]
    assert own["email"] == world.cust_a.email and own["notes"] is None
    worker = run(world.fw_actor_a, BOOKINGS)["data"]["bookings"]["edges"][0]["node"]["customer"]
    assert worker["mobile"] == world.cust_a.mobile and worker["notes"] is None


def test_fieldworker_loses_contact_details_when_unassigned(world):
    query = "query($id: ID!) { node(id: $id) { ... on Customer { name email mobile } } }"
    assert run(world.fw_actor_a, query, id=gid("Customer", world.cust_a.pk))["data"]["node"]["mobile"]
    booking_services.booking_unassign(actor=world.staff, channel=Channel.SYSTEM, booking_id=world.booking_a.pk,
                                      fieldworker_id=world.fw_a.pk)
    assert run(world.fw_actor_a, query, id=gid("Customer", world.cust_a.pk))["data"]["node"] is None
    assert numbers(run(world.fw_actor_a, BOOKINGS)) == []


def test_customer_sees_only_accepted_assignments(world):
    other = factories.fieldworker()
    booking_services.booking_assign(actor=world.staff, channel=Channel.SYSTEM, booking_id=world.booking_a.pk,
                                    fieldworker_id=other.pk)
    edges = run(world.actor_a, BOOKINGS)["data"]["bookings"]["edges"]
    names = [item["fieldworker"]["name"] for item in edges[0]["node"]["assignments"]]
    assert names == [world.fw_a.name]
    staff_edges = run(world.staff, BOOKINGS, filter={"customerId": gid("Customer", world.cust_a.pk)})
    assert len(staff_edges["data"]["bookings"]["edges"][0]["node"]["assignments"]) == 2


def test_filters_and_ordering(world):
    later = factories.booking(cust=world.cust_a, start=timezone.now() + timedelta(days=20))
    booking_services.booking_confirm(actor=world.staff, channel=Channel.SYSTEM, booking_id=later.pk)
    staff = world.staff
    assert numbers(run(staff, BOOKINGS, filter={"status": ["CONFIRMED"]})) == [later.number]
    assert set(numbers(run(staff, BOOKINGS, filter={"status": ["PENDING"]}))) == {
        world.booking_a.number, world.booking_b.number}
    window = {"from": (timezone.now() + timedelta(days=10)).isoformat(),
              "to": (timezone.now() + timedelta(days=30)).isoformat()}
    assert numbers(run(staff, BOOKINGS, filter=window)) == [later.number]
    by_worker = run(staff, BOOKINGS, filter={"fieldworkerId": gid("Fieldworker", world.fw_b.pk)})
    assert numbers(by_worker) == [world.booking_b.number]
    desc = numbers(run(staff, BOOKINGS, orderBy={"field": "NUMBER", "direction": "DESC"}))
    assert desc == sorted(desc, reverse=True) and len(desc) == 3
    page = run(staff, BOOKINGS, first=1)
    assert page["data"]["bookings"]["totalCount"] == 3 and len(page["data"]["bookings"]["edges"]) == 1


def test_booking_by_id_and_history(world):
    query = "query($id: ID!) { booking(id: $id) { number history { action channel actorKind } } }"
    result = run(world.actor_a, query, id=gid("Booking", world.booking_a.pk))
    assert result["data"]["booking"]["number"] == world.booking_a.number
    history = run(world.fw_actor_a, "query($id: ID!) { bookingHistory(bookingId: $id) { action channel } }",
                  id=gid("Booking", world.booking_a.pk))["data"]["bookingHistory"]
    assert [row["action"] for row in history] == ["created", "assigned", "accepted"]
    assert run(world.actor("anonymous"), query, id=gid("Booking", world.booking_a.pk))["data"]["booking"] is None


def test_customer_history_hides_internal_entries(world):
    booking_services.comment_add(actor=world.staff, channel=Channel.SYSTEM, booking_id=world.booking_a.pk,
                                 body="internal", visible_to_customer=False)
    query = "query($id: ID!) { bookingHistory(bookingId: $id) { action } booking(id: $id) { comments { body } } }"
    as_customer = run(world.actor_a, query, id=gid("Booking", world.booking_a.pk))["data"]
    assert "comment_added" not in [row["action"] for row in as_customer["bookingHistory"]]
    assert as_customer["booking"]["comments"] == []
    as_staff = run(world.staff, query, id=gid("Booking", world.booking_a.pk))["data"]
    assert as_staff["booking"]["comments"] == [{"body": "internal"}]


@pytest.mark.parametrize("role", ["staff", "customer", "fieldworker", "anonymous"])
def test_me(world, role):
    result = run(world.actor(role), "{ me { kind isAdmin customerId fieldworkerId user { email role } } }")
    me = result["data"]["me"]
    if role == "anonymous":
        assert me is None
        return
    assert me["kind"] == role
    assert me["user"]["email"] == world.actor(role).user.email
    assert (me["customerId"] is not None) == (role == "customer")
    assert (me["fieldworkerId"] is not None) == (role == "fieldworker")


def test_lists_by_role(world):
    query = """{ customers { totalCount edges { node { name } } } fieldworkers { totalCount edges { node { name } } }
                 services { totalCount } serviceCategories { name } propertyTypes { name } }"""
    staff = run(world.staff, query)["data"]
    assert staff["customers"]["totalCount"] == 2 and staff["fieldworkers"]["totalCount"] == 2
    customer = run(world.actor_a, query)["data"]
    assert [e["node"]["name"] for e in customer["customers"]["edges"]] == [world.cust_a.name]
    assert [e["node"]["name"] for e in customer["fieldworkers"]["edges"]] == [world.fw_a.name]
    worker = run(world.fw_actor_a, query)["data"]
    assert [e["node"]["name"] for e in worker["customers"]["edges"]] == [world.cust_a.name]
    assert [e["node"]["name"] for e in worker["fieldworkers"]["edges"]] == [world.fw_a.name]
    anonymous = run(world.actor("anonymous"), query)["data"]
    assert anonymous["customers"]["totalCount"] == 0 and anonymous["services"]["totalCount"] == 0
    assert anonymous["serviceCategories"] == []


def test_inactive_services_only_for_staff(world):
    factories.service(name="Retired", active=False)
    query = "{ services { edges { node { name active } } } }"
    assert "Retired" in [e["node"]["name"] for e in run(world.staff, query)["data"]["services"]["edges"]]
    assert "Retired" not in [e["node"]["name"] for e in run(world.actor_a, query)["data"]["services"]["edges"]]


def test_company_and_settings(world):
    query = "{ company { name timeZone } }"
    assert run(world.actor_a, query)["data"]["company"]["name"]
    settings_query = "{ companySettings { customersMayCancel cancellationFeeType cancellationNoticeHours } }"
    assert run(world.staff, settings_query)["data"]["companySettings"]["cancellationFeeType"] == "NONE"
    for role in ("customer", "fieldworker", "anonymous"):
        result = run(world.actor(role), settings_query)
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] in {"forbidden", "unauthenticated"}


def test_cancellation_quote(world, company):
    company.cancellation_fee_type = "fixed"
    company.cancellation_fee_amount = "25.00"
    company.cancellation_notice_hours = 24 * 7
    company.save()
    query = "query($id: ID!) { cancellationQuote(bookingId: $id) { allowed fee insideNoticeWindow code } }"
    quote = run(world.actor_a, query, id=gid("Booking", world.booking_a.pk))["data"]["cancellationQuote"]
    assert quote == {"allowed": True, "fee": "25.00", "insideNoticeWindow": True, "code": None}
    refused = run(world.fw_actor_a, query, id=gid("Booking", world.booking_a.pk))["data"]["cancellationQuote"]
    assert refused["allowed"] is False and refused["code"] == "forbidden"


def test_api_tokens_list(world):
    token_create(actor=world.actor_a, channel=Channel.SYSTEM, name="mine")
    token_create(actor=world.actor_b, channel=Channel.SYSTEM, name="theirs")
    names = [t["name"] for t in run(world.actor_a, "{ apiTokens { name prefix } }")["data"]["apiTokens"]]
    assert names == ["mine"]


def test_declined_job_is_gone_for_the_fieldworker(world):
    extra = factories.booking(cust=world.cust_b, prop=world.prop_b, svc=world.service,
                              start=world.booking_b.scheduled_start + timedelta(days=2))
    assignment = booking_services.booking_assign(actor=world.staff, channel=Channel.SYSTEM, booking_id=extra.pk,
                                                 fieldworker_id=world.fw_a.pk)
    query = "query($id: ID!) { node(id: $id) { ... on BookingAssignment { booking { notes property { address } } } } }"
    offered = run(world.fw_actor_a, query, id=gid("BookingAssignment", assignment.pk))
    assert offered["data"]["node"]["booking"]["property"]["address"] == world.prop_b.address
    booking_services.assignment_respond(actor=world.fw_actor_a, channel=Channel.SYSTEM, booking_id=extra.pk,
                                        accept=False, reason="too far")
    assert run(world.fw_actor_a, query, id=gid("BookingAssignment", assignment.pk)) == {"data": {"node": None}}
    assert run(world.staff, query, id=gid("BookingAssignment", assignment.pk))["data"]["node"] is not None
