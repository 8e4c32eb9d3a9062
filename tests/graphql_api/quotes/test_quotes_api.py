"""Quotes over HTTP, per role: the staff flow end to end (create, send, the customer accepts, the
invoice), the list and its filters (no N+1), who reads what (another customer's quote is null, like
a missing one; fieldworkers none), typed refusals that change nothing, and the PDF link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from core.actors import Channel
from core.company import services as company_services
from core.sales import quotes
from core.sales.quote_models import Quote
from tests.core.sales.support import db_state, pdf_amount, pdf_text

from ..conftest import gid
from ..over_http import gql, sign_in

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM

FIELDS = """id number status total subtotal taxTotal discountTotal validUntil followUpDate tradingName
            termsVersion acceptedTermsVersion pdfUrl customer { id } owner { id } labels { name }
            lines { kind description quantity unitPrice net tax total listUnitPrice priceOverriddenBy { id } }"""


def sent_quote(world, customer, *, price: str = "70") -> Quote:
    quote = quotes.quote_create(actor=world.staff, channel=SYSTEM, customer_id=customer.pk,
                                lines=[quotes.QuoteLineInput(description="Work", unit_price=price)])
    return quotes.quote_send(actor=world.staff, channel=SYSTEM, quote_id=quote.pk, send_email=False)


def test_the_staff_flow_and_the_customers_answer_over_http(world):
    staff = world.staff.user
    label = company_services.label_create(actor=world.staff, channel=SYSTEM, name="Hot", applies_to=["quote"])
    made = gql(staff, """mutation($c: ID!, $s: ID!, $l: ID!) { createQuote(input: {customerId: $c, labelIds: [$l],
        followUpDate: "2999-01-01", lines: [{serviceId: $s, quantity: "2", unitPrice: "100"},
        {kind: DISCOUNT, description: "Voucher", unitPrice: "11"}]}) { quote { FIELDS } errors { code } } }"""
               .replace("FIELDS", FIELDS), c=gid("Customer", world.cust_a.pk), s=gid("Service", world.service.pk),
               l=gid("Label", label.pk))["createQuote"]
    assert made["errors"] == []
    quote = made["quote"]
    assert quote["status"] == "DRAFT" and quote["number"].startswith("Q-") and quote["labels"] == [{"name": "Hot"}]
    assert quote["lines"][0]["listUnitPrice"] == "120.00" and quote["lines"][0]["priceOverriddenBy"]["id"] == gid(
        "User", staff.pk)
    assert (quote["subtotal"], quote["taxTotal"], quote["total"]) == ("189.00", "20.00", "209.00")
    sent = gql(staff, """mutation($i: ID!) { sendQuote(input: {id: $i, sendEmail: false}) {
        quote { status validUntil } errors { code } } }""", i=quote["id"])["sendQuote"]
    assert sent["quote"]["status"] == "SENT" and sent["quote"]["validUntil"]
    customer = world.cust_a.user
    listed = gql(customer, "{ quotes { edges { node { number total pdfUrl labels { name } } } } }")
    assert [edge["node"]["number"] for edge in listed["quotes"]["edges"]] == [quote["number"]]
    assert listed["quotes"]["edges"][0]["node"]["labels"] == []  # the office's
    accepted = gql(customer, """mutation($i: ID!) { acceptQuote(id: $i) { quote { status } errors { code } } }""",
                   i=quote["id"])["acceptQuote"]
    assert accepted == {"quote": {"status": "ACCEPTED"}, "errors": []}
    invoice = gql(staff, """mutation($i: ID!) { createInvoiceFromQuote(quoteId: $i) {
        invoice { source total status } errors { code } } }""", i=quote["id"])["createInvoiceFromQuote"]
    assert invoice == {"invoice": {"source": "QUOTE", "total": "209.00", "status": "DRAFT"}, "errors": []}
    history = gql(staff, "query($i: ID!) { quoteHistory(quoteId: $i) { action channel actorKind } }", i=quote["id"])
    assert [(row["action"], row["actorKind"]) for row in history["quoteHistory"]] == [
        ("created", "STAFF"), ("sent", "STAFF"), ("accepted", "CUSTOMER"), ("invoiced", "STAFF")]


def test_the_pdf_link_serves_the_quotes_figures(world):
    quote = sent_quote(world, world.cust_a, price="55.55")
    url = gql(world.cust_a.user, "query($i: ID!) { quote(id: $i) { pdfUrl } }", i=gid("Quote", quote.pk))
    path = url["quote"]["pdfUrl"].split("://", 1)[1].split("/", 1)[1]
    response = Client().get("/" + path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pdf_amount(pdf_text(response.content), "Total") == quote.total


def test_filters_narrow_the_list_and_bad_ranges_are_refused(world):
    staff = world.staff.user
    mine = sent_quote(world, world.cust_a)
    theirs = sent_quote(world, world.cust_b)
    quotes.quote_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk)
    query = "query($f: QuoteFilter) { quotes(filter: $f) { edges { node { number } } } }"

    def numbers(**flt):
        return {edge["node"]["number"] for edge in gql(staff, query, f=flt)["quotes"]["edges"]}

    assert numbers(status=["SENT"]) == {mine.number, theirs.number}
    assert numbers(customerId=gid("Customer", world.cust_b.pk)) == {theirs.number}
    assert numbers(ownerId=gid("User", staff.pk), status=["SENT"]) == {mine.number, theirs.number}
    valid = mine.valid_until
    assert numbers(validFrom=str(valid), validTo=str(valid)) == {mine.number, theirs.number}
    assert numbers(validTo=str(valid - timedelta(days=1))) == set()
    sign_in(staff)
    response = Client().post("/graphql/", {"query": query, "variables": {"f": {
        "validFrom": "2030-01-02", "validTo": "2030-01-01"}}}, content_type="application/json",
        HTTP_AUTHORIZATION=staff._test_bearer)
    assert response.json()["errors"][0]["extensions"]["code"] == "end_before_start"


def test_the_list_costs_the_same_queries_for_three_or_nine_quotes(world, django_assert_num_queries):
    query = """{ quotes(first: 50) { edges { node { number total tradingName termsVersion customer { name }
                 owner { id } labels { name } lines { description net } } } } }"""
    staff = world.staff.user
    sign_in(staff)
    for _ in range(3):
        sent_quote(world, world.cust_a)
    import django.db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(django.db.connection) as three:
        assert len(gql(staff, query)["quotes"]["edges"]) == 3
    for _ in range(6):
        sent_quote(world, world.cust_b)
    with django_assert_num_queries(len(three.captured_queries)):
        assert len(gql(staff, query)["quotes"]["edges"]) == 9


def test_another_customers_quote_reads_as_missing_and_fieldworkers_see_none(world):
    theirs = sent_quote(world, world.cust_b)
    draft = quotes.quote_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk)
    user = world.cust_a.user
    for hidden in (theirs.pk, draft.pk, 999999):
        assert gql(user, "query($i: ID!) { quote(id: $i) { number } }", i=gid("Quote", hidden)) == {"quote": None}
        assert gql(user, "query($i: ID!) { node(id: $i) { id } }", i=gid("Quote", hidden)) == {"node": None}
    assert gql(world.fw_b.user, "{ quotes { edges { node { number } } } }")["quotes"]["edges"] == []
    before = db_state()
    body = gql(user, """mutation($i: ID!) { acceptQuote(id: $i) { quote { id } errors { code } } }""",
               i=gid("Quote", theirs.pk))
    assert body["acceptQuote"] == {"quote": None, "errors": [{"code": "not_found"}]}
    assert db_state() == before


@pytest.mark.parametrize("role", ["customer", "fieldworker"])
def test_writes_are_staff_only_and_change_nothing(world, role):
    quote = sent_quote(world, world.cust_a)
    user = world.cust_a.user if role == "customer" else world.fw_a.user
    sign_in(user)
    before = db_state()
    body = gql(user, """mutation($i: ID!) { claimQuote(id: $i) { errors { code } }
        deleteQuote(id: $i) { errors { code } } createInvoiceFromQuote(quoteId: $i) { errors { code } }
        changeQuoteNumber(input: {id: $i, number: 5}) { errors { code ... on QuoteError { errorCode } } } }""",
               i=gid("Quote", quote.pk))
    assert body["claimQuote"]["errors"] == [{"code": "forbidden"}]
    assert body["deleteQuote"]["errors"] == [{"code": "forbidden"}]
    assert body["createInvoiceFromQuote"]["errors"] == [{"code": "forbidden"}]
    assert db_state() == before


def test_illegal_moves_come_back_as_typed_quote_errors(world):
    quote = sent_quote(world, world.cust_a)
    staff = world.staff.user
    sign_in(staff)
    before = db_state()
    body = gql(staff, """mutation($i: ID!) { deleteQuote(id: $i) { errors { code ... on QuoteError { errorCode } } }
        sendQuote(input: {id: $i}) { errors { code } }
        setQuoteLines(input: {quoteId: $i, lines: []}) { errors { code } } }""", i=gid("Quote", quote.pk))
    assert body["deleteQuote"]["errors"] == [{"code": "quote_not_draft", "errorCode": "QUOTE_NOT_DRAFT"}]
    assert body["sendQuote"]["errors"] == [{"code": "illegal_transition"}]
    assert body["setQuoteLines"]["errors"] == [{"code": "quote_not_draft"}]
    assert db_state() == before
