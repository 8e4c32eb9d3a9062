"""Products, packages, volume tiers and price zones through core.catalog.services: each write logs a
row and publishes its event after commit; each refusal writes and publishes nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.actors import Actor, Channel
from core.catalog import services
from core.catalog.models import CatalogLog, PackageItem, PriceZone, Product, VolumeTier
from core.catalog.services import PackageItemInput, TierInput
from tests import factories
from tests.core.support import assert_refused

G = Channel.GRAPHQL


def _product(actor, **extra):
    values = {"sku": "GUT-1", "name": "Gutter guard", "price": D("12.50"), **extra}
    return services.product_create(actor=actor, channel=G, **values)


def test_product_create_update_log_and_events(staff_actor, published):
    product = _product(staff_actor, price="12.505", tax_rate="10")
    assert (product.sku, product.price, product.named_tax_rate.percent) == ("GUT-1", D("12.51"), D("10.00"))
    services.product_update(actor=staff_actor, channel=G, product_id=product.pk, price=D("13"), active=False)
    services.product_update(actor=staff_actor, channel=G, product_id=product.pk, price=D("13"))  # no change
    product.refresh_from_db()
    assert (product.price, product.active) == (D("13.00"), False)
    rows = list(CatalogLog.objects.filter(entity="product", entity_id=product.pk).values_list("action", "changes"))
    assert rows == [("created", {}), ("updated", {"price": ["12.51", "13.00"], "active": [True, False]})]
    assert published.names == ["CatalogChanged", "CatalogChanged"]
    assert published.all()[-1].changed == ("active", "price")


@pytest.mark.parametrize(("values", "code", "field"), [
    (dict(price=D("-0.01")), "out_of_range", "price"),
    (dict(price="ten"), "invalid", "price"),
    (dict(sku=""), "invalid", "sku"),
    (dict(sku="A B"), "invalid", "sku"),
    (dict(sku="gut-1"), "duplicate", "sku"),  # SKUs compare without case
    (dict(tax_rate=D("101")), "out_of_range", "taxRate"),
    (dict(name=" "), "invalid", "name"),
])
def test_bad_product_input_is_refused(values, code, field, staff_actor, published):
    _product(staff_actor)
    values = {"sku": "NEW-1", **values}
    assert_refused(lambda: _product(staff_actor, **values), code, field=field, published=published)


def test_package_with_services_and_products(staff_actor, published):
    service = factories.service(price=D("100"))
    product = _product(staff_actor)
    package = services.package_create(actor=staff_actor, channel=G, name="Spring clean", price=D("199"), items=[
        PackageItemInput(service_id=service.pk, quantity=D("2")), PackageItemInput(product_id=product.pk)])
    assert [(i.service_id, i.product_id, i.quantity) for i in package.items.all()] == [
        (service.pk, None, D("2.00")), (None, product.pk, D("1.00"))]
    services.package_update(actor=staff_actor, channel=G, package_id=package.pk, price=D("180"),
                            items=[PackageItemInput(service_id=service.pk)])
    assert list(PackageItem.objects.filter(package=package).values_list("service_id", "quantity")) == [
        (service.pk, D("1.00"))]
    log = CatalogLog.objects.filter(entity="package").last()
    assert log.changes == {"price": ["199.00", "180.00"],
                           "items": [[f"2.00 x service {service.pk}", f"1.00 x product {product.pk}"],
                                     [f"1.00 x service {service.pk}"]]}


@pytest.mark.parametrize(("items", "code", "field"), [
    ([], "out_of_range", "items"),
    ([PackageItemInput()], "invalid", "items.0"),
    ([PackageItemInput(service_id=1, product_id=1)], "invalid", "items.0"),
    ([PackageItemInput(service_id=10**9)], "not_found", "items.0.serviceId"),
    ([PackageItemInput(product_id=10**9)], "not_found", "items.0.productId"),
    ([PackageItemInput(service_id=-1, quantity=D("0"))], "not_found", "items.0.serviceId"),
])
def test_bad_package_input_is_refused(items, code, field, staff_actor, published):
    assert_refused(lambda: services.package_create(actor=staff_actor, channel=G, name="P", price=D("1"),
                                                   items=items), code, field=field, published=published)


def test_package_item_quantity_and_price_are_checked(staff_actor, published):
    service = factories.service()
    assert_refused(lambda: services.package_create(
        actor=staff_actor, channel=G, name="P", price=D("1"),
        items=[PackageItemInput(service_id=service.pk, quantity=D("0"))]),
        "invalid_quantity", field="items.0.quantity", published=published)
    assert_refused(lambda: services.package_create(
        actor=staff_actor, channel=G, name="P", price=D("-1"), items=[PackageItemInput(service_id=service.pk)]),
        "out_of_range", field="price", published=published)


def test_tiers_replace_the_bands_and_log_them(staff_actor, published):
    service = factories.service()
    services.tiers_set(actor=staff_actor, channel=G, service_id=service.pk, tiers=[
        TierInput(min_quantity=D("10"), max_quantity=None, kind="unit_price", value=D("90")),
        TierInput(min_quantity=D("5"), max_quantity=D("9.99"), kind="percent_off", value=D("5"))])
    assert list(VolumeTier.objects.filter(service=service).values_list("min_quantity", "max_quantity", "kind")) == [
        (D("5.00"), D("9.99"), "percent_off"), (D("10.00"), None, "unit_price")]
    services.tiers_set(actor=staff_actor, channel=G, service_id=service.pk, tiers=[])
    assert not VolumeTier.objects.filter(service=service).exists()
    assert list(CatalogLog.objects.filter(entity="service", action="tiers_set").values_list("changes", flat=True))[
        -1] == {"tiers": [["5.00-9.99 percent_off 5.00", "10.00- unit_price 90.00"], []]}
    assert published.names == ["CatalogChanged", "CatalogChanged"]


@pytest.mark.parametrize(("tiers", "code", "field"), [
    ([TierInput(D("1"), "percent_off", D("5"), D("10")), TierInput(D("10"), "percent_off", D("10"))],
     "tiers_overlap", "tiers.1"),  # both ends are inclusive: 10 would be in both
    ([TierInput(D("20"), "percent_off", D("10")), TierInput(D("1"), "percent_off", D("5"), D("50"))],
     "tiers_overlap", "tiers.0"),  # given out of order, still found
    ([TierInput(D("1"), "percent_off", D("5")), TierInput(D("100"), "percent_off", D("10"))],
     "tiers_overlap", "tiers.1"),  # an open band overlaps whatever follows it
    ([TierInput(D("0"), "percent_off", D("5"))], "out_of_range", "tiers.0.minQuantity"),
    ([TierInput(D("5"), "percent_off", D("5"), D("4"))], "out_of_range", "tiers.0.maxQuantity"),
    ([TierInput(D("5"), "percent_off", D("101"))], "out_of_range", "tiers.0.value"),
    ([TierInput(D("5"), "unit_price", D("-1"))], "out_of_range", "tiers.0.value"),
    ([TierInput(D("5"), "half_price", D("1"))], "invalid", "tiers.0.kind"),
])
def test_bad_tiers_are_refused(tiers, code, field, staff_actor, published):
    service = factories.service()
    services.tiers_set(actor=staff_actor, channel=G, service_id=service.pk,
                       tiers=[TierInput(D("3"), "percent_off", D("1"))])
    published.clear()
    assert_refused(lambda: services.tiers_set(actor=staff_actor, channel=G, service_id=service.pk, tiers=tiers),
                   code, field=field, published=published)


def test_tiers_need_one_existing_item(staff_actor, published):
    assert_refused(lambda: services.tiers_set(actor=staff_actor, channel=G, service_id=10**9, tiers=[]),
                   "not_found", field="itemId", published=published)
    assert_refused(lambda: services.tiers_set(actor=staff_actor, channel=G, service_id=1, product_id=1, tiers=[]),
                   "invalid", field="itemId", published=published)


def test_zones_by_postcode_and_radius(staff_actor, published):
    cbd = services.zone_create(actor=staff_actor, channel=G, name="CBD", kind="postcodes",
                               postcodes=["2000", " sw1a 1aa", "2000"], adjustment_kind="percent",
                               adjustment=D("15"))
    assert cbd.postcodes == ["2000", "SW1A1AA"]
    metro = services.zone_create(actor=staff_actor, channel=G, name="Metro", kind="radius", latitude=-33.86,
                                 longitude=151.2, radius_km=D("30"), adjustment_kind="amount", adjustment=D("-5"))
    services.zone_update(actor=staff_actor, channel=G, zone_id=metro.pk, kind="postcodes", postcodes=["2150"])
    metro.refresh_from_db()
    assert (metro.kind, metro.postcodes, metro.latitude, metro.radius_km) == ("postcodes", ["2150"], None, None)
    services.zone_delete(actor=staff_actor, channel=G, zone_id=cbd.pk)
    assert list(PriceZone.objects.values_list("name", flat=True)) == ["Metro"]
    assert list(CatalogLog.objects.filter(entity="zone").values_list("action", flat=True)) == [
        "created", "created", "updated", "deleted"]
    assert published.names == ["CatalogChanged"] * 4


@pytest.mark.parametrize(("values", "code", "field"), [
    (dict(kind="postcodes", postcodes=[]), "required", "postcodes"),
    (dict(kind="postcodes", postcodes=["20 00!"]), "invalid", "postcodes.0"),
    (dict(kind="radius", latitude=-33.0, longitude=151.0), "required", "radiusKm"),
    (dict(kind="radius", latitude=-91.0, longitude=151.0, radius_km=D("5")), "out_of_range", "latitude"),
    (dict(kind="radius", latitude=-33.0, longitude=151.0, radius_km=D("0")), "out_of_range", "radiusKm"),
    (dict(kind="ring", postcodes=["2000"]), "invalid", "kind"),
    (dict(kind="postcodes", postcodes=["2000"], adjustment=D("-101")), "out_of_range", "adjustment"),
    (dict(kind="postcodes", postcodes=["2000"], adjustment_kind="ratio"), "invalid", "adjustmentKind"),
    (dict(kind="postcodes", postcodes=["2000"], name="cbd"), "duplicate", "name"),
    (dict(kind="postcodes", postcodes=["2000"], priority=-1), "out_of_range", "priority"),
])
def test_bad_zones_are_refused(values, code, field, staff_actor, published):
    services.zone_create(actor=staff_actor, channel=G, name="CBD", kind="postcodes", postcodes=["2000"],
                         adjustment_kind="percent", adjustment=D("15"))
    published.clear()
    values = {"name": "New", "adjustment_kind": "percent", "adjustment": D("5"), **values}
    assert_refused(lambda: services.zone_create(actor=staff_actor, channel=G, **values), code, field=field,
                   published=published)


def test_only_staff_write_the_new_catalogue(customer_actor, fieldworker_actor, staff_actor, published):
    product = _product(staff_actor)
    published.clear()
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous(), Actor.system()):
        for call in (
            lambda actor=actor: _product(actor, sku="X-2"),
            lambda actor=actor: services.product_update(actor=actor, channel=G, product_id=product.pk, price=D("0")),
            lambda actor=actor: services.package_create(actor=actor, channel=G, name="P", price=D("1"), items=[]),
            lambda actor=actor: services.tiers_set(actor=actor, channel=G, product_id=product.pk, tiers=[]),
            lambda actor=actor: services.zone_create(actor=actor, channel=G, name="Z", kind="postcodes",
                                                     postcodes=["1"], adjustment_kind="percent", adjustment=D("1")),
        ):
            assert_refused(call, "forbidden", published=published)


def test_unknown_ids_are_not_found(staff_actor, published):
    for call, code in (
        (lambda: services.product_update(actor=staff_actor, channel=G, product_id=10**9, price=D("1")), "not_found"),
        (lambda: services.package_update(actor=staff_actor, channel=G, package_id=10**9, price=D("1")), "not_found"),
        (lambda: services.zone_update(actor=staff_actor, channel=G, zone_id=10**9, priority=1), "not_found"),
        (lambda: services.zone_delete(actor=staff_actor, channel=G, zone_id=10**9), "not_found"),
        (lambda: services.product_update(actor=staff_actor, channel=G, product_id=1, colour="red"), "invalid"),
    ):
        assert_refused(call, code, published=published)
    assert not Product.objects.exists()
