"""Leads over GraphQL: filing, editing, stage moves, delete/restore, conversion with duplicate
customers, the lead sources list and the inbox filters. Staff only: for anyone else an inquiry is
exactly a missing one, and nothing they send changes anything."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from core.accounts.models import User
from core.actors import Channel
from core.crm import services
from core.crm.models import Customer, Inquiry, InquiryEntry, LeadSource
from tests import factories

from .conftest import bearer, gid, run
from .operations import ERRORS
from .operations import snapshot as domain_snapshot

MISSING = 987654
FIELDS = ("id status leadStatus lostReason prospectName prospectEmail prospectMobile preferredDates address "
          "postcode city body deletedAt leadSource { name door } wantedServices { name } owner { id } "
          "customer { id } convertedBooking { id } history { action channel }")
CREATE = f"mutation($v: CreateInquiryInput!) {{ createInquiry(input: $v) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"
UPDATE = f"mutation($v: UpdateInquiryInput!) {{ updateInquiry(input: $v) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"
MOVE = f"mutation($v: MoveInquiryInput!) {{ moveInquiry(input: $v) {{ inquiry {{ {FIELDS} }} {ERRORS} }} }}"
DELETE = f"mutation($id: ID!) {{ deleteInquiry(id: $id, reason: \"spam\") {{ inquiry {{ id }} {ERRORS} }} }}"
RESTORE = f"mutation($id: ID!) {{ restoreInquiry(id: $id) {{ inquiry {{ id deletedAt }} {ERRORS} }} }}"
CONVERT = f"""mutation($v: ConvertInquiryInput!) {{ convertInquiry(input: $v) {{
  inquiry {{ {FIELDS} }} customer {{ id name email mobile }} booking {{ id notes lines {{ description }} }}
  customerCreated duplicateCustomers {{ id }} {ERRORS} }} }}"""
LIST = """query($filter: InquiryFilter) { inquiries(filter: $filter, first: 50) {
  totalCount edges { node { prospectName } } } }"""
SOURCES = "query { leadSources { id name door active } }"


def snapshot() -> dict[str, list[dict[str, Any]]]:
    state = domain_snapshot()
    for model in (Inquiry, InquiryEntry, LeadSource, Customer):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    state["InquiryServices"] = list(Inquiry.wanted_services.through.objects.order_by("pk").values())
    state["InquiryBookings"] = list(Inquiry.bookings.through.objects.order_by("pk").values())
    return state


def _day(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.fixture
def lead(world) -> Inquiry:
    return services.inquiry_create(actor=world.staff, channel=Channel.GRAPHQL, prospect_name="Pat Lee",
                                   prospect_email="pat@example.com", prospect_mobile="+61412555111",
                                   wanted_service_ids=[world.service.pk], preferred_dates=[_day(3)],
                                   address="12 Beach Rd", postcode="2026", city="Bondi", body="Two storeys.")


def _start(days: int = 3) -> str:
    return (datetime.now().replace(hour=9, minute=0, second=0, microsecond=0)
            + timedelta(days=days)).isoformat() + "+10:00"


def test_staff_file_edit_move_and_convert_a_lead_over_http(world):
    staff_user = User.objects.get(pk=world.staff.user_id)
    client, auth = Client(), bearer(staff_user)

    def post(query: str, **variables: Any) -> dict:
        response = client.post("/graphql/", json.dumps({"query": query, "variables": variables}),
                               content_type="application/json", HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200
        return response.json()

    referral = post("mutation { createLeadSource(name: \"Referral\") { leadSource { id name door active } "
                    f"{ERRORS} }} }}")["data"]["createLeadSource"]
    assert referral["errors"] == [] and referral["leadSource"]["door"] is None
    made = post(CREATE, v={
        "prospectName": "Pat Lee", "prospectEmail": "Pat@Example.com", "prospectMobile": "0412 555 111",
        "wantedServiceIds": [gid("Service", world.service.pk)], "preferredDates": [_day(4), _day(2)],
        "address": "12 Beach Rd", "postcode": "2026", "city": "Bondi", "body": "Two storeys.",
        "leadSourceId": referral["leadSource"]["id"], "ownerId": gid("User", staff_user.pk)})["data"]["createInquiry"]
    assert made["errors"] == []
    node = made["inquiry"]
    assert (node["status"], node["leadStatus"], node["prospectMobile"], node["prospectEmail"]) == (
        "OPEN", "NEW", "+61412555111", "pat@example.com")
    assert node["preferredDates"] == [_day(2), _day(4)]
    assert node["leadSource"] == {"name": "Referral", "door": None}
    assert node["wantedServices"] == [{"name": world.service.name}]
    assert node["owner"] == {"id": gid("User", staff_user.pk)}

    edited = post(UPDATE, v={"id": node["id"], "city": "Bondi Beach", "preferredDates": None})["data"]
    assert edited["updateInquiry"]["inquiry"]["city"] == "Bondi Beach"
    assert edited["updateInquiry"]["inquiry"]["preferredDates"] == []
    moved = post(MOVE, v={"id": node["id"], "leadStatus": "QUOTED"})["data"]["moveInquiry"]["inquiry"]
    assert moved["leadStatus"] == "QUOTED"

    converted = post(CONVERT, v={"id": node["id"], "scheduledStart": _start()})["data"]["convertInquiry"]
    assert converted["errors"] == [] and converted["customerCreated"] is True
    assert converted["customer"]["name"] == "Pat Lee" and converted["customer"]["mobile"] == "+61412555111"
    assert converted["booking"]["notes"] == "Two storeys."
    assert [line["description"] for line in converted["booking"]["lines"]] == [world.service.name]
    inquiry = converted["inquiry"]
    assert (inquiry["leadStatus"], inquiry["status"]) == ("CONVERTED", "RESOLVED")
    assert inquiry["convertedBooking"] == {"id": converted["booking"]["id"]}
    assert [h["action"] for h in inquiry["history"]] == ["OPENED", "UPDATED", "MOVED", "CONVERTED"]


def test_a_duplicate_customer_is_offered_and_the_choice_is_explicit(world, lead):
    twin = factories.customer(email="PAT@example.com")
    before = snapshot()
    refused = run(world.staff, CONVERT, v={"id": gid("Inquiry", lead.pk), "scheduledStart": _start()})
    payload = refused["data"]["convertInquiry"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("duplicate_customer", "mergeIntoCustomerId")]
    assert payload["duplicateCustomers"] == [{"id": gid("Customer", twin.pk)}] and payload["inquiry"] is None
    assert snapshot() == before
    offered = run(world.staff, "query($id: ID!) { node(id: $id) { ... on Inquiry { duplicateCustomers { id } } } }",
                  id=gid("Inquiry", lead.pk))["data"]["node"]
    assert offered == {"duplicateCustomers": [{"id": gid("Customer", twin.pk)}]}
    merged = run(world.staff, CONVERT, v={"id": gid("Inquiry", lead.pk), "scheduledStart": _start(),
                                          "mergeIntoCustomerId": gid("Customer", twin.pk)})["data"]["convertInquiry"]
    assert merged["errors"] == [] and merged["customerCreated"] is False
    assert merged["customer"]["id"] == gid("Customer", twin.pk)


def _operations(inquiry_gid: str, world) -> list[tuple[str, str, dict]]:
    return [
        ("updateInquiry", UPDATE, {"v": {"id": inquiry_gid, "city": "X"}}),
        ("moveInquiry", MOVE, {"v": {"id": inquiry_gid, "leadStatus": "CONTACTED"}}),
        ("deleteInquiry", DELETE, {"id": inquiry_gid}),
        ("convertInquiry", CONVERT, {"v": {"id": inquiry_gid, "scheduledStart": _start()}}),
    ]


@pytest.mark.parametrize("who", ["customer", "fieldworker", "anonymous"])
def test_anyone_but_staff_meets_a_missing_inquiry_and_changes_nothing(world, lead, who):
    actor = world.actor(who)
    for (name, document, variables), (_, _, ghost) in zip(_operations(gid("Inquiry", lead.pk), world),
                                                          _operations(gid("Inquiry", MISSING), world), strict=True):
        before = snapshot()
        denied = run(actor, document, **variables)
        assert snapshot() == before, name
        assert [e["code"] for e in denied["data"][name]["errors"]] == ["not_found"], (name, denied)
        assert denied == run(actor, document, **ghost), name
    filed = run(actor, CREATE, v={"prospectName": "X", "body": "hi"})["data"]["createInquiry"]
    assert [e["code"] for e in filed["errors"]] == ["forbidden"]
    assert run(actor, SOURCES)["data"]["leadSources"] == []
    assert run(actor, LIST)["data"]["inquiries"]["totalCount"] == 0
    made = run(actor, "mutation { createLeadSource(name: \"Mine\") { leadSource { id } errors { code } } }")
    assert made["data"]["createLeadSource"] == {"leadSource": None, "errors": [{"code": "forbidden"}]}
    assert not LeadSource.objects.filter(name="Mine").exists()


def test_staff_bad_input_is_a_typed_error_and_changes_nothing(world, lead):
    inquiry_gid = gid("Inquiry", lead.pk)
    refusals = [
        (CREATE, "createInquiry", {"v": {"prospectName": ""}}, ("required", "prospectName")),
        (CREATE, "createInquiry", {"v": {"prospectName": "A", "prospectMobile": "12"}},
         ("invalid_phone", "prospectMobile")),
        (CREATE, "createInquiry", {"v": {"prospectName": "A", "wantedServiceIds": ["junk"]}},
         ("invalid_id", "wantedServiceIds.0")),
        (CREATE, "createInquiry", {"v": {"prospectName": "A", "leadSourceId": gid("LeadSource", MISSING)}},
         ("not_found", "leadSourceId")),
        (UPDATE, "updateInquiry", {"v": {"id": inquiry_gid, "prospectEmail": "nope"}},
         ("invalid_email", "prospectEmail")),
        (UPDATE, "updateInquiry", {"v": {"id": inquiry_gid, "leadSourceId": None}}, ("required", "leadSourceId")),
        (MOVE, "moveInquiry", {"v": {"id": inquiry_gid, "leadStatus": "LOST"}}, ("required", "lostReason")),
        (MOVE, "moveInquiry", {"v": {"id": inquiry_gid, "leadStatus": "CONVERTED"}},
         ("convert_instead", "leadStatus")),
        (CONVERT, "convertInquiry", {"v": {"id": inquiry_gid, "scheduledStart": _start(),
                                           "mergeIntoCustomerId": gid("Customer", MISSING)}},
         ("not_found", "mergeIntoCustomerId")),
    ]
    before = snapshot()
    for document, name, variables, expected in refusals:
        payload = run(world.staff, document, **variables)["data"][name]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [expected], (name, variables, payload)
    # a NUL character is refused for the whole request, before it runs, like every string argument
    # of the API (decision 0151): same code, the field is the variable's path
    refused = run(world.staff, CREATE, v={"prospectName": "A\x00"})
    assert refused["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in refused["errors"]] == [
        ("invalid_characters", "v.prospectName")]
    assert snapshot() == before


def test_delete_and_restore(world, lead):
    inquiry_gid = gid("Inquiry", lead.pk)
    assert run(world.staff, DELETE, id=inquiry_gid)["data"]["deleteInquiry"]["errors"] == []
    assert run(world.staff, LIST)["data"]["inquiries"]["totalCount"] == 0
    assert run(world.staff, LIST, filter={"deleted": True})["data"]["inquiries"]["totalCount"] == 1
    again = run(world.staff, DELETE, id=inquiry_gid)["data"]["deleteInquiry"]
    assert [e["code"] for e in again["errors"]] == ["not_found"]
    restored = run(world.staff, RESTORE, id=inquiry_gid)["data"]["restoreInquiry"]
    assert restored == {"inquiry": {"id": inquiry_gid, "deletedAt": None}, "errors": []}
    assert run(world.staff, LIST)["data"]["inquiries"]["totalCount"] == 1


def test_the_inbox_filters_by_stage_source_owner_and_dates(world):
    staff = world.staff
    owner = factories.staff_user()
    flyer = services.lead_source_create(actor=staff, channel=Channel.GRAPHQL, name="Flyer")

    def make(name: str, **kwargs) -> Inquiry:
        return services.inquiry_create(actor=staff, channel=Channel.GRAPHQL, prospect_name=name, **kwargs)

    make("Ann", lead_source_id=flyer.pk, preferred_dates=[_day(2)])
    bob = make("Bob", assignee_id=owner.pk, preferred_dates=[_day(10), _day(20)])
    cat = make("Cat")
    services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=bob.pk, lead_status="contacted")
    services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=cat.pk, lead_status="lost",
                          lost_reason="No answer")
    Inquiry.objects.filter(pk=cat.pk).update(created_at=datetime.fromisoformat("2026-01-05T00:00:00+00:00"))

    def names(**flt) -> list[str]:
        result = run(staff, LIST, filter=flt)
        assert "errors" not in result, result
        return sorted(edge["node"]["prospectName"] for edge in result["data"]["inquiries"]["edges"])

    assert names(leadStatus=["CONTACTED", "LOST"]) == ["Bob", "Cat"]
    assert names(leadSourceId=gid("LeadSource", flyer.pk)) == ["Ann"]
    assert names(ownerId=gid("User", owner.pk)) == ["Bob"]
    assert names(receivedBefore="2026-02-01T00:00:00+00:00") == ["Cat"]
    assert names(receivedFrom="2026-02-01T00:00:00+00:00") == ["Ann", "Bob"]
    assert names(preferredFrom=_day(5)) == ["Bob"]
    assert names(preferredFrom=_day(1), preferredTo=_day(12)) == ["Ann", "Bob"]
    assert names(preferredTo=_day(1)) == []
    bad = run(staff, LIST, filter={"leadSourceId": "junk"})
    assert bad["errors"][0]["extensions"] == {"code": "invalid_id", "field": "filter.leadSourceId"}


def test_a_page_of_leads_costs_the_same_queries_for_5_or_25_rows(world, django_assert_num_queries):
    query = """{ inquiries(first: 50) { edges { node { id prospectName leadStatus preferredDates
      leadSource { name } wantedServices { name } owner { displayName } } } } }"""
    owner = factories.staff_user()

    def seed(count: int) -> None:
        for n in range(count):
            services.inquiry_create(actor=world.staff, channel=Channel.GRAPHQL, prospect_name=f"P{n}",
                                    wanted_service_ids=[world.service.pk], assignee_id=owner.pk)

    seed(5)
    # the page (with its owner joined), then the lead sources (scoped, so read apart) and the wanted
    # services: one query each
    with django_assert_num_queries(3):
        assert len(run(world.staff, query)["data"]["inquiries"]["edges"]) == 5
    seed(20)
    with django_assert_num_queries(3):
        assert len(run(world.staff, query)["data"]["inquiries"]["edges"]) == 25


def test_the_lead_sources_list(world):
    listed = run(world.staff, SOURCES)["data"]["leadSources"]
    assert {(s["name"], s["door"]) for s in listed} >= {("Website form", "WEBSITE"), ("SMS", "SMS"),
                                                        ("Customer portal", "PORTAL"), ("Entered by staff", "STAFF")}
    website = next(s for s in listed if s["door"] == "WEBSITE")
    off = run(world.staff, "mutation($v: UpdateLeadSourceInput!) { updateLeadSource(input: $v) { "
                           "leadSource { active } errors { code field } } }", v={"id": website["id"], "active": False})
    assert off["data"]["updateLeadSource"] == {"leadSource": None, "errors": [{"code": "door_source",
                                                                                "field": "active"}]}
    renamed = run(world.staff, "mutation($v: UpdateLeadSourceInput!) { updateLeadSource(input: $v) { "
                               "leadSource { name } errors { code } } }", v={"id": website["id"], "name": "Our site"})
    assert renamed["data"]["updateLeadSource"] == {"leadSource": {"name": "Our site"}, "errors": []}
    made = services.lead_source_create(actor=world.staff, channel=Channel.GRAPHQL, name="Radio")
    gone = run(world.staff, "mutation($id: ID!) { deleteLeadSource(id: $id) { deletedId errors { code } } }",
               id=gid("LeadSource", made.pk))
    assert gone["data"]["deleteLeadSource"] == {"deletedId": gid("LeadSource", made.pk), "errors": []}


def test_the_lead_sources_list_is_one_query_however_long(world, django_assert_num_queries):
    for n in range(15):
        services.lead_source_create(actor=world.staff, channel=Channel.GRAPHQL, name=f"Source {n}")
    with django_assert_num_queries(1):
        listed = run(world.staff, SOURCES)["data"]["leadSources"]
    assert len(listed) == 19  # the four doors' and these
