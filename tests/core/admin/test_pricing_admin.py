"""Products, price zones and packages in the Django admin: saved by the catalogue's services, with
their log rows; a refused form shows why and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.catalog.models import CatalogLog, PriceZone, Product

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db


def test_a_product_is_added_and_changed_through_the_services(browser, root):
    response = submit(browser, "/admin/catalog/product/add/", "product_form", sku="GUT-1", name="Guard",
                      price="12.50", tax_rate="10")
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.sku, product.price) == ("GUT-1", Decimal("12.50"))
    response = submit(browser, f"/admin/catalog/product/{product.pk}/change/", "product_form", price="13")
    assert response.status_code == 302
    rows = list(CatalogLog.objects.values_list("entity", "action", "channel", "actor_user_id"))
    assert rows == [("product", "created", "admin", root.pk), ("product", "updated", "admin", root.pk)]


def test_a_refused_product_shows_why_and_changes_nothing(browser):
    submit(browser, "/admin/catalog/product/add/", "product_form", sku="DUP", name="First", price="1", tax_rate="10")
    before = whole_state()
    response = submit(browser, "/admin/catalog/product/add/", "product_form", sku="dup", name="Second", price="1",
                      tax_rate="10")
    assert errors_of(response) == {"sku": ["A product with that SKU exists."]}
    assert whole_state() == before


def test_a_zone_is_added_through_the_services_and_checked_as_a_whole(browser):
    before = whole_state()
    response = submit(browser, "/admin/catalog/pricezone/add/", "pricezone_form", name="Far", kind="radius",
                      latitude="-33.7", longitude="150.6", adjustment_kind="percent", adjustment="5",
                      priority="100", postcodes="[]")
    assert errors_of(response) == {"radius_km": ["A radius zone needs a centre and a radius."]}
    assert whole_state() == before
    response = submit(browser, "/admin/catalog/pricezone/add/", "pricezone_form", name="CBD", kind="postcodes",
                      postcodes='["2000", "2001 "]', adjustment_kind="percent", adjustment="15", priority="100")
    assert response.status_code == 302
    assert PriceZone.objects.get().postcodes == ["2000", "2001"]
    assert CatalogLog.objects.get().entity == "zone"


def test_packages_are_not_added_in_the_admin(browser):
    assert browser.get("/admin/catalog/servicepackage/add/").status_code == 403
