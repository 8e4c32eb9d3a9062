"""Complaints over HTTP, per role: the staff flow end to end, the list and its filters (no N+1), who
reads what (someone else's complaint is null, like a missing one), typed refusals that change nothing,
and the two lists."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.actors import Channel
from core.complaints import services
from core.complaints.models import Complaint, ComplaintStatus, ComplaintType
from tests.core.complaints.support import db_state

from ..conftest import gid
from ..over_http import URL, gql, sign_in

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM

FIELDS = """id description visibleToCustomer isResolved resolution resolvedAt channel raisedByKind
            booking { number } customer { name } type { name } status { name isResolved } owner { id }"""


def raw(user, query: str, **variables):
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


def status_gid(name: str) -> str:
    return gid("ComplaintStatus", ComplaintStatus.objects.get(name=name).pk)


def test_a_customer_raises_and_staff_carry_it_to_resolved(world):
    customer, staff = world.cust_a.user, world.staff.user
    damage = gid("ComplaintType", ComplaintType.objects.get(name="Damage").pk)
    raised = gql(customer, f"""mutation($b: ID!, $t: ID!) {{ raiseComplaint(input: {{bookingId: $b, typeId: $t,
        description: "Scratched the floor", visibleToCustomer: false}}) {{ complaint {{ {FIELDS} }}
        errors {{ code }} }} }}""", b=gid("Booking", world.booking_a.pk), t=damage)["raiseComplaint"]
    assert raised["errors"] == []
    complaint = raised["complaint"]
    assert complaint["visibleToCustomer"] is True and complaint["channel"] == "GRAPHQL"
    assert complaint["status"] == {"name": "Open", "isResolved": False} and complaint["type"] == {"name": "Damage"}
    assert complaint["raisedByKind"] == "CUSTOMER" and complaint["owner"] is None
    cid = complaint["id"]
    moved = gql(staff, """mutation($id: ID!, $s: ID!) { updateComplaint(input: {id: $id, statusId: $s}) {
        complaint { status { name } } errors { code } } }""", id=cid, s=status_gid("In progress"))
    assert moved["updateComplaint"] == {"complaint": {"status": {"name": "In progress"}}, "errors": []}
    owned = gql(staff, """mutation($id: ID!, $u: ID!) { assignComplaint(input: {id: $id, ownerId: $u}) {
        complaint { owner { id } } errors { code } } }""", id=cid, u=gid("User", staff.pk))
    assert owned["assignComplaint"]["complaint"]["owner"] == {"id": gid("User", staff.pk)}
    done = gql(staff, """mutation($id: ID!) { resolveComplaint(input: {id: $id, resolution: "Floor polished"}) {
        complaint { isResolved resolution resolvedAt status { name } } errors { code } } }""", id=cid)
    assert done["resolveComplaint"]["complaint"]["isResolved"] is True
    assert done["resolveComplaint"]["complaint"]["status"]["name"] == "Resolved"
    again = gql(staff, """mutation($id: ID!) { reopenComplaint(input: {id: $id, reason: "Still scratched"}) {
        complaint { isResolved resolution } errors { code } } }""", id=cid)
    assert again["reopenComplaint"]["complaint"] == {"isResolved": False, "resolution": ""}
    history = gql(staff, """query($id: ID!) { complaintHistory(complaintId: $id) { action channel actorKind } }""",
                  id=cid)["complaintHistory"]
    assert [h["action"] for h in history] == ["raised", "updated", "assigned", "resolved", "reopened"]
    assert gql(customer, "query($id: ID!) { complaintHistory(complaintId: $id) { action } }",
               id=cid)["complaintHistory"] == []
    # the customer reads their complaint, but not who owns it
    mine = gql(customer, "query($id: ID!) { complaint(id: $id) { isResolved owner { id } } }", id=cid)
    assert mine["complaint"] == {"isResolved": False, "owner": None}


def test_who_reads_which_complaint(world):
    a = services.complaint_raise(actor=world.actor_a, channel=SYSTEM, booking_id=world.booking_a.pk,
                                 description="Late")
    internal = services.complaint_raise(actor=world.staff, channel=SYSTEM, booking_id=world.booking_a.pk,
                                        description="Third time", visible_to_customer=False)
    b = services.complaint_raise(actor=world.actor_b, channel=SYSTEM, booking_id=world.booking_b.pk,
                                 description="Mud")
    query = "{ complaints { totalCount edges { node { description } } } }"
    seen = lambda user: sorted(e["node"]["description"] for e in gql(user, query)["complaints"]["edges"])  # noqa: E731
    assert seen(world.staff.user) == ["Late", "Mud", "Third time"]
    assert seen(world.cust_a.user) == ["Late"]
    assert seen(world.fw_a.user) == ["Late"]  # customer-visible complaints on the jobs they accepted
    assert seen(world.cust_b.user) == ["Mud"]
    one = "query($id: ID!) { complaint(id: $id) { description } }"
    for user, pk in ((world.cust_a.user, b.pk), (world.cust_a.user, internal.pk), (world.fw_b.user, a.pk)):
        assert gql(user, one, id=gid("Complaint", pk)) == {"complaint": None}
    assert gql(world.cust_a.user, one, id=gid("Complaint", 987654321)) == {"complaint": None}
    full = """query($id: ID!) { complaint(id: $id) { booking { number } customer { name } status { name }
              type { name } owner { id } } }"""
    for user in (world.fw_a.user, world.cust_a.user):
        seen_by = gql(user, full, id=gid("Complaint", a.pk))["complaint"]
        assert seen_by["booking"] == {"number": world.booking_a.number} and seen_by["owner"] is None
        assert seen_by["customer"]["name"] == world.cust_a.name and seen_by["status"] == {"name": "Open"}


def test_the_filters(world):
    staff = world.staff
    damage = ComplaintType.objects.get(name="Damage")
    first = services.complaint_raise(actor=staff, channel=SYSTEM, booking_id=world.booking_a.pk, description="one",
                                     type_id=damage.pk, owner_id=staff.user_id)
    second = services.complaint_raise(actor=staff, channel=SYSTEM, booking_id=world.booking_b.pk, description="two")
    services.complaint_resolve(actor=staff, channel=SYSTEM, complaint_id=second.pk, resolution="ok")
    third = services.complaint_raise(actor=staff, channel=SYSTEM, booking_id=world.booking_b.pk, description="three")
    query = "query($f: ComplaintFilter) { complaints(filter: $f) { edges { node { description } } } }"

    def listed(**flt):
        return [e["node"]["description"] for e in gql(staff.user, query, f=flt)["complaints"]["edges"]]

    assert listed(open=True) == ["three", "one"]
    assert listed(open=False) == ["two"]
    assert listed(typeIds=[gid("ComplaintType", damage.pk)]) == ["one"]
    assert listed(statusIds=[status_gid("Resolved")]) == ["two"]
    assert listed(ownerId=gid("User", staff.user_id)) == ["one"]
    assert listed(unowned=True) == ["three", "two"]
    assert listed(bookingId=gid("Booking", world.booking_b.pk), open=True) == ["three"]
    assert listed(customerId=gid("Customer", world.cust_a.pk)) == ["one"]
    assert third.pk and first.pk
    # an owner filter tells a customer nothing
    services.complaint_assign(actor=staff, channel=SYSTEM, complaint_id=first.pk, owner_id=None)
    customer_view = gql(world.cust_a.user, query, f={"ownerId": gid("User", staff.user_id)})
    assert customer_view["complaints"]["edges"] == []


def test_the_list_costs_the_same_queries_for_three_or_nine_complaints(world, django_assert_num_queries):
    query = """{ complaints(first: 50) { edges { node { description booking { number } customer { name }
               type { name } status { name } owner { id } } } } }"""
    staff = world.staff
    sign_in(staff.user)
    damage = ComplaintType.objects.get(name="Damage")

    def add(n: int) -> None:
        for i in range(n):
            services.complaint_raise(actor=staff, channel=SYSTEM, booking_id=world.booking_a.pk, description=f"{i}",
                                     type_id=damage.pk, owner_id=staff.user_id)

    add(3)
    import django.db

    with CaptureQueriesContext(django.db.connection) as three:
        assert len(gql(staff.user, query)["complaints"]["edges"]) == 3
    add(6)
    with django_assert_num_queries(len(three.captured_queries)):
        assert len(gql(staff.user, query)["complaints"]["edges"]) == 9


def test_refusals_are_typed_and_change_nothing(world):
    staff, customer, fieldworker = world.staff.user, world.cust_a.user, world.fw_a.user
    sign_in(staff, customer, fieldworker)
    raise_doc = """mutation($b: ID!, $d: String!) { raiseComplaint(input: {bookingId: $b, description: $d}) {
        complaint { id } errors { code field } } }"""
    before = db_state()
    empty = raw(customer, raise_doc, b=gid("Booking", world.booking_a.pk), d="  ")["data"]["raiseComplaint"]
    assert empty["complaint"] is None and empty["errors"][0]["code"] == "required"
    theirs = raw(customer, raise_doc, b=gid("Booking", world.booking_b.pk), d="x")["data"]["raiseComplaint"]
    missing = raw(customer, raise_doc, b=gid("Booking", 987654321), d="x")["data"]["raiseComplaint"]
    assert theirs == missing and theirs["errors"][0]["code"] == "not_found"
    by_fieldworker = raw(fieldworker, raise_doc, b=gid("Booking", world.booking_a.pk), d="x")
    assert by_fieldworker["data"]["raiseComplaint"]["errors"][0]["code"] == "forbidden"
    assert db_state() == before
    complaint = services.complaint_raise(actor=world.staff, channel=SYSTEM, booking_id=world.booking_a.pk,
                                         description="x")
    before = db_state()
    resolve = """mutation($id: ID!, $s: ID) { resolveComplaint(input: {id: $id, resolution: "done", statusId: $s}) {
        errors { code field ... on ComplaintError { errorCode } } } }"""
    wrong = raw(staff, resolve, id=gid("Complaint", complaint.pk), s=status_gid("Open"))
    assert wrong["data"]["resolveComplaint"]["errors"] == [
        {"code": "status_changes_state", "field": "statusId", "errorCode": "STATUS_CHANGES_STATE"}]
    by_customer = raw(customer, resolve, id=gid("Complaint", complaint.pk), s=None)
    assert by_customer["data"]["resolveComplaint"]["errors"][0]["code"] == "forbidden"
    reopen = raw(staff, """mutation($id: ID!) { reopenComplaint(input: {id: $id, reason: "x"}) {
        errors { code } } }""", id=gid("Complaint", complaint.pk))
    assert reopen["data"]["reopenComplaint"]["errors"] == [{"code": "already_open"}]
    bad_id = raw(staff, resolve, id=gid("Booking", complaint.pk), s=None)
    assert bad_id["data"]["resolveComplaint"]["errors"][0]["code"] == "invalid_id"
    assert db_state() == before


def test_staff_keep_the_lists_and_everyone_signed_in_reads_them(world):
    staff, customer = world.staff.user, world.cust_a.user
    made = gql(staff, """mutation { createComplaintStatus(name: "Refund issued", isResolved: true, position: 5) {
        complaintStatus { id name isResolved position } errors { code } } }""")["createComplaintStatus"]
    assert made["complaintStatus"]["isResolved"] is True
    sid = made["complaintStatus"]["id"]
    renamed = gql(staff, """mutation($id: ID!) { updateComplaintStatus(input: {id: $id, name: "Refunded",
        isResolved: false}) { complaintStatus { name isResolved } errors { code } } }""", id=sid)
    assert renamed["updateComplaintStatus"]["complaintStatus"] == {"name": "Refunded", "isResolved": False}
    kind = gql(staff, """mutation { createComplaintType(name: "Noise") { complaintType { id name } errors { code }
        } }""")["createComplaintType"]["complaintType"]
    off = gql(staff, """mutation($id: ID!) { updateComplaintType(input: {id: $id, active: false}) {
        complaintType { active } errors { code } } }""", id=kind["id"])
    assert off["updateComplaintType"]["complaintType"] == {"active": False}
    names = [t["name"] for t in gql(customer, "{ complaintTypes(activeOnly: true) { name } }")["complaintTypes"]]
    assert "Noise" not in names and "Damage" in names
    statuses = gql(customer, "{ complaintStatuses { name isResolved } }")["complaintStatuses"]
    assert {"name": "Refunded", "isResolved": False} in statuses
    before = db_state()
    refused = raw(customer, """mutation { createComplaintType(name: "Mine") { errors { code } } }""")
    assert refused["data"]["createComplaintType"]["errors"] == [{"code": "forbidden"}]
    in_use = services.complaint_raise(actor=world.staff, channel=SYSTEM, booking_id=world.booking_a.pk,
                                      description="x")
    before = db_state()
    open_gid = gid("ComplaintStatus", in_use.status_id)
    deleted = raw(staff, "mutation($id: ID!) { deleteComplaintStatus(id: $id) { deletedId errors { code } } }",
                  id=open_gid)
    assert deleted["data"]["deleteComplaintStatus"] == {"deletedId": None, "errors": [{"code": "in_use"}]}
    assert db_state() == before
    gone = gql(staff, "mutation($id: ID!) { deleteComplaintStatus(id: $id) { deletedId errors { code } } }", id=sid)
    assert gone["deleteComplaintStatus"] == {"deletedId": sid, "errors": []}
    assert not ComplaintStatus.objects.filter(name="Refunded").exists()
    assert Complaint.objects.count() == 1
