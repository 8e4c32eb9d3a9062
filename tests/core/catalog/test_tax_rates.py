"""Named tax rates through the services (decisions 0870-0872): the one default, what may be deactivated
or removed, the catalogue log, a new percent applying from then on while lines already priced (on
bookings, quotes and invoices) keep their percent and name, and the names travelling with copies."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.catalog import selectors, services
from core.catalog.models import CatalogLog, TaxRate
from core.sales import invoices, quotes
from core.sales.invoices import InvoiceLineInput
from tests import factories
from tests.core.support import assert_refused

from ..sales.support import completed_booking

G = Channel.GRAPHQL
pytestmark = pytest.mark.django_db


def _rate(actor, name, percent, **extra):
    return services.tax_rate_create(actor=actor, channel=G, name=name, percent=D(percent), **extra)


def test_the_list_has_one_default_and_logs_its_changes(staff_actor, published):
    first = TaxRate.objects.get(is_default=True)  # the migration's
    gst = _rate(staff_actor, " GST ", "10")
    assert (gst.name, gst.percent, gst.is_default) == ("GST", D("10.00"), False)
    services.tax_rate_set_default(actor=staff_actor, channel=G, tax_rate_id=gst.pk)
    assert list(TaxRate.objects.filter(is_default=True).values_list("pk", flat=True)) == [gst.pk]
    first.refresh_from_db()
    assert not first.is_default
    services.tax_rate_update(actor=staff_actor, channel=G, tax_rate_id=gst.pk, percent="12.5", position=3)
    rows = list(CatalogLog.objects.filter(entity="tax_rate", entity_id=gst.pk).values_list("action", "changes"))
    assert rows == [("created", {"name": [None, "GST"], "percent": [None, "10.00"]}),
                    ("default_set", {"default": ["Tax 10%", "GST"]}),
                    ("updated", {"percent": ["10.00", "12.50"], "position": [0, 3]})]
    assert published.names == ["CatalogChanged"] * 3


def test_an_emptied_list_fills_again_with_the_old_default():
    TaxRate.objects.all().delete()
    rate = selectors.default_rate()
    assert (rate.name, rate.percent, rate.is_default) == ("Tax 10%", D("10.00"), True)
    assert selectors.default_rate() == rate and TaxRate.objects.count() == 1


@pytest.mark.parametrize(("make", "code", "field"), [
    (lambda a, rates: _rate(a, "Odd", "100.01"), "out_of_range", "percent"),
    (lambda a, rates: _rate(a, "Odd", "-0.01"), "out_of_range", "percent"),
    (lambda a, rates: _rate(a, "gst", "5"), "duplicate", "name"),
    (lambda a, rates: _rate(a, "x" * 61, "5"), "invalid", "name"),
    (lambda a, rates: _rate(a, "Off", "5", active=False, is_default=True), "default_tax_rate", "active"),
    (lambda a, rates: services.tax_rate_update(actor=a, channel=G, tax_rate_id=rates["default"].pk, active=False),
     "default_tax_rate", "active"),
    (lambda a, rates: services.tax_rate_delete(actor=a, channel=G, tax_rate_id=rates["default"].pk),
     "default_tax_rate", "id"),
    (lambda a, rates: services.tax_rate_delete(actor=a, channel=G, tax_rate_id=rates["gst"].pk),
     "tax_rate_in_use", "id"),
    (lambda a, rates: services.tax_rate_set_default(actor=a, channel=G, tax_rate_id=rates["old"].pk),
     "tax_rate_inactive", "id"),
    (lambda a, rates: services.tax_rate_update(actor=a, channel=G, tax_rate_id=10**9, name="x"), "not_found", "id"),
    (lambda a, rates: services.service_create(actor=a, channel=G, name="x", price=D("1"),
                                              tax_rate_id=rates["old"].pk), "tax_rate_inactive", "taxRateId"),
    (lambda a, rates: services.product_create(actor=a, channel=G, sku="P1", name="x", price=D("1"),
                                              tax_rate_id=10**9), "not_found", "taxRateId"),
    (lambda a, rates: services.service_create(actor=a, channel=G, name="x", price=D("1"), tax_rate=D("10"),
                                              tax_rate_id=rates["gst"].pk), "ambiguous", "taxRateId"),
])
def test_refusals_write_nothing(staff_actor, published, make, code, field):
    gst = TaxRate.objects.create(name="GST", percent=D("10"))
    rates = {"gst": gst, "old": TaxRate.objects.create(name="Old", percent=D("8"), active=False),
             "default": TaxRate.objects.get(is_default=True)}
    factories.service(named_tax_rate=gst)
    assert_refused(lambda: make(staff_actor, rates), code, field=field, published=published)


def test_only_staff_change_the_list(customer_actor, fieldworker_actor):
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous()):
        assert_refused(lambda actor=actor: _rate(actor, "Mine", "1"), "forbidden")
    assert list(selectors.tax_rates(Actor.anonymous())) == []


def test_an_unused_rate_is_removed_and_an_inactive_one_stays_on_its_item(staff_actor):
    spare = _rate(staff_actor, "Spare", "3")
    services.tax_rate_delete(actor=staff_actor, channel=G, tax_rate_id=spare.pk)
    assert not TaxRate.objects.filter(pk=spare.pk).exists()
    reduced = _rate(staff_actor, "Reduced", "5")
    product = services.product_create(actor=staff_actor, channel=G, sku="P1", name="Seed", price=D("10"),
                                      tax_rate_id=reduced.pk)
    services.tax_rate_update(actor=staff_actor, channel=G, tax_rate_id=reduced.pk, active=False)
    services.product_update(actor=staff_actor, channel=G, product_id=product.pk, price=D("11"),
                            tax_rate_id=reduced.pk)  # kept: it is the product's own
    invoice = invoices.invoice_create(actor=staff_actor, channel=G, customer_id=factories.customer().pk,
                                      lines=[InvoiceLineInput(product_id=product.pk)])
    line = invoice.lines.get()
    assert (line.tax_rate, line.tax_name, invoice.tax_total) == (D("5.00"), "Reduced", D("0.55"))


def test_a_new_percent_prices_from_then_on_and_priced_lines_keep_theirs(staff_actor):
    gst = _rate(staff_actor, "GST", "10")
    svc = factories.service(price=D("100"), named_tax_rate=gst)
    booking = factories.booking(svc=svc)
    quote = quotes.quote_create(actor=staff_actor, channel=G, customer_id=booking.customer_id,
                                lines=[quotes.QuoteLineInput(service_id=svc.pk)])
    before = invoices.invoice_create(actor=staff_actor, channel=G, customer_id=booking.customer_id,
                                     lines=[InvoiceLineInput(service_id=svc.pk)])
    services.tax_rate_update(actor=staff_actor, channel=G, tax_rate_id=gst.pk, percent=D("15"), name="GST new")
    after = invoices.invoice_create(actor=staff_actor, channel=G, customer_id=booking.customer_id,
                                    lines=[InvoiceLineInput(service_id=svc.pk)])
    kept = [booking.lines.get(), quote.lines.get(), before.lines.get()]
    assert [(line.tax_rate, line.tax_name) for line in kept] == [(D("10.00"), "GST")] * 3
    assert [(row.name, row.rate, row.tax) for row in after.tax_summary] == [("GST new", D("15.00"), D("15.00"))]


def test_copies_keep_the_name(staff_actor):
    booking = completed_booking()  # its service at 10%: the default rate "Tax 10%"
    line = booking.lines.get()
    assert (line.tax_rate, line.tax_name) == (D("10.00"), "Tax 10%")
    TaxRate.objects.filter(is_default=True).update(name="Renamed later")
    invoice = invoices.invoice_create_from_booking(actor=staff_actor, channel=G, booking_id=booking.pk)
    assert invoice.lines.get().tax_name == "Tax 10%"

    gst = _rate(staff_actor, "GST", "10")
    svc = factories.service(price=D("80"), named_tax_rate=gst)
    start = timezone.now() + timedelta(days=3)
    quote = quotes.quote_create(actor=staff_actor, channel=G, customer_id=factories.customer().pk,
                                lines=[quotes.QuoteLineInput(service_id=svc.pk)], agreed_start=start)
    quotes.quote_send(actor=staff_actor, channel=G, quote_id=quote.pk, send_email=False)
    services.tax_rate_update(actor=staff_actor, channel=G, tax_rate_id=gst.pk, name="GST renamed")
    accepted = quotes.quote_accept(actor=Actor.system(), channel=G, quote_id=quote.pk)
    made = accepted.booking.lines.get()
    assert (made.tax_rate, made.tax_name) == (D("10.00"), "GST")


def test_a_typed_percent_takes_the_name_of_its_rate(staff_actor):
    _rate(staff_actor, "Reduced", "5")
    invoice = invoices.invoice_create(actor=staff_actor, channel=G, customer_id=factories.customer().pk, lines=[
        InvoiceLineInput(description="a", unit_price="10", tax_rate="5"),
        InvoiceLineInput(description="b", unit_price="10", tax_rate="7.5"),
        InvoiceLineInput(description="c", unit_price="10")])
    assert [line.tax_name for line in invoice.lines.all()] == ["Reduced", "", ""]
    assert [(row.name, row.rate) for row in invoice.tax_summary] == [
        ("Tax 0%", D("0.00")), ("Reduced", D("5.00")), ("Tax 7.5%", D("7.50"))]
    updated = booking_services.booking_create(
        actor=staff_actor, channel=G, customer_id=factories.customer().pk,
        scheduled_start=timezone.now() + timedelta(days=2),
        lines=[booking_services.LineInput(description="typed", unit_price=D("10"), tax_rate=D("5"))])
    assert updated.lines.get().tax_name == "Reduced"
