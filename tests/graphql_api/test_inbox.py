"""The inbox over GraphQL: the inquiries connection and its filters, the mutations and their typed
errors. Staff only: for customers and fieldworkers an inquiry looks exactly like a missing one, and
nothing they send changes anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from core.accounts.models import User
from core.actors import Actor, Channel
from core.bookings.models import BookingEvent
from core.company.selectors import get_company
from core.crm import services
from core.crm.models import Inquiry, InquiryEntry, InquiryKind
from core.sms import backends
from core.sms.models import SmsMessage
from tests import factories

from .conftest import gid, run
from .operations import ERRORS
from .operations import snapshot as domain_snapshot

MISSING = 987654
STRANGER = "+61499888777"

FIELDS = "id kind status channel contact body resolutionNote resolvedAt assignee { id } customer { id } " \
         "bookings { id } history { action actorKind channel body }"
ASSIGN = f"""mutation($v: AssignInquiryInput!) {{ assignInquiry(input: $v) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"""
REPLY = f"""mutation($v: ReplyToInquiryInput!) {{ replyToInquiry(input: $v) {{
  reply {{ id action body deliveryStatus }} {ERRORS} }} }}"""
RESOLVE = f"""mutation($v: ResolveInquiryInput!) {{ resolveInquiry(input: $v) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"""
REOPEN = f"""mutation($id: ID!) {{ reopenInquiry(id: $id) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"""
LINK = f"""mutation($v: LinkInquiryInput!) {{ linkInquiry(input: $v) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"""
LIST = """query($filter: InquiryFilter, $first: Int, $after: String) {
  inquiries(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id contact } } } }"""


def snapshot() -> dict[str, list[dict[str, Any]]]:
    state = domain_snapshot()
    state["Inquiry"] = list(Inquiry.objects.order_by("pk").values())
    state["InquiryBookings"] = list(Inquiry.bookings.through.objects.order_by("pk").values())
    state["InquiryEntry"] = list(InquiryEntry.objects.order_by("pk").values())
    state["SmsMessage"] = list(SmsMessage.objects.order_by("pk").values())
    return state


@pytest.fixture
def inquiry(world) -> Inquiry:
    return services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="Do you clean gutters?",
                                 contact=STRANGER)


def _operations(world, inquiry_gid: str, staff_gid: str) -> list[tuple[str, str, dict]]:
    return [
        ("assignInquiry", ASSIGN, {"v": {"id": inquiry_gid, "assigneeId": staff_gid}}),
        ("replyToInquiry", REPLY, {"v": {"id": inquiry_gid, "body": "hello"}}),
        ("resolveInquiry", RESOLVE, {"v": {"id": inquiry_gid, "note": "done"}}),
        ("reopenInquiry", REOPEN, {"id": inquiry_gid}),
        ("linkInquiry", LINK, {"v": {"id": inquiry_gid, "bookingIds": [gid("Booking", world.booking_a.pk)]}}),
    ]


@pytest.mark.parametrize("who", ["customer", "fieldworker", "anonymous"])
def test_customers_and_fieldworkers_get_not_found_and_change_nothing(world, inquiry, who,
                                                                   django_capture_on_commit_callbacks):
    actor = world.actor(who)
    staff_gid = gid("User", world.staff.user_id)
    services.inquiry_resolve(actor=world.staff, channel=Channel.SYSTEM, inquiry_id=inquiry.pk)  # reopen may apply
    real = _operations(world, gid("Inquiry", inquiry.pk), staff_gid)
    ghost = _operations(world, gid("Inquiry", MISSING), staff_gid)
    backends.outbox.clear()
    for (name, document, variables), (_, _, missing_variables) in zip(real, ghost, strict=True):
        before = snapshot()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            denied = run(actor, document, **variables)
            missing = run(actor, document, **missing_variables)
        assert callbacks == []
        assert snapshot() == before, f"{name} changed the database"
        payload = denied["data"][name]
        assert [e["code"] for e in payload["errors"]] == ["not_found"], (name, payload)
        assert denied == missing, f"{name}: denied differs from missing"
    assert backends.outbox == [] and mail.outbox == []

    assert run(actor, LIST)["data"]["inquiries"] == {
        "totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []}
    entry = inquiry.entries.first()
    for type_name, pk in (("Inquiry", inquiry.pk), ("InquiryHistoryEntry", entry.pk)):
        assert run(world.staff, "query($id: ID!) { node(id: $id) { id } }", id=gid(type_name, pk))["data"]["node"]
        assert run(actor, "query($id: ID!) { node(id: $id) { id } }", id=gid(type_name, pk)) == {
            "data": {"node": None}}


def test_staff_wrong_ids_are_typed_errors_and_change_nothing(world, inquiry):
    staff = world.staff
    before = snapshot()
    for name, document, variables in _operations(world, gid("Inquiry", MISSING), gid("User", staff.user_id)):
        payload = run(staff, document, **variables)["data"][name]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("not_found", "id")], name
    inquiry_gid = gid("Inquiry", inquiry.pk)
    refusals = [
        ("assignInquiry", ASSIGN, {"v": {"id": inquiry_gid, "assigneeId": gid("User", MISSING)}},
         ("not_found", "assigneeId")),
        ("assignInquiry", ASSIGN, {"v": {"id": inquiry_gid, "assigneeId": gid("User", world.cust_a.user_id)}},
         ("not_staff", "assigneeId")),
        ("assignInquiry", ASSIGN, {"v": {"id": gid("Booking", inquiry.pk), "assigneeId": None}}, ("invalid_id", "id")),
        ("linkInquiry", LINK, {"v": {"id": inquiry_gid, "bookingIds": [gid("Booking", MISSING)]}},
         ("not_found", "bookingIds")),
        ("linkInquiry", LINK, {"v": {"id": inquiry_gid, "bookingIds": ["garbage"]}}, ("invalid_id", "bookingIds.0")),
        ("linkInquiry", LINK, {"v": {"id": inquiry_gid, "customerId": gid("Customer", MISSING)}},
         ("not_found", "customerId")),
        ("linkInquiry", LINK, {"v": {"id": inquiry_gid, "bookingIds": [gid("Booking", world.booking_a.pk),
                                                                       gid("Booking", world.booking_b.pk)]}},
         ("other_customer", "bookingIds")),
        ("replyToInquiry", REPLY, {"v": {"id": inquiry_gid, "body": " "}}, ("required", "body")),
        ("reopenInquiry", REOPEN, {"id": inquiry_gid}, ("not_resolved", None)),
    ]
    for name, document, variables, expected in refusals:
        payload = run(staff, document, **variables)["data"][name]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [expected], (name, variables)
    assert snapshot() == before
    bad_filter = run(staff, LIST, filter={"customerId": "nope"})
    assert bad_filter["errors"][0]["extensions"] == {"code": "invalid_id", "field": "filter.customerId"}


def test_staff_work_an_inquiry_through_to_resolved(world, inquiry, django_capture_on_commit_callbacks):
    staff, inquiry_gid = world.staff, gid("Inquiry", inquiry.pk)
    me = gid("User", staff.user_id)
    assigned = run(staff, ASSIGN, v={"id": inquiry_gid, "assigneeId": me})["data"]["assignInquiry"]
    assert assigned["errors"] == [] and assigned["inquiry"]["assignee"] == {"id": me}

    linked = run(staff, LINK, v={"id": inquiry_gid, "bookingIds": [gid("Booking", world.booking_a.pk)]})
    node = linked["data"]["linkInquiry"]["inquiry"]
    assert node["customer"] == {"id": gid("Customer", world.cust_a.pk)}
    assert node["bookings"] == [{"id": gid("Booking", world.booking_a.pk)}]
    assert BookingEvent.objects.filter(booking=world.booking_a, action="inquiry_received").count() == 1

    backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        replied = run(staff, REPLY, v={"id": inquiry_gid, "body": "Yes, we do."})["data"]["replyToInquiry"]
    assert replied["errors"] == []
    assert (replied["reply"]["action"], replied["reply"]["body"]) == ("REPLIED", "Yes, we do.")
    assert [(m.to, m.body) for m in backends.outbox] == [(STRANGER, "Yes, we do.")]

    resolved = run(staff, RESOLVE, v={"id": inquiry_gid, "note": "Quoted."})["data"]["resolveInquiry"]["inquiry"]
    assert (resolved["status"], resolved["resolutionNote"]) == ("RESOLVED", "Quoted.")
    assert resolved["resolvedAt"] is not None
    again = run(staff, RESOLVE, v={"id": inquiry_gid})["data"]["resolveInquiry"]
    assert [e["code"] for e in again["errors"]] == ["already_resolved"] and again["inquiry"] is None

    reopened = run(staff, REOPEN, id=inquiry_gid)["data"]["reopenInquiry"]["inquiry"]
    assert (reopened["status"], reopened["resolvedAt"]) == ("OPEN", None)
    assert [(h["action"], h["actorKind"]) for h in reopened["history"]] == [
        ("OPENED", "SYSTEM"), ("ASSIGNED", "STAFF"), ("LINKED", "STAFF"), ("REPLIED", "STAFF"),
        ("MOVED", "STAFF"),  # the reply contacted the new lead (decision 0195)
        ("RESOLVED", "STAFF"), ("REOPENED", "STAFF")]


def test_the_inbox_filters_and_pages(world):
    staff = world.staff
    other_staff = factories.staff_user()
    services.inquiry_open(actor=world.actor_a, channel=Channel.SMS, kind=InquiryKind.CANCELLATION_REQUEST,
                          body="CANCEL", customer_id=world.cust_a.pk, booking_ids=[world.booking_a.pk],
                          contact=world.cust_a.mobile)
    by_link = services.inquiry_open(actor=Actor.system(), channel=Channel.EMAIL_LINK, body="Hello",
                                    contact="sam@example.com")
    stranger = services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="Hi", contact=STRANGER)
    services.inquiry_assign(actor=staff, channel=Channel.SYSTEM, inquiry_id=by_link.pk, assignee_id=other_staff.pk)
    services.inquiry_resolve(actor=staff, channel=Channel.SYSTEM, inquiry_id=stranger.pk)

    def contacts(**flt) -> list[str]:
        result = run(staff, LIST, filter=flt)
        assert "errors" not in result, result
        return [edge["node"]["contact"] for edge in result["data"]["inquiries"]["edges"]]

    assert contacts() == [STRANGER, "sam@example.com", world.cust_a.mobile]  # newest first
    assert contacts(status="OPEN") == ["sam@example.com", world.cust_a.mobile]
    assert contacts(status="RESOLVED") == [STRANGER]
    assert contacts(kind="CANCELLATION_REQUEST") == [world.cust_a.mobile]
    assert contacts(channel="EMAIL_LINK") == ["sam@example.com"]
    assert contacts(customerId=gid("Customer", world.cust_a.pk)) == [world.cust_a.mobile]
    assert contacts(bookingId=gid("Booking", world.booking_a.pk)) == [world.cust_a.mobile]
    assert contacts(bookingId=gid("Booking", world.booking_b.pk)) == []
    assert contacts(assigneeId=gid("User", other_staff.pk)) == ["sam@example.com"]

    page = run(staff, LIST, first=2)["data"]["inquiries"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    rest = run(staff, LIST, first=2, after=page["pageInfo"]["endCursor"])["data"]["inquiries"]
    assert [e["node"]["contact"] for e in rest["edges"]] == [world.cust_a.mobile]
    assert run(staff, LIST, first=1000)["errors"][0]["extensions"]["code"] == "page_size"


def test_a_page_of_the_inbox_costs_the_same_queries_for_5_or_25_rows(world, django_assert_num_queries):
    query = """{ inquiries(first: 50) { edges { node { id contact customer { name } assignee { displayName }
      bookings { number } timeZone history { action } } } } }"""
    staff_user = User.objects.get(pk=world.staff.user_id)

    def seed(count: int) -> None:
        for n in range(count):
            inquiry = services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body=f"#{n}",
                                            customer_id=world.cust_a.pk, contact=world.cust_a.mobile,
                                            booking_ids=[world.booking_a.pk] if n % 2 else [])
            services.inquiry_assign(actor=world.staff, channel=Channel.SYSTEM, inquiry_id=inquiry.pk,
                                    assignee_id=staff_user.pk)

    company = get_company()
    company.time_zone = "Australia/Brisbane"  # the booking keeps the zone it was made in
    company.save()
    assert world.booking_a.time_zone != company.time_zone
    seed(5)
    # the page, then its customers, assignees, bookings and history entries: one query each; and the
    # company's time zone once, for the inquiries that concern no booking
    with django_assert_num_queries(6):
        page = run(world.staff, query)["data"]["inquiries"]["edges"]
    assert len(page) == 5
    assert {edge["node"]["timeZone"] for edge in page} == {world.booking_a.time_zone, "Australia/Brisbane"}
    seed(20)
    with django_assert_num_queries(6):
        assert len(run(world.staff, query)["data"]["inquiries"]["edges"]) == 25
