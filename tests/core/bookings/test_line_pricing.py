"""Booking lines are priced by the catalogue's engine; staff overrides keep who and when."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import series, services
from core.bookings.models import BookingEvent, BookingLine
from core.bookings.services import LineInput
from core.catalog import pricing
from core.catalog import services as catalog
from core.catalog.services import PackageItemInput, TierInput
from core.company.selectors import forget, get_company
from core.crm.models import Property
from tests import factories
from tests.core.support import assert_refused

G = Channel.GRAPHQL


@pytest.fixture
def world(db, staff_actor):
    cust = factories.customer()
    inner = Property.objects.create(customer=cust, address="1 George St", postcode="2000", latitude=-33.8688,
                                    longitude=151.2093)
    outer = Property.objects.create(customer=cust, address="9 Far Rd", postcode="2750", latitude=-33.75,
                                    longitude=150.69)
    service = factories.service(price=D("100.00"), tax_rate=D("10"), duration_minutes=60)
    catalog.tiers_set(actor=staff_actor, channel=G, service_id=service.pk,
                      tiers=[TierInput(D("3"), "percent_off", D("10"))])
    catalog.zone_create(actor=staff_actor, channel=G, name="CBD", kind="postcodes", postcodes=["2000"],
                        adjustment_kind="percent", adjustment=D("20"))
    return cust, inner, outer, service


def _create(actor, cust, prop, lines):
    start = timezone.now() + timedelta(days=3)
    return services.booking_create(actor=actor, channel=G, customer_id=cust.pk, property_id=prop.pk if prop else None,
                                   scheduled_start=start, scheduled_end=start + timedelta(hours=2), lines=lines)


def test_service_line_gets_tier_and_zone_with_its_explanation(world, staff_actor):
    cust, inner, outer, service = world
    booking = _create(staff_actor, cust, inner, [LineInput(service_id=service.pk, quantity=D("3"))])
    line = booking.lines.get()
    assert (line.unit_price, line.list_unit_price, line.tax_inclusive) == (D("108.00"), D("108.00"), False)
    assert [rule["code"] for rule in line.pricing] == ["base", "volume_tier", "zone"]
    assert (line.subtotal, line.tax, line.total) == (D("324.00"), D("32.40"), D("356.40"))
    assert line.price_overridden_at is None
    away = _create(staff_actor, cust, outer, [LineInput(service_id=service.pk, quantity=D("1"))]).lines.get()
    assert (away.unit_price, [rule["code"] for rule in away.pricing]) == (D("100.00"), ["base"])


def test_products_and_packages_are_lines_too(world, staff_actor):
    cust, _inner, outer, service = world
    product = catalog.product_create(actor=staff_actor, channel=G, sku="BAG", name="Bags", price=D("2.50"),
                                     tax_rate=D("0"))
    package = catalog.package_create(actor=staff_actor, channel=G, name="Deep clean", price=D("150"),
                                     items=[PackageItemInput(service_id=service.pk, quantity=D("2"))])
    start = timezone.now() + timedelta(days=3)
    booking = services.booking_create(actor=staff_actor, channel=G, customer_id=cust.pk, property_id=outer.pk,
                                      scheduled_start=start, lines=[LineInput(product_id=product.pk, quantity=D("4")),
                                                                    LineInput(package_id=package.pk)])
    lines = list(booking.lines.all())
    assert [(line.product_id, line.package_id, line.description, line.unit_price) for line in lines] == [
        (product.pk, None, "Bags", D("2.50")), (None, package.pk, "Deep clean", D("150.00"))]
    assert lines[1].pricing[0]["detail"] == "Package price 150.00 (contents at their own prices: 200.00)"
    assert booking.scheduled_end - booking.scheduled_start == timedelta(minutes=120)  # the package's services
    assert booking.total == D("10.00") + D("165.00")


def test_a_line_names_one_item_and_inactive_items_are_refused(world, staff_actor, published):
    cust, inner, _outer, service = world
    product = catalog.product_create(actor=staff_actor, channel=G, sku="OLD", name="Old", price=D("1"), active=False)
    published.clear()
    assert_refused(lambda: _create(staff_actor, cust, inner, [LineInput(service_id=service.pk, product_id=product.pk)]),
                   "invalid", field="lines.0.serviceId", published=published)
    assert_refused(lambda: _create(staff_actor, cust, inner, [LineInput(product_id=product.pk)]),
                   "product_inactive", field="lines.0.productId", published=published)
    assert_refused(lambda: _create(staff_actor, cust, inner, [LineInput(package_id=10**9)]),
                   "not_found", field="lines.0.packageId", published=published)


def test_tax_inclusive_company_prices_lines_with_tax_inside(world, staff_actor):
    cust, _inner, outer, service = world
    company = get_company()
    company.tax_mode = "inclusive"
    company.save()
    forget()
    booking = _create(staff_actor, cust, outer, [LineInput(service_id=service.pk)])
    line = booking.lines.get()
    assert (line.tax_inclusive, line.subtotal, line.tax, line.total) == (True, D("90.91"), D("9.09"), D("100.00"))
    assert booking.total == D("100.00")
    event = BookingEvent.objects.filter(booking=booking, action="created").get()
    assert event.data["lines"] == ["1.00 x " + service.name + " @ 100.00 +10.00% tax included"]


def test_many_lines_total_to_the_cent(world, staff_actor):
    cust, _inner, outer, _service = world
    lines = [LineInput(description=f"Part {n}", unit_price=D(n * 37 % 1000) / 100 + D("0.05"),
                       quantity=D(n % 7 + 1) / 4, tax_rate=D("12.5")) for n in range(100)]
    booking = _create(staff_actor, cust, outer, lines)
    stored = list(BookingLine.objects.filter(booking=booking))
    again = pricing.sum_lines(pricing.line_amounts(line.quantity, line.unit_price, line.tax_rate,
                                                   tax_inclusive=line.tax_inclusive) for line in stored)
    assert (booking.subtotal, booking.tax_total, booking.total) == (again.net, again.tax, again.total)
    assert booking.subtotal + booking.tax_total == booking.total
    assert booking.total == sum((line.total for line in stored), D("0"))


def test_a_price_sent_with_an_item_is_an_override_kept_with_who_and_when(world, staff, staff_actor):
    cust, inner, _outer, service = world
    booking = _create(staff_actor, cust, inner, [LineInput(service_id=service.pk, unit_price=D("99.999"))])
    line = booking.lines.get()
    assert (line.unit_price, line.list_unit_price, line.price_overridden_by_id) == (D("100.00"), D("120.00"),
                                                                                   staff.pk)
    assert line.pricing[-1]["code"] == "override"
    same = _create(staff_actor, cust, inner, [LineInput(service_id=service.pk, unit_price=D("120"))]).lines.get()
    assert same.price_overridden_at is None  # the list price sent back is no override

    other = Actor.from_user(factories.staff_user())
    services.booking_update(actor=other, channel=G, booking_id=booking.pk, notes="x",
                            lines=[LineInput(service_id=service.pk, unit_price=D("100"))])
    kept = booking.lines.get()
    assert (kept.price_overridden_by_id, kept.price_overridden_at) == (staff.pk, line.price_overridden_at)


def test_line_price_set_and_reset_with_history(world, staff, staff_actor, published):
    cust, inner, _outer, service = world
    booking = _create(staff_actor, cust, inner, [LineInput(service_id=service.pk)])
    line = booking.lines.get()
    published.clear()
    services.booking_line_price_set(actor=staff_actor, channel=G, booking_id=booking.pk, line_id=line.pk,
                                    unit_price=D("80.005"))
    line.refresh_from_db()
    assert (line.unit_price, line.price_overridden_by_id, line.price_overridden) == (D("80.01"), staff.pk, True)
    assert [rule["code"] for rule in line.pricing] == ["base", "zone", "override"]
    services.booking_line_price_set(actor=staff_actor, channel=G, booking_id=booking.pk, line_id=line.pk,
                                    unit_price=None)
    line.refresh_from_db()
    assert (line.unit_price, line.price_overridden_by_id, line.price_overridden_at) == (D("120.00"), None, None)
    assert [rule["code"] for rule in line.pricing] == ["base", "zone"]
    rows = list(BookingEvent.objects.filter(booking=booking, action__startswith="line_price"))
    assert [(row.action, row.changes["lines.0.unit_price"]) for row in rows] == [
        ("line_price_set", ["120.00", "80.01"]), ("line_price_reset", ["80.01", "120.00"])]
    assert rows[0].changes["lines"][1] == [f"1.00 x {service.name} @ 80.01 +10.00% tax (price set by staff, list "
                                           "120.00)"]
    assert published.names == ["BookingUpdated", "BookingUpdated"]


def test_line_price_set_refusals(world, staff_actor, published):
    cust, inner, _outer, service = world
    booking = _create(staff_actor, cust, inner, [LineInput(service_id=service.pk),
                                                 LineInput(description="Call-out", unit_price=D("30"))])
    item_line, custom_line = booking.lines.all()
    other = _create(staff_actor, cust, inner, [LineInput(service_id=service.pk)])
    own = Actor.for_customer(cust)

    def call(actor=staff_actor, line_id=item_line.pk, price=D("1"), booking_id=booking.pk):
        return lambda: services.booking_line_price_set(actor=actor, channel=G, booking_id=booking_id,
                                                       line_id=line_id, unit_price=price)

    published.clear()
    assert_refused(call(price=D("-1")), "invalid_price", field="unitPrice", published=published)
    assert_refused(call(price="cheap"), "invalid", field="unitPrice", published=published)
    assert_refused(call(line_id=10**9), "not_found", field="lineId", published=published)
    assert_refused(call(line_id=other.lines.get().pk), "not_found", field="lineId", published=published)
    assert_refused(call(line_id=custom_line.pk), "no_list_price", field="lineId", published=published)
    assert_refused(call(booking_id=10**9), "not_found", published=published)
    assert_refused(call(actor=own), "forbidden", published=published)
    services.booking_cancel(actor=staff_actor, channel=G, booking_id=booking.pk, reason="gone", waive_fee=True)
    published.clear()
    assert_refused(call(), "not_open", published=published)


def test_pricing_lines_costs_the_same_queries_for_one_line_or_a_hundred(world, staff_actor):
    """The engine's inputs are read once per booking: the company, the zones, and each kind of item
    with its tiers or contents. (Writes are not counted: SQLite splits a long bulk INSERT in batches.)"""
    cust, inner, _outer, service = world
    product = catalog.product_create(actor=staff_actor, channel=G, sku="BAG", name="Bags", price=D("2.50"))
    package = catalog.package_create(actor=staff_actor, channel=G, name="Deep clean", price=D("150"),
                                     items=[PackageItemInput(service_id=service.pk)])
    kinds = [LineInput(service_id=service.pk), LineInput(product_id=product.pk), LineInput(package_id=package.pk)]
    _create(staff_actor, cust, inner, kinds)  # first-use reads (the booking counter) are not the lines' cost
    counts = []
    for copies in (1, 33):
        lines = kinds * copies
        with CaptureQueriesContext(connection) as captured:
            booking = _create(staff_actor, cust, inner, lines)
        assert booking.lines.count() == len(lines)
        counts.append(sum(query["sql"].lstrip().upper().startswith("SELECT") for query in captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_series_sells_products_and_packages_in_every_occurrence(world, staff_actor):
    cust, inner, _outer, service = world
    product = catalog.product_create(actor=staff_actor, channel=G, sku="BAG", name="Bags", price=D("2.50"))
    package = catalog.package_create(actor=staff_actor, channel=G, name="Deep clean", price=D("150"),
                                     items=[PackageItemInput(service_id=service.pk, quantity=D("2"))])
    result = series.series_create(
        actor=staff_actor, channel=G, customer_id=cust.pk, property_id=inner.pk, rule="FREQ=WEEKLY;COUNT=2",
        start_date=(timezone.now() + timedelta(days=3)).date(), start_time=time(9),
        lines=[LineInput(product_id=product.pk, quantity=D("2")), LineInput(package_id=package.pk)])
    assert len(result.created) == 2
    for booking in result.created:
        lines = list(booking.lines.all())
        assert [(line.product_id, line.package_id, line.unit_price) for line in lines] == [
            (product.pk, None, D("3.00")), (None, package.pk, D("180.00"))]  # the CBD zone: +20 %
        assert booking.scheduled_end - booking.scheduled_start == timedelta(minutes=120)  # the package's work


def test_moving_a_booking_to_another_property_prices_it_there(world, staff_actor):
    cust, inner, outer, service = world
    other = staff_actor.__class__.from_user(factories.staff_user())
    booking = _create(staff_actor, cust, outer, [
        LineInput(service_id=service.pk, quantity=D("1")),
        LineInput(service_id=service.pk, quantity=D("1"), unit_price=D("90")),  # a staff override
        LineInput(description="Ladder hire", unit_price=D("15"), tax_rate=D("0"))])
    overridden_at = booking.lines.get(position=1).price_overridden_at
    services.booking_update(actor=other, channel=G, booking_id=booking.pk, property_id=inner.pk)
    lines = list(booking.lines.order_by("position"))
    # the list price now carries the CBD zone; the override and the hand-typed line keep their price
    assert [(line.unit_price, line.list_unit_price) for line in lines] == [
        (D("120.00"), D("120.00")), (D("90.00"), D("120.00")), (D("15.00"), None)]
    assert [rule["code"] for rule in lines[0].pricing] == ["base", "zone"]
    # the override is still the one staff made, by whom and when
    assert (lines[1].price_overridden_by_id, lines[1].price_overridden_at) == (staff_actor.user.pk, overridden_at)
    event = BookingEvent.objects.filter(booking=booking, action="updated").latest("pk")
    assert set(event.changes) == {"property_id", "lines"}
    assert event.changes["lines"][0][0].startswith("1.00 x") and "@ 100.00" in event.changes["lines"][0][0]
    assert "@ 120.00" in event.changes["lines"][1][0]


def test_moving_a_booking_keeps_the_price_of_an_item_no_longer_offered(world, staff_actor):
    cust, inner, outer, service = world
    booking = _create(staff_actor, cust, outer, [LineInput(service_id=service.pk, quantity=D("1"))])
    catalog.service_update(actor=staff_actor, channel=G, service_id=service.pk, active=False)
    services.booking_update(actor=staff_actor, channel=G, booking_id=booking.pk, property_id=inner.pk)
    booking.refresh_from_db()
    assert booking.property_id == inner.pk
    assert booking.lines.get().unit_price == D("100.00")
