"""Properties (hypothesis): lines, discounts, taxes and payments always add up, and every rounding
path (tax on top or included, percent off, discount lines, partial payments) agrees with the PDF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.actors import Channel
from core.company.models import TaxMode
from core.money import ZERO, round_money
from core.sales import invoice_pdf, invoice_totals, invoices, payments
from core.sales.invoice_models import Invoice
from core.sales.invoice_selectors import paid_of
from core.sales.invoices import InvoiceLineInput
from tests import factories
from tests.core.outreach.support import set_company

from .support import pdf_amount, pdf_text

cents = st.integers(min_value=0, max_value=5_000_000).map(lambda n: Decimal(n) / 100)
quantities = st.integers(min_value=1, max_value=100_000).map(lambda n: Decimal(n) / 100)
rates = st.sampled_from([Decimal(0), Decimal("5"), Decimal("10"), Decimal("12.5"), Decimal("15"), Decimal("20"),
                         Decimal("7.75")])
percents = st.one_of(st.just(ZERO), st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100))
line = st.fixed_dictionaries({
    "kind": st.sampled_from(["item", "item", "fee", "discount"]), "quantity": quantities, "unit_price": cents,
    "tax_rate": rates, "tax_inclusive": st.booleans(), "discount_percent": percents})


@given(lines=st.lists(line, min_size=1, max_size=30),
       paid=st.lists(st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n) / 100), max_size=5))
@settings(max_examples=400, deadline=None)
def test_figures_add_up_for_any_lines_and_payments(lines, paid):
    rows = []
    for spec in lines:
        figures = invoice_totals.line_figures(**{**spec, "discount_percent": spec["discount_percent"]
                                                 if spec["kind"] == "item" else ZERO})
        sign = -1 if spec["kind"] == "discount" else 1
        face = (spec["quantity"] * spec["unit_price"]).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert figures.face == sign * face
        assert figures.net + figures.tax == figures.total
        after_discount = figures.face - (figures.discount if sign > 0 else ZERO)
        assert (figures.total if spec["tax_inclusive"] else figures.net) == after_discount
        assert 0 <= figures.discount <= face
        for amount in (figures.net, figures.tax, figures.total):
            assert amount == amount.quantize(Decimal("0.01"))  # every figure in cents, none rounded again
        rows.append((spec["tax_rate"], figures))
    totals = invoice_totals.totals(rows)
    assert totals.subtotal == sum((f.net for _r, f in rows), ZERO)
    assert totals.tax_total == sum((f.tax for _r, f in rows), ZERO) == sum((tax for _rate, tax in totals.taxes), ZERO)
    assert totals.total == totals.subtotal + totals.tax_total == sum((f.total for _r, f in rows), ZERO)
    received = sum(paid, ZERO)
    status = invoice_totals.payment_status(totals.total, received)
    balance = totals.total - received
    assert status == ("overpaid" if balance < 0 else "paid" if balance == 0 else
                      "part_paid" if received > 0 else "unpaid")


@given(lines=st.lists(st.tuples(line, st.sampled_from(["", "GST", "VAT", "Reduced"])), min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_the_tax_summary_adds_up_to_the_totals(lines):
    """Rows per rate name and percent (decision 0872): each row is the sum of its lines, and the rows add
    up to the subtotal and the tax in both tax modes, with percents off and discount lines."""
    rows = [(spec["tax_rate"], invoice_totals.line_figures(**{**spec, "discount_percent": spec["discount_percent"]
                                                             if spec["kind"] == "item" else ZERO}), name)
            for spec, name in lines]
    totals = invoice_totals.totals(rows)
    assert sum((row.taxable for row in totals.summary), ZERO) == totals.subtotal
    assert sum((row.tax for row in totals.summary), ZERO) == totals.tax_total
    groups = {(round_money(rate), invoice_totals.tax_label(name, rate)) for rate, _figures, name in rows}
    assert {(row.rate, row.name) for row in totals.summary} == groups and len(totals.summary) == len(groups)
    for row in totals.summary:
        mine = [f for rate, f, name in rows if (round_money(rate), invoice_totals.tax_label(name, rate)) ==
                (row.rate, row.name)]
        assert (row.taxable, row.tax) == (sum((f.net for f in mine), ZERO), sum((f.tax for f in mine), ZERO))


@pytest.mark.django_db
@given(lines=st.lists(line, min_size=1, max_size=8), inclusive=st.booleans(),
       paid=st.lists(st.integers(min_value=1, max_value=50_000).map(lambda n: Decimal(n) / 100), max_size=3))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_the_database_the_list_and_the_pdf_agree_to_the_cent(lines, inclusive, paid):
    set_company(tax_mode=TaxMode.INCLUSIVE if inclusive else TaxMode.EXCLUSIVE)
    staff = factories.staff_actor()
    invoice = invoices.invoice_create(actor=staff, channel=Channel.GRAPHQL, customer_id=factories.customer().pk)
    inputs = [InvoiceLineInput(kind=spec["kind"], description=f"Line {n}", quantity=spec["quantity"],
                               unit_price=spec["unit_price"], tax_rate=spec["tax_rate"],
                               discount_percent=spec["discount_percent"] if spec["kind"] == "item" else None)
              for n, spec in enumerate(lines)]
    # the discounts may come to more than the rest: then the invoice is refused as a whole
    expected = invoice_totals.totals(
        (spec["tax_rate"], invoice_totals.line_figures(
            kind=spec["kind"], quantity=spec["quantity"], unit_price=spec["unit_price"], tax_rate=spec["tax_rate"],
            tax_inclusive=inclusive, discount_percent=spec["discount_percent"] if spec["kind"] == "item" else ZERO))
        for spec in lines)
    if expected.total < 0:
        with pytest.raises(Exception) as caught:
            invoices.invoice_set_lines(actor=staff, channel=Channel.GRAPHQL, invoice_id=invoice.pk, lines=inputs)
        assert getattr(caught.value, "code", None) == "negative_total"
        return
    invoices.invoice_set_lines(actor=staff, channel=Channel.GRAPHQL, invoice_id=invoice.pk, lines=inputs)
    invoices.invoice_issue(actor=staff, channel=Channel.GRAPHQL, invoice_id=invoice.pk, send_email=False)
    for amount in paid:
        payments.payment_record(actor=staff, channel=Channel.GRAPHQL, invoice_id=invoice.pk, amount=amount,
                                method="card")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.subtotal, stored.tax_total, stored.total) == (expected.subtotal, expected.tax_total, expected.total)
    assert invoices.figures(list(stored.lines.all())) == expected
    summary = stored.tax_summary  # per rate name and percent (decision 0872), from the same line figures
    assert sum((row.taxable for row in summary), ZERO) == stored.subtotal
    assert sum((row.tax for row in summary), ZERO) == stored.tax_total
    text = pdf_text(invoice_pdf.render(invoice_pdf.loaded(stored.pk, staff)))
    received = paid_of(stored)
    assert pdf_amount(text, "Subtotal") == stored.subtotal
    assert pdf_amount(text, "Tax") == stored.tax_total
    assert pdf_amount(text, "Total") == stored.total
    assert pdf_amount(text, "Paid") == received == sum(paid, ZERO)
    assert pdf_amount(text, "Balance due") == stored.total - received
    assert f"Status: {invoice_totals.payment_status(stored.total, received).replace('_', ' ')}" in text
