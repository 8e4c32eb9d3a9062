"""Labels on inquiries (the company's label list, those that tag inquiries) and a reply that moves a
new lead to contacted, as staff meet them over GraphQL; refusals are typed errors that change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from core.actors import Actor, Channel
from core.company.models import Label
from core.crm import services
from core.crm.events import InquiryMoved, InquiryReplied
from core.crm.models import Inquiry, InquiryEntry
from tests import factories
from tests.core.support import _touch_singletons, db_state
from tests.graphql_api.conftest import gid

from ..over_http import gql, sign_in

UPDATE = """mutation ($v: UpdateInquiryInput!) { updateInquiry(input: $v) {
  inquiry { leadStatus labels { name colour } history { action } } errors { code field } } }"""
REPLY = """mutation ($id: ID!, $body: String!) { replyToInquiry(input: {id: $id, body: $body}) {
  errors { code field } } }"""


@pytest.fixture
def staff(db):
    user = factories.staff_user()
    sign_in(user)
    return user


@pytest.fixture
def lead(staff) -> Inquiry:
    return services.inquiry_create(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, prospect_name="Pat Lee",
                                   prospect_mobile="+61412555111", body="Windows, two storeys.")


def label(name: str, applies_to: list[str], active: bool = True) -> Label:
    return Label.objects.create(name=name, applies_to=applies_to, active=active)


def update(staff, lead, label_ids: list | None) -> dict[str, Any]:
    return gql(staff, UPDATE, v={"id": gid("Inquiry", lead.pk), "labelIds": label_ids})["updateInquiry"]


def test_staff_label_an_inquiry_and_the_history_says_so(staff, lead):
    hot, vip = label("Hot", ["inquiry"]), label("VIP", ["customer", "inquiry"])
    done = update(staff, lead, [gid("Label", hot.pk), gid("Label", vip.pk)])
    assert done["errors"] == []
    assert [entry["name"] for entry in done["inquiry"]["labels"]] == ["Hot", "VIP"]
    entry = InquiryEntry.objects.filter(inquiry=lead, action="updated").get()
    assert entry.data == {"changes": {"label_ids": [[], sorted([hot.pk, vip.pk])]}}
    cleared = update(staff, lead, None)
    assert cleared["inquiry"]["labels"] == []
    assert list(lead.labels.all()) == []


def test_a_retired_label_stays_where_it_is_but_is_not_chosen_anew(staff, lead):
    hot, cold = label("Hot", ["inquiry"]), label("Cold", ["inquiry"])
    update(staff, lead, [gid("Label", hot.pk)])
    Label.objects.filter(pk=hot.pk).update(active=False)
    kept = update(staff, lead, [gid("Label", hot.pk), gid("Label", cold.pk)])
    assert [entry["name"] for entry in kept["inquiry"]["labels"]] == ["Cold", "Hot"]
    other = services.inquiry_create(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, prospect_name="Sam")
    _touch_singletons()
    before = db_state()
    refused = update(staff, other, [gid("Label", hot.pk)])
    assert refused["errors"] == [{"code": "not_found", "field": "labelIds"}]
    assert db_state() == before


@pytest.mark.parametrize("kind", ["wrong kind", "missing", "too many"])
def test_labels_that_do_not_tag_inquiries_are_refused(kind, staff, lead):
    invoice_only = label("Overdue", ["invoice"])
    ids = {"wrong kind": [gid("Label", invoice_only.pk)], "missing": [gid("Label", 987654)],
           "too many": [gid("Label", label(f"L{n}", ["inquiry"]).pk) for n in range(11)]}[kind]
    _touch_singletons()
    before = db_state()
    refused = update(staff, lead, ids)
    assert refused["inquiry"] is None
    assert refused["errors"] == [{"code": "too_many" if kind == "too many" else "not_found", "field": "labelIds"}]
    assert db_state() == before


def test_others_cannot_label_an_inquiry(staff, lead):
    hot = label("Hot", ["inquiry"])
    customer = factories.customer(with_login=True).user
    sign_in(customer)
    _touch_singletons()
    before = db_state()
    refused = update(customer, lead, [gid("Label", hot.pk)])
    assert refused["errors"] == [{"code": "not_found", "field": "id"}]
    assert db_state() == before


def test_replying_to_a_new_lead_moves_it_to_contacted(staff, lead, published):
    from core import events

    seen: list = []
    events.subscribe(InquiryReplied, seen.append)
    events.subscribe(InquiryMoved, seen.append)
    try:
        done = gql(staff, REPLY, id=gid("Inquiry", lead.pk), body="Happy to quote: Tuesday?")["replyToInquiry"]
        published.all()  # runs what waits for the commit
    finally:
        events.unsubscribe(InquiryReplied, seen.append)
        events.unsubscribe(InquiryMoved, seen.append)
    assert done["errors"] == []
    lead.refresh_from_db()
    assert lead.lead_status == "contacted"
    actions = list(lead.entries.values_list("action", "channel"))
    assert actions[-2:] == [("replied", "graphql"), ("moved", "graphql")]
    moved = [e for e in seen if isinstance(e, InquiryMoved)]
    assert [(e.previous_lead_status, e.lead_status) for e in moved] == [("new", "contacted")]
    # a second reply, or a reply to a lead further along, leaves the stage alone
    gql(staff, REPLY, id=gid("Inquiry", lead.pk), body="Or Wednesday.")
    services.inquiry_move(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                          lead_status="quoted")
    gql(staff, REPLY, id=gid("Inquiry", lead.pk), body="Quote sent.")
    lead.refresh_from_db()
    assert lead.lead_status == "quoted"
    assert lead.entries.filter(action="moved").count() == 2
