"""Quotes add up (hypothesis): for any lines (tax on top or included, percent off, fees, discount
lines) the database, the list's figures, the PDF and the invoice made from the accepted quote agree
to the cent. And 20 concurrent quote creations on PostgreSQL get 20 distinct numbers."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.actors import Channel
from core.company import services as company_services
from core.company.models import TaxMode
from core.money import ZERO
from core.sales import invoice_totals, quote_pdf, quotes
from core.sales.quote_models import Quote
from core.sales.quotes import QuoteLineInput
from tests import factories
from tests.core.outreach.support import set_company

from .support import pdf_amount, pdf_text
from .test_invoice_properties import line

G = Channel.GRAPHQL


@pytest.mark.django_db
@given(lines=st.lists(line, min_size=1, max_size=8), inclusive=st.booleans())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_the_database_the_pdf_and_the_invoice_agree_to_the_cent(lines, inclusive):
    set_company(tax_mode=TaxMode.INCLUSIVE if inclusive else TaxMode.EXCLUSIVE)
    staff = factories.staff_actor()
    inputs = [QuoteLineInput(kind=spec["kind"], description=f"Line {n}", quantity=spec["quantity"],
                             unit_price=spec["unit_price"], tax_rate=spec["tax_rate"],
                             discount_percent=spec["discount_percent"] if spec["kind"] == "item" else None)
              for n, spec in enumerate(lines)]
    expected = invoice_totals.totals(
        (spec["tax_rate"], invoice_totals.line_figures(
            kind=spec["kind"], quantity=spec["quantity"], unit_price=spec["unit_price"], tax_rate=spec["tax_rate"],
            tax_inclusive=inclusive, discount_percent=spec["discount_percent"] if spec["kind"] == "item" else ZERO))
        for spec in lines)
    customer = factories.customer()
    if expected.total < 0:  # the discounts come to more than the rest: refused as a whole
        with pytest.raises(Exception) as caught:
            quotes.quote_create(actor=staff, channel=G, customer_id=customer.pk, lines=inputs)
        assert getattr(caught.value, "code", None) == "negative_total"
        return
    quote = quotes.quote_create(actor=staff, channel=G, customer_id=customer.pk, lines=inputs)
    stored = Quote.objects.get(pk=quote.pk)
    assert (stored.subtotal, stored.discount_total, stored.tax_total, stored.total) == (
        expected.subtotal, expected.discount_total, expected.tax_total, expected.total)
    text = pdf_text(quote_pdf.render(quote_pdf.loaded(stored.pk, staff)))
    assert pdf_amount(text, "Subtotal") == stored.subtotal
    assert pdf_amount(text, "Tax") == stored.tax_total
    assert pdf_amount(text, "Total") == stored.total
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)
    quotes.quote_accept(actor=staff, channel=G, quote_id=quote.pk)
    invoice = quotes.quote_invoice(actor=staff, channel=G, quote_id=quote.pk)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (stored.subtotal, stored.tax_total, stored.total)


@pytest.mark.skipif(not django_settings.IS_POSTGRES, reason="concurrent row locks are tested on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_quotes_get_twenty_distinct_numbers():
    staff = factories.staff_actor()
    brand = company_services.trading_name_create(actor=staff, channel=G, name="Race Co", quote_prefix="RQ-",
                                                 invoice_prefix="RI-", number_start=1)
    customer = factories.customer()
    barrier = threading.Barrier(20)
    results: list[object] = [None] * 20

    def create(i: int) -> None:
        try:
            barrier.wait()
            results[i] = quotes.quote_create(actor=staff, channel=G, customer_id=customer.pk, trading_name_id=brand.pk,
                                             lines=[QuoteLineInput(description="Work", unit_price="10")]).number
        except Exception as exc:  # collected and asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results, key=lambda text: int(str(text)[3:])) == [f"RQ-{n}" for n in range(1, 21)], results
    assert Quote.objects.filter(trading_name=brand).count() == 20
    assert sorted(Quote.objects.values_list("total", flat=True)) == [Decimal("10.00")] * 20
