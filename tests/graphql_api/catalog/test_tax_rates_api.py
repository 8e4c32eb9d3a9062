"""Named tax rates over HTTP (decisions 0870-0872): rates made and chosen for a service, a quote and an
invoice of it with their tax summary, a rate changed after an invoice was issued (the new invoice takes
the new percent, the issued one and its PDF keep theirs), typed refusals that change nothing, and a
page of services or of invoices with their rates and summaries at a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import django.db
import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.actors import Channel
from core.catalog.models import TaxRate
from core.sales import invoices
from tests import factories
from tests.core.sales.support import db_state, pdf_amount, pdf_text

from ..conftest import gid
from ..over_http import gql, sign_in

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM

RATE = "id name percent active isDefault"
SUMMARY = "taxSummary { name rate taxable tax }"
CREATE_RATE = """mutation($n: String!, $p: Decimal!) { createTaxRate(input: {name: $n, percent: $p}) {
    taxRate { RATE } errors { code field } } }""".replace("RATE", RATE)
INVOICE = """mutation($c: ID!, $l: [InvoiceLineInputType!]!) { createInvoice(input: {customerId: $c, lines: $l}) {
    invoice { id number subtotal taxTotal total SUMMARY lines { taxRate taxName } } errors { code field } } }"""


def _rate(staff, name: str, percent: str) -> dict:
    made = gql(staff, CREATE_RATE, n=name, p=percent)["createTaxRate"]
    assert made["errors"] == []
    return made["taxRate"]


def _invoice(world, lines: list[dict]) -> dict:
    made = gql(world.staff.user, INVOICE.replace("SUMMARY", SUMMARY), c=gid("Customer", world.cust_a.pk),
               l=lines)["createInvoice"]
    assert made["errors"] == []
    return made["invoice"]


def _issue(world, invoice_id: str) -> None:
    issued = gql(world.staff.user, """mutation($i: ID!) { issueInvoice(input: {id: $i, sendEmail: false}) {
        invoice { status } errors { code } } }""", i=invoice_id)["issueInvoice"]
    assert issued == {"invoice": {"status": "ISSUED"}, "errors": []}


def _pdf(user, kind: str, object_id: str) -> str:
    url = gql(user, "query($i: ID!) { KIND(id: $i) { pdfUrl } }".replace("KIND", kind), i=object_id)[kind]["pdfUrl"]
    response = Client().get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return pdf_text(response.content)


def _summary_lines(text: str) -> list[str]:
    """The PDF's tax summary rows (the lines after its heading that print a rate)."""
    after = text.split("Tax summary", 1)[1]
    return [line.strip() for line in after.splitlines() if "%" in line]


def test_rates_from_the_service_to_the_quote_and_the_invoice(world):
    staff = world.staff.user
    gst, free = _rate(staff, "GST", "10"), _rate(staff, "GST-free", "0")
    assert (gst["percent"], gst["active"], gst["isDefault"]) == ("10.00", True, False)
    made = gql(staff, """mutation($r: ID!) { createService(input: {name: "Gutter clean", price: "100",
        taxRateId: $r}) { service { id taxRate usesDefaultTaxRate namedTaxRate { name } } errors { code } } }""",
               r=gst["id"])["createService"]
    assert made["service"]["namedTaxRate"] == {"name": "GST"} and made["service"]["taxRate"] == "10.00"
    gutters = made["service"]["id"]
    advice = gql(staff, """mutation { createService(input: {name: "Advice", price: "50"}) {
        service { id usesDefaultTaxRate namedTaxRate { name } } } }""")["createService"]["service"]
    assert advice["usesDefaultTaxRate"] is True  # follows the default ("Tax 10%" from the migration)
    changed = gql(staff, """mutation($s: ID!, $r: ID!) { updateService(input: {id: $s, taxRateId: $r}) {
        service { taxRate usesDefaultTaxRate namedTaxRate { name } } errors { code } } }""",
                  s=advice["id"], r=free["id"])["updateService"]["service"]
    assert changed == {"taxRate": "0.00", "usesDefaultTaxRate": False, "namedTaxRate": {"name": "GST-free"}}

    lines = [{"serviceId": gutters, "quantity": "2"}, {"serviceId": advice["id"]},
             {"kind": "FEE", "description": "Call-out", "unitPrice": "20", "taxRateId": gst["id"]},
             {"kind": "DISCOUNT", "description": "Voucher", "unitPrice": "11", "taxRateId": gst["id"]}]
    quote = gql(staff, """mutation($c: ID!, $l: [InvoiceLineInputType!]!) { createQuote(input: {customerId: $c,
        lines: $l}) { quote { id subtotal taxTotal SUMMARY } errors { code } } }""".replace("SUMMARY", SUMMARY),
                c=gid("Customer", world.cust_a.pk), l=lines)["createQuote"]["quote"]
    expected = [{"name": "GST-free", "rate": "0.00", "taxable": "50.00", "tax": "0.00"},
                {"name": "GST", "rate": "10.00", "taxable": "209.00", "tax": "20.90"}]
    assert quote["taxSummary"] == expected
    assert (quote["subtotal"], quote["taxTotal"]) == ("259.00", "20.90")

    invoice = _invoice(world, lines)
    assert invoice["taxSummary"] == expected and invoice["total"] == "279.90"
    assert [line["taxName"] for line in invoice["lines"]] == ["GST", "GST-free", "GST", "GST"]
    _issue(world, invoice["id"])
    text = _pdf(staff, "invoice", invoice["id"])
    assert _summary_lines(text) == ["GST-free 0% AUD 50.00 AUD 0.00", "GST 10% AUD 209.00 AUD 20.90"]
    assert pdf_amount(text, "Tax") == Decimal("20.90")

    # the office changes GST: what is priced from now on takes it, the issued invoice keeps its own
    updated = gql(staff, """mutation($r: ID!) { updateTaxRate(input: {id: $r, percent: "15", name: "GST 15"}) {
        taxRate { name percent } errors { code } } }""", r=gst["id"])["updateTaxRate"]
    assert updated == {"taxRate": {"name": "GST 15", "percent": "15.00"}, "errors": []}
    later = _invoice(world, [{"serviceId": gutters, "quantity": "2"}])
    assert later["taxSummary"] == [{"name": "GST 15", "rate": "15.00", "taxable": "200.00", "tax": "30.00"}]
    again = gql(staff, "query($i: ID!) { invoice(id: $i) { total taxTotal SUMMARY lines { taxRate taxName } } }"
                .replace("SUMMARY", SUMMARY), i=invoice["id"])["invoice"]
    assert again["taxSummary"] == expected and (again["total"], again["taxTotal"]) == ("279.90", "20.90")
    assert [line["taxRate"] for line in again["lines"]] == ["10.00", "0.00", "10.00", "10.00"]
    assert _summary_lines(_pdf(staff, "invoice", invoice["id"])) == _summary_lines(text)
    sent = gql(staff, "query($q: ID!) { quote(id: $q) { SUMMARY } }".replace("SUMMARY", SUMMARY), q=quote["id"])
    assert sent["quote"]["taxSummary"] == expected


def test_a_deactivated_rate_stays_where_set_and_is_not_chosen_anew(world):
    staff = world.staff.user
    reduced = _rate(staff, "Reduced", "5")
    svc = gql(staff, """mutation($r: ID!) { createService(input: {name: "Mow", price: "40", taxRateId: $r}) {
        service { id } } }""", r=reduced["id"])["createService"]["service"]["id"]
    off = gql(staff, """mutation($r: ID!) { updateTaxRate(input: {id: $r, active: false}) {
        taxRate { active } errors { code } } }""", r=reduced["id"])["updateTaxRate"]
    assert off == {"taxRate": {"active": False}, "errors": []}
    kept = _invoice(world, [{"serviceId": svc}])
    assert kept["taxSummary"] == [{"name": "Reduced", "rate": "5.00", "taxable": "40.00", "tax": "2.00"}]
    renamed = gql(staff, """mutation($s: ID!, $r: ID!) { updateService(input: {id: $s, taxRateId: $r, name: "Mowing"})
        { service { name namedTaxRate { name } } errors { code } } }""", s=svc, r=reduced["id"])["updateService"]
    assert renamed == {"service": {"name": "Mowing", "namedTaxRate": {"name": "Reduced"}}, "errors": []}
    listed = gql(staff, "{ taxRates(activeOnly: true) { name } }")["taxRates"]
    assert "Reduced" not in [row["name"] for row in listed]


def test_the_old_percent_input_still_chooses_a_rate(world):
    staff = world.staff.user
    made = gql(staff, """mutation { a: createService(input: {name: "A", price: "1", taxRate: "10"}) {
        service { namedTaxRate { name isDefault } } }
        b: createService(input: {name: "B", price: "1", taxRate: "12.5"}) { service { namedTaxRate { name } } } }""")
    assert made["a"]["service"]["namedTaxRate"] == {"name": "Tax 10%", "isDefault": True}
    assert made["b"]["service"]["namedTaxRate"] == {"name": "Tax 12.5%"}


def test_the_default_moves_and_items_following_it_move_with_it(world):
    staff = world.staff.user
    vat = _rate(staff, "VAT", "20")
    svc = factories.service(price=Decimal("100"))  # names no rate
    moved = gql(staff, """mutation($r: ID!) { setDefaultTaxRate(id: $r) { taxRate { isDefault } errors { code } } }""",
                r=vat["id"])["setDefaultTaxRate"]
    assert moved == {"taxRate": {"isDefault": True}, "errors": []}
    assert TaxRate.objects.filter(is_default=True).count() == 1
    invoice = _invoice(world, [{"serviceId": gid("Service", svc.pk)}])
    assert invoice["taxSummary"] == [{"name": "VAT", "rate": "20.00", "taxable": "100.00", "tax": "20.00"}]


def _refusal(world, name: str):
    """(mutation, variables, the payload's key, code, field) of each refusal, made against a world with
    a rate in use (GST on a service), an inactive one and the default."""
    gst = TaxRate.objects.create(name="GST", percent=Decimal("10"))
    old = TaxRate.objects.create(name="Old", percent=Decimal("8"), active=False)
    svc = factories.service(named_tax_rate=gst)
    default = TaxRate.objects.get(is_default=True)
    update = """mutation($s: ID!, $r: ID) { updateService(input: {id: $s, taxRateId: $r}) {
        service { id } errors { code field } } }"""
    create = """mutation($n: String!, $p: Decimal!) { createTaxRate(input: {name: $n, percent: $p}) {
        taxRate { id } errors { code field } } }"""
    delete = "mutation($r: ID!) { deleteTaxRate(id: $r) { deletedId errors { code field } } }"
    invoice = """mutation($c: ID!, $l: [InvoiceLineInputType!]!) { createInvoice(input: {customerId: $c,
        lines: $l}) { invoice { id } errors { code field } } }"""
    s = gid("Service", svc.pk)
    return {
        "percent_101": (create, {"n": "Odd", "p": "101"}, "createTaxRate", "out_of_range", "percent"),
        "percent_negative": (create, {"n": "Odd", "p": "-1"}, "createTaxRate", "out_of_range", "percent"),
        "duplicate_name": (create, {"n": "gst", "p": "10"}, "createTaxRate", "duplicate", "name"),
        "malformed_id": (update, {"s": s, "r": "not-an-id"}, "updateService", "invalid_id", "taxRateId"),
        "id_of_another_kind": (update, {"s": s, "r": gid("Service", svc.pk)}, "updateService", "invalid_id",
                               "taxRateId"),
        "missing_rate": (update, {"s": s, "r": gid("TaxRate", 10**9)}, "updateService", "not_found", "taxRateId"),
        "inactive_rate": (update, {"s": s, "r": gid("TaxRate", old.pk)}, "updateService", "tax_rate_inactive",
                          "taxRateId"),
        "inactive_rate_on_a_line": (invoice, {"c": gid("Customer", world.cust_a.pk), "l": [
            {"description": "x", "unitPrice": "1", "taxRateId": gid("TaxRate", old.pk)}]}, "createInvoice",
            "tax_rate_inactive", "lines.0.taxRateId"),
        "rate_and_percent_on_a_line": (invoice, {"c": gid("Customer", world.cust_a.pk), "l": [
            {"description": "x", "unitPrice": "1", "taxRate": "10", "taxRateId": gid("TaxRate", gst.pk)}]},
            "createInvoice", "ambiguous", "lines.0.taxRateId"),
        "delete_in_use": (delete, {"r": gid("TaxRate", gst.pk)}, "deleteTaxRate", "tax_rate_in_use", "id"),
        "delete_the_default": (delete, {"r": gid("TaxRate", default.pk)}, "deleteTaxRate", "default_tax_rate", "id"),
    }[name]


@pytest.mark.parametrize("name", ["percent_101", "percent_negative", "duplicate_name", "malformed_id",
                                  "id_of_another_kind", "missing_rate", "inactive_rate", "inactive_rate_on_a_line",
                                  "rate_and_percent_on_a_line", "delete_in_use", "delete_the_default"])
def test_refusals_are_typed_and_change_nothing(world, name):
    query, variables, key, code, field = _refusal(world, name)
    staff = world.staff.user
    sign_in(staff)
    before = db_state()
    body = gql(staff, query, **variables)[key]
    assert body["errors"] == [{"code": code, "field": field}]
    assert db_state() == before


def test_only_staff_change_the_list_and_visitors_read_none(world):
    customer = world.cust_a.user
    sign_in(customer)
    before = db_state()
    body = gql(customer, CREATE_RATE, n="Mine", p="1")["createTaxRate"]
    assert body == {"taxRate": None, "errors": [{"code": "forbidden", "field": None}]}
    assert db_state() == before
    assert [row["name"] for row in gql(customer, "{ taxRates { name } }")["taxRates"]] == ["Tax 10%"]
    anonymous = Client().post("/graphql/", {"query": "{ taxRates { name } }"}, content_type="application/json")
    assert anonymous.json()["data"] == {"taxRates": []}


def _count(user, query: str) -> int:
    with CaptureQueriesContext(django.db.connection) as seen:
        gql(user, query)
    return len(seen.captured_queries)


def test_a_page_of_services_with_their_rates_costs_the_same_queries(world, django_assert_num_queries):
    staff = world.staff.user
    sign_in(staff)
    rates = [TaxRate.objects.create(name=f"R{n}", percent=Decimal(n)) for n in range(3)]
    query = "{ services(first: 50) { edges { node { name taxRate usesDefaultTaxRate namedTaxRate { name } } } } }"
    for rate in rates:
        factories.service(named_tax_rate=rate)
    factories.service()  # one following the default
    few = _count(staff, query)
    for n in range(3, 9):
        factories.service(named_tax_rate=TaxRate.objects.create(name=f"R{n}", percent=Decimal(n)))
        factories.service()
    with django_assert_num_queries(few):
        assert len(gql(staff, query)["services"]["edges"]) == 1 + 4 + 12


def test_a_page_of_invoices_with_their_summaries_costs_the_same_queries(world, django_assert_num_queries):
    staff = world.staff.user
    sign_in(staff)
    query = "{ invoices(first: 50) { edges { node { number total SUMMARY lines { taxName } } } } }".replace(
        "SUMMARY", SUMMARY)

    def make(count: int) -> None:
        for n in range(count):
            invoices.invoice_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk, lines=[
                invoices.InvoiceLineInput(description="Work", unit_price="10", tax_rate=str(n)),
                invoices.InvoiceLineInput(service_id=world.service.pk)])

    make(3)
    few = _count(staff, query)
    make(6)
    with django_assert_num_queries(few):
        edges = gql(staff, query)["invoices"]["edges"]
    assert len(edges) == 9 and all(len(edge["node"]["taxSummary"]) >= 1 for edge in edges)
