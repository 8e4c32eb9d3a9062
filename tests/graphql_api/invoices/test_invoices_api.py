"""Invoices and payments over HTTP, per role: the staff flow end to end, the list and its filters
(no N+1), who reads what (another customer's invoice is null, like a missing one), typed refusals
that change nothing, and the PDF link."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.sales import invoices, payments
from core.sales.invoice_models import Invoice, InvoiceSettings
from tests import factories
from tests.core.sales.support import db_state, pdf_amount, pdf_text

from ..conftest import gid
from ..over_http import URL, gql, sign_in

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM

FIELDS = """id number status source total subtotal taxTotal discountTotal paid balance paymentStatus overdue
            dueDate issueDate tradingName termsVersion pdfUrl customer { id } owner { id }
            lines { kind description quantity unitPrice taxRate discountPercent net tax total listUnitPrice
                    pricing { code } priceOverriddenBy { id } }
            payments { amount method reference }"""


def raw(user, query: str, **variables):
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


def complete(booking) -> None:
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=Actor.system(), channel=SYSTEM, booking_id=booking.pk)


def issued_for(world, booking) -> Invoice:
    complete(booking)
    invoice = invoices.invoice_create_from_booking(actor=world.staff, channel=SYSTEM, booking_id=booking.pk)
    return invoices.invoice_issue(actor=world.staff, channel=SYSTEM, invoice_id=invoice.pk, send_email=False)


def test_the_staff_flow_over_http(world):
    staff = world.staff.user
    complete(world.booking_a)
    made = gql(staff, """mutation($b: ID!) { createInvoiceFromBooking(input: {bookingId: $b}) {
        invoice { id number status total } errors { code } } }""", b=gid("Booking", world.booking_a.pk))
    invoice = made["createInvoiceFromBooking"]["invoice"]
    assert invoice["status"] == "DRAFT" and invoice["total"] == "132.00"
    lines = gql(staff, """mutation($i: ID!, $s: ID!) { setInvoiceLines(input: {invoiceId: $i, lines: [
        {serviceId: $s, quantity: "2", unitPrice: "100", discountPercent: "10"},
        {kind: FEE, description: "Call-out", unitPrice: "20", taxRate: "10"},
        {kind: DISCOUNT, description: "Voucher", unitPrice: "11"}]}) {
        invoice { FIELDS } errors { code } } }""".replace("FIELDS", FIELDS), i=invoice["id"], s=gid("Service", world.service.pk))
    body = lines["setInvoiceLines"]["invoice"]
    assert [line["net"] for line in body["lines"]] == ["180.00", "20.00", "-11.00"]
    assert body["lines"][0]["listUnitPrice"] == "120.00" and body["lines"][0]["pricing"][-1]["code"] == "override"
    assert body["lines"][0]["priceOverriddenBy"]["id"] == gid("User", staff.pk)
    assert (body["subtotal"], body["taxTotal"], body["total"]) == ("189.00", "20.00", "209.00")
    issued = gql(staff, """mutation($i: ID!) { issueInvoice(input: {id: $i, sendEmail: false}) {
        invoice { status issueDate dueDate } errors { code } } }""", i=invoice["id"])["issueInvoice"]["invoice"]
    assert issued["status"] == "ISSUED" and issued["dueDate"]
    paid = gql(staff, """mutation($i: ID!) { recordPayment(input: {invoiceId: $i, amount: "100.00", method: CARD,
        reference: "POS 17"}) { payment { amount method } errors { code } } }""", i=invoice["id"])
    assert paid["recordPayment"]["payment"] == {"amount": "100.00", "method": "CARD"}
    read = gql(staff, "query($i: ID!) { invoice(id: $i) { " + FIELDS + " } }", i=invoice["id"])["invoice"]
    assert (read["paid"], read["balance"], read["paymentStatus"]) == ("100.00", "109.00", "PART_PAID")
    assert read["pdfUrl"].startswith("http") and read["owner"]["id"] == gid("User", staff.pk)
    refusal = gql(staff, """mutation($i: ID!) { voidInvoice(input: {id: $i, reason: "x"}) {
        invoice { id } errors { code field ... on InvoiceError { errorCode } } } }""", i=invoice["id"])
    assert refusal["voidInvoice"] == {"invoice": None, "errors": [
        {"code": "has_payments", "field": None, "errorCode": "HAS_PAYMENTS"}]}
    back = gql(staff, """mutation($i: ID!) { convertInvoiceToDraft(input: {id: $i, reason: "fix"}) {
        invoice { status } } changeInvoiceNumber(input: {id: $i, number: 90001}) { invoice { number } } }""",
               i=invoice["id"])
    assert back["convertInvoiceToDraft"]["invoice"]["status"] == "DRAFT"
    assert back["changeInvoiceNumber"]["invoice"]["number"] == "INV-90001"
    history = gql(staff, "query($i: ID!) { invoiceHistory(invoiceId: $i) { action channel actorKind } }",
                  i=invoice["id"])["invoiceHistory"]
    assert [entry["action"] for entry in history] == ["created", "lines_set", "issued", "payment_recorded",
                                                      "to_draft", "renumbered"]
    assert {entry["channel"] for entry in history} == {"GRAPHQL"}
    other = factories.staff_user()
    claimed = gql(other, "mutation($i: ID!) { claimInvoice(id: $i) { invoice { owner { id } } } }", i=invoice["id"])
    assert claimed["claimInvoice"]["invoice"]["owner"]["id"] == gid("User", other.pk)


def test_the_pdf_link_downloads_the_invoice_with_its_totals(world):
    invoice = issued_for(world, world.booking_a)
    url = gql(world.staff.user, "query($i: ID!) { invoice(id: $i) { pdfUrl total } }", i=gid("Invoice", invoice.pk))
    path = url["invoice"]["pdfUrl"].split("://", 1)[1].split("/", 1)[1]
    response = Client().get(f"/{path}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert invoice.number in text and pdf_amount(text, "Total") == Decimal(url["invoice"]["total"])


def test_the_list_filters_and_counts_void_invoices(world):
    mine = issued_for(world, world.booking_a)
    theirs = issued_for(world, world.booking_b)
    payments.payment_record(actor=world.staff, channel=SYSTEM, invoice_id=theirs.pk, amount=str(theirs.total),
                            method="cash")
    Invoice.objects.filter(pk=mine.pk).update(due_date=mine.issue_date - timedelta(days=3))
    spare = invoices.invoice_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk, lines=[
        invoices.InvoiceLineInput(description="Extra", unit_price="5")])
    invoices.invoice_issue(actor=world.staff, channel=SYSTEM, invoice_id=spare.pk, send_email=False)
    invoices.invoice_void(actor=world.staff, channel=SYSTEM, invoice_id=spare.pk, reason="mistake")
    staff = world.staff.user
    query = "query($f: InvoiceFilter) { invoices(filter: $f) { totalCount edges { node { number status } } } }"

    def numbers(**flt):
        found = gql(staff, query, f=flt)["invoices"]
        return sorted(edge["node"]["number"] for edge in found["edges"])

    assert numbers() == sorted([mine.number, theirs.number, spare.number])  # void ones stay listed
    assert numbers(status=["VOID"]) == [spare.number]
    assert numbers(overdue=True) == [mine.number]
    assert numbers(paymentStatus=["PAID"]) == [theirs.number]
    assert numbers(customerId=gid("Customer", world.cust_a.pk)) == sorted([mine.number, spare.number])
    assert numbers(ownerId=gid("User", staff.pk)) == sorted([mine.number, theirs.number, spare.number])
    assert numbers(issuedFrom=str(mine.issue_date), issuedTo=str(mine.issue_date), status=["ISSUED"]) == sorted(
        [mine.number, theirs.number])
    assert numbers(number=mine.number) == [mine.number]
    bad = raw(staff, query, f={"issuedFrom": "2030-01-02", "issuedTo": "2030-01-01"})
    assert bad["errors"][0]["extensions"]["code"] == "end_before_start"


def test_the_list_costs_the_same_queries_for_three_or_nine_invoices(world, django_assert_num_queries):
    query = """{ invoices(first: 50) { edges { node { number total paid balance paymentStatus overdue tradingName
                 customer { name } lines { description net } payments { amount } } } } }"""
    staff = world.staff.user
    sign_in(staff)
    for _ in range(3):
        invoices.invoice_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk, lines=[
            invoices.InvoiceLineInput(description="Work", unit_price="10")])
    import django.db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(django.db.connection) as three:
        assert len(gql(staff, query)["invoices"]["edges"]) == 3
    for _ in range(6):
        invoices.invoice_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_b.pk, lines=[
            invoices.InvoiceLineInput(description="Work", unit_price="10")])
    with django_assert_num_queries(len(three.captured_queries)):
        assert len(gql(staff, query)["invoices"]["edges"]) == 9


def test_customers_read_their_own_issued_invoices_only(world):
    mine = issued_for(world, world.booking_a)
    theirs = issued_for(world, world.booking_b)
    draft = invoices.invoice_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk)
    user = world.cust_a.user
    listed = gql(user, "{ invoices { edges { node { number total pdfUrl } } } }")["invoices"]["edges"]
    assert [edge["node"]["number"] for edge in listed] == [mine.number] and listed[0]["node"]["pdfUrl"]
    for hidden in (theirs, draft):
        assert gql(user, "query($i: ID!) { invoice(id: $i) { number } }", i=gid("Invoice", hidden.pk)) == {
            "invoice": None}
        assert gql(user, "query($i: ID!) { node(id: $i) { id } }", i=gid("Invoice", hidden.pk)) == {"node": None}
    missing = gql(user, "query($i: ID!) { invoice(id: $i) { number } }", i=gid("Invoice", 999999))
    assert missing == {"invoice": None}
    assert gql(user, "query($i: ID!) { invoiceHistory(invoiceId: $i) { action } }",
               i=gid("Invoice", mine.pk)) == {"invoiceHistory": []}


def test_fieldworkers_see_no_prices_unless_the_setting_allows(world):
    invoice = issued_for(world, world.booking_a)
    worker = world.fw_a.user
    query = "{ invoices { edges { node { number total } } } }"
    assert gql(worker, query)["invoices"]["edges"] == []
    InvoiceSettings.objects.update_or_create(pk=1, defaults={"fieldworkers_see_prices": True})
    assert [edge["node"]["number"] for edge in gql(worker, query)["invoices"]["edges"]] == [invoice.number]
    assert gql(world.fw_b.user, query)["invoices"]["edges"] == []


@pytest.mark.parametrize("role", ["customer", "fieldworker"])
def test_writes_are_staff_only_and_change_nothing(world, role):
    invoice = issued_for(world, world.booking_a)
    user = world.cust_a.user if role == "customer" else world.fw_a.user
    sign_in(user)
    before = db_state()
    body = gql(user, """mutation($i: ID!) { recordPayment(input: {invoiceId: $i, amount: "5", method: CASH}) {
        payment { id } errors { code } } voidInvoice(input: {id: $i, reason: "x"}) { errors { code } }
        claimInvoice(id: $i) { errors { code } } }""", i=gid("Invoice", invoice.pk))
    assert body["recordPayment"] == {"payment": None, "errors": [{"code": "forbidden"}]}
    assert body["voidInvoice"]["errors"] == [{"code": "forbidden"}]
    assert body["claimInvoice"]["errors"] == [{"code": "forbidden"}]
    assert db_state() == before


@pytest.mark.parametrize(("lines", "code", "field"), [
    ([{"description": "x", "unitPrice": "-1"}], "invalid_price", "lines.0.unitPrice"),
    ([{"description": "x", "unitPrice": "1", "quantity": "0"}], "invalid_quantity", "lines.0.quantity"),
    ([{"description": "x", "unitPrice": "1", "serviceId": "Booking:1"}], "invalid_id", "lines.0.serviceId"),
    ([{"kind": "DISCOUNT", "unitPrice": "1000"}], "negative_total", "lines"),
    ([{"description": "x" * 201, "unitPrice": "1"}], "too_long", "lines.0.description"),
])
def test_bad_breakdowns_get_typed_errors_and_change_nothing(world, lines, code, field):
    invoice = invoices.invoice_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk)
    staff = world.staff.user
    sign_in(staff)
    before = db_state()
    body = gql(staff, """mutation($i: ID!, $l: [InvoiceLineInputType!]!) { setInvoiceLines(input: {invoiceId: $i,
        lines: $l}) { invoice { id } errors { code field } } }""", i=gid("Invoice", invoice.pk), l=lines)
    assert body["setInvoiceLines"] == {"invoice": None, "errors": [{"code": code, "field": field}]}
    assert db_state() == before


def test_settings_are_read_and_changed_by_staff(world):
    staff = world.staff.user
    changed = gql(staff, """mutation { updateInvoiceSettings(input: {onCompletion: ISSUE, paymentTermsDays: 30}) {
        settings { onCompletion paymentTermsDays fieldworkersSeePrices } errors { code } } }""")
    assert changed["updateInvoiceSettings"]["settings"] == {"onCompletion": "ISSUE", "paymentTermsDays": 30,
                                                            "fieldworkersSeePrices": False}
    refused = gql(staff, """mutation { updateInvoiceSettings(input: {paymentTermsDays: 9999}) { errors { code } } }""")
    assert refused["updateInvoiceSettings"]["errors"] == [{"code": "out_of_range"}]
    denied = raw(world.cust_a.user, "{ invoiceSettings { onCompletion } }")
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
