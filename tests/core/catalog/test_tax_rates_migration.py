"""Migrations catalog.0004-0006 on a database with services at 10% and 0%: two rates, the most used one
the default, every item pointing at the rate of its percent, and back again (decision 0870). The lines'
names (sales.0004, bookings.0011) are filled by one function, run here on lines already priced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps

from core.actors import Actor, Channel
from core.catalog.models import TaxRate
from core.sales import invoices
from core.sales.invoice_models import InvoiceLine
from tests import factories
from tests.migrations import migrate_to

BEFORE = [("catalog", "0003_service_rebook_reminder_days")]
AFTER = [("catalog", "0006_remove_item_tax_percent")]


@pytest.mark.django_db(transaction=True)
def test_percents_become_named_rates_and_back(back_to_the_latest):
    old = migrate_to(BEFORE)
    try:
        Service, Product = old.get_model("catalog", "Service"), old.get_model("catalog", "Product")
        ten = [Service.objects.create(name=f"Clean {n}", price=Decimal("100"), tax_rate=Decimal("10")).pk
               for n in range(2)]
        free = Service.objects.create(name="Advice", price=Decimal("50"), tax_rate=Decimal("0")).pk
        product = Product.objects.create(sku="GUT-1", name="Guard", price=Decimal("5"), tax_rate=Decimal("10")).pk
    finally:
        new = migrate_to(AFTER)
    rates = list(new.get_model("catalog", "TaxRate").objects.order_by("percent").values_list(
        "name", "percent", "is_default", "active"))
    assert rates == [("Tax 0%", Decimal("0.00"), False, True), ("Tax 10%", Decimal("10.00"), True, True)]
    pointed = dict(new.get_model("catalog", "Service").objects.values_list("pk", "named_tax_rate__name"))
    assert pointed == {ten[0]: "Tax 10%", ten[1]: "Tax 10%", free: "Tax 0%"}
    assert new.get_model("catalog", "Product").objects.get(pk=product).named_tax_rate.name == "Tax 10%"

    back = migrate_to(BEFORE)
    percents = dict(back.get_model("catalog", "Service").objects.values_list("pk", "tax_rate"))
    assert percents == {ten[0]: Decimal("10.00"), ten[1]: Decimal("10.00"), free: Decimal("0.00")}
    assert back.get_model("catalog", "Product").objects.get(pk=product).tax_rate == Decimal("10.00")


@pytest.mark.django_db
def test_lines_priced_before_are_named_after_the_rate_of_their_percent():
    fill = __import__("core.sales.migrations.0004_line_tax_name", fromlist=["names_from_rates"]).names_from_rates
    TaxRate.objects.create(name="GST-free", percent=Decimal("0"))
    TaxRate.objects.create(name="Zero too", percent=Decimal("0"), position=5)
    made = invoices.invoice_create(actor=Actor.system(), channel=Channel.SYSTEM, customer_id=factories.customer().pk,
                                   lines=[invoices.InvoiceLineInput(description=str(rate), unit_price="1",
                                                                    tax_rate=rate) for rate in ("10", "0", "15")])
    made.lines.update(tax_name="")  # as the column came: empty
    fill(apps, None)
    names = list(InvoiceLine.objects.filter(invoice=made).order_by("position").values_list("tax_name", flat=True))
    assert names == ["Tax 10%", "GST-free", ""]  # the default first, then by position; 15%: no rate has it
