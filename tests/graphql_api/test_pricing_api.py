"""The pricing engine from the outside: GraphQL over HTTP for each role, bad input refused with a typed
error and the database unchanged, and lists that cost the same queries at any length."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone

from core.actors import Channel
from core.bookings import services as booking_services
from core.catalog import services as catalog
from core.catalog.models import Product, ServicePackage
from core.catalog.services import PackageItemInput, TierInput
from core.crm.models import Property
from tests.core.support import db_state

from .conftest import gid, run
from .over_http import URL, sign_in

ERRORS = "errors { code field message }"
QUOTE = """query($s: ID!, $q: Decimal!, $p: ID) { priceQuote(serviceId: $s, quantity: $q, propertyId: $p) {
  quantity unitPrice taxRate taxInclusive amount net tax total rules { code detail unitPrice } } }"""


def post(user, query: str, **variables) -> dict:
    """The whole response body of ``query`` sent over HTTP by ``user`` (None: nobody signed in)."""
    headers = {}
    if user is not None:
        sign_in(user)
        headers["HTTP_AUTHORIZATION"] = user._test_bearer
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", **headers)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def priced(world):
    """World A's property in a postcode zone (+20 %), a 3+ band of 10 % off on the world's service."""
    staff = world.staff
    Property.objects.filter(pk=world.prop_a.pk).update(postcode="2000")
    Property.objects.filter(pk=world.prop_b.pk).update(postcode="2999", latitude=None, longitude=None)
    catalog.zone_create(actor=staff, channel=Channel.SYSTEM, name="CBD", kind="postcodes", postcodes=["2000"],
                        adjustment_kind="percent", adjustment=D("20"))
    catalog.tiers_set(actor=staff, channel=Channel.SYSTEM, service_id=world.service.pk,
                      tiers=[TierInput(D("3"), "percent_off", D("10"))])
    sign_in(world.staff.user, world.cust_a.user, world.fw_a.user)
    return world


def test_staff_build_the_catalogue_and_quote_over_http(priced):
    staff = priced.staff.user
    made = post(staff, f"""mutation {{
      createProduct(input: {{sku: "BAG-10", name: "Bags", price: "2.505", taxRate: "0"}}) {{
        product {{ id sku price }} {ERRORS} }} }}""")["data"]["createProduct"]
    assert made["errors"] == [] and made["product"]["price"] == "2.51"
    product_id = made["product"]["id"]
    tiers = post(staff, f"""mutation($id: ID!) {{ setVolumeTiers(itemId: $id, tiers: [
        {{minQuantity: "100", kind: UNIT_PRICE, value: "2"}},
        {{minQuantity: "10", maxQuantity: "99.99", kind: PERCENT_OFF, value: "5"}}]) {{
        volumeTiers {{ minQuantity maxQuantity kind value }} {ERRORS} }} }}""", id=product_id)["data"]
    assert tiers["setVolumeTiers"]["volumeTiers"] == [
        {"minQuantity": "10.00", "maxQuantity": "99.99", "kind": "PERCENT_OFF", "value": "5.00"},
        {"minQuantity": "100.00", "maxQuantity": None, "kind": "UNIT_PRICE", "value": "2.00"}]
    package = post(staff, f"""mutation($s: ID!, $p: ID!) {{ createServicePackage(input: {{name: "Spring clean",
        price: "199", items: [{{serviceId: $s, quantity: "2"}}, {{productId: $p, quantity: "10"}}]}}) {{
        package {{ id price items {{ quantity service {{ name }} product {{ sku }} }} }} {ERRORS} }} }}""",
                   s=gid("Service", priced.service.pk), p=product_id)["data"]["createServicePackage"]
    assert [item["quantity"] for item in package["package"]["items"]] == ["2.00", "10.00"]
    zone = post(staff, f"""mutation {{ createPriceZone(input: {{name: "Far", kind: RADIUS, latitude: -33.75,
        longitude: 150.69, radiusKm: "10", adjustmentKind: AMOUNT, adjustment: "15"}}) {{
        zone {{ id kind postcodes radiusKm }} {ERRORS} }} }}""")["data"]["createPriceZone"]
    assert zone["zone"]["kind"] == "RADIUS" and zone["zone"]["postcodes"] == []

    quote = post(staff, QUOTE, s=product_id, q="12", p=gid("Property", priced.prop_a.pk))["data"]["priceQuote"]
    assert quote == {"quantity": "12.00", "unitPrice": "2.86", "taxRate": "0.00", "taxInclusive": False,
                     "amount": "34.32", "net": "34.32", "tax": "0.00", "total": "34.32", "rules": [
                         {"code": "base", "detail": "Base price 2.51", "unitPrice": "2.51"},
                         {"code": "volume_tier", "detail": "Quantity 10-99.99: 5% off", "unitPrice": "2.38"},
                         {"code": "zone", "detail": "Zone CBD: +20%", "unitPrice": "2.86"}]}
    package_quote = post(staff, QUOTE, s=package["package"]["id"], q="1")["data"]["priceQuote"]
    assert [rule["code"] for rule in package_quote["rules"]] == ["package"]
    assert package_quote["total"] == "218.90"  # 199 + 10 % tax, no property: no zone


def test_customer_quotes_their_own_property_only(priced):
    me = priced.cust_a.user
    mine = post(me, QUOTE, s=gid("Service", priced.service.pk), q="3", p=gid("Property", priced.prop_a.pk))
    assert [rule["code"] for rule in mine["data"]["priceQuote"]["rules"]] == ["base", "volume_tier", "zone"]
    assert mine["data"]["priceQuote"]["unitPrice"] == "129.60"  # 120 -10 % +20 %
    before = db_state()
    for variables, code, field in (
        ({"p": gid("Property", priced.prop_b.pk)}, "not_found", "propertyId"),  # someone else's: as if missing
        ({"p": gid("Property", 10**9)}, "not_found", "propertyId"),
        ({"p": None}, "required", "propertyId"),
        ({"p": gid("Customer", priced.cust_a.pk)}, "invalid_id", "propertyId"),
        ({"s": gid("Booking", priced.booking_a.pk)}, "invalid_id", "serviceId"),
        ({"s": gid("Service", 10**9)}, "not_found", "serviceId"),
        ({"q": "0"}, "invalid_quantity", "quantity"),
    ):
        values = {"s": gid("Service", priced.service.pk), "q": "1", "p": gid("Property", priced.prop_a.pk),
                  **variables}
        body = post(me, QUOTE, **values)
        assert body["data"] is None
        assert (body["errors"][0]["extensions"]["code"], body["errors"][0]["extensions"].get("field")) == (
            code, field), body
    assert db_state() == before


def test_inactive_items_are_hidden_from_customers_not_staff(priced):
    catalog.service_update(actor=priced.staff, channel=Channel.SYSTEM, service_id=priced.service.pk, active=False)
    variables = {"s": gid("Service", priced.service.pk), "q": "1", "p": gid("Property", priced.prop_a.pk)}
    assert post(priced.cust_a.user, QUOTE, **variables)["errors"][0]["extensions"]["code"] == "not_found"
    assert post(priced.staff.user, QUOTE, **variables)["data"]["priceQuote"]["unitPrice"] == "144.00"


@pytest.mark.parametrize(("role", "code"), [("fieldworker", "forbidden"), ("anonymous", "unauthenticated")])
def test_others_may_not_quote(priced, role, code):
    user = priced.fw_a.user if role == "fieldworker" else None
    body = post(user, QUOTE, s=gid("Service", priced.service.pk), q="1", p=gid("Property", priced.prop_a.pk))
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code


WRITES = {
    "createProduct": f'mutation {{ createProduct(input: {{sku: "X", name: "X", price: "1"}}) {{ {ERRORS} }} }}',
    "createPriceZone": f"""mutation {{ createPriceZone(input: {{name: "Z", kind: POSTCODES, postcodes: ["1"],
        adjustmentKind: PERCENT, adjustment: "1"}}) {{ {ERRORS} }} }}""",
    "setVolumeTiers": "SET_TIERS",
}


@pytest.mark.parametrize("role", ["customer", "fieldworker", "anonymous"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_only_staff_write_the_catalogue_over_http(priced, role, name):
    user = {"customer": priced.cust_a.user, "fieldworker": priced.fw_a.user, "anonymous": None}[role]
    query = WRITES[name]
    if query == "SET_TIERS":
        query = (f'mutation {{ setVolumeTiers(itemId: "{gid("Service", priced.service.pk)}", tiers: []) '
                 f'{{ {ERRORS} }} }}')
    before = db_state()
    body = post(user, query)
    assert body["data"][name]["errors"][0]["code"] == "forbidden"
    assert db_state() == before


BAD = {
    "negative price": (f"""mutation {{ createProduct(input: {{sku: "N", name: "N", price: "-1"}}) {{
        product {{ id }} {ERRORS} }} }}""", "createProduct", "out_of_range", "price"),
    "overlapping tiers": (f"""mutation($id: ID!) {{ setVolumeTiers(itemId: $id, tiers: [
        {{minQuantity: "1", maxQuantity: "10", kind: PERCENT_OFF, value: "5"}},
        {{minQuantity: "10", kind: PERCENT_OFF, value: "10"}}]) {{ volumeTiers {{ value }} {ERRORS} }} }}""",
                          "setVolumeTiers", "tiers_overlap", "tiers.1"),
    "tiers on a package": (f"""mutation($pkg: ID!) {{ setVolumeTiers(itemId: $pkg, tiers: []) {{
        volumeTiers {{ value }} {ERRORS} }} }}""", "setVolumeTiers", "invalid_id", "itemId"),
    "unknown product": (f"""mutation {{ updateProduct(input: {{id: "{gid('Product', 10**9)}", price: "1"}}) {{
        product {{ id }} {ERRORS} }} }}""", "updateProduct", "not_found", "id"),
    "a service id for a product": ("""mutation($id: ID!) { updateProduct(input: {id: $id, price: "1"}) {
        product { id } errors { code field message } } }""", "updateProduct", "invalid_id", "id"),
    "unknown package item": (f"""mutation {{ createServicePackage(input: {{name: "P", price: "1", items: [
        {{productId: "{gid('Product', 10**9)}"}}]}}) {{ package {{ id }} {ERRORS} }} }}""",
                             "createServicePackage", "not_found", "items.0.productId"),
    "radius zone without a centre": (f"""mutation {{ createPriceZone(input: {{name: "R", kind: RADIUS,
        radiusKm: "5", adjustmentKind: PERCENT, adjustment: "5"}}) {{ zone {{ id }} {ERRORS} }} }}""",
                                     "createPriceZone", "required", "radiusKm"),
    "unknown zone": (f"""mutation {{ deletePriceZone(id: "{gid('PriceZone', 10**9)}") {{ deletedId {ERRORS} }} }}""",
                     "deletePriceZone", "not_found", "id"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_catalogue_input_is_a_typed_error_and_changes_nothing(priced, case):
    query, name, code, field = BAD[case]
    package = catalog.package_create(actor=priced.staff, channel=Channel.SYSTEM, name="Pkg", price=D("5"),
                                     items=[PackageItemInput(service_id=priced.service.pk)])
    before = db_state()
    body = post(priced.staff.user, query, id=gid("Service", priced.service.pk), pkg=gid("ServicePackage", package.pk))
    assert "errors" not in body, body
    error = body["data"][name]["errors"][0]
    assert (error["code"], error["field"]) == (code, field) and error["message"]
    assert db_state() == before


def test_staff_override_a_line_price_over_http(priced):
    staff = priced.staff.user
    line = priced.booking_a.lines.get()
    set_price = f"""mutation($b: ID!, $l: ID!, $p: Decimal) {{ setBookingLinePrice(bookingId: $b, lineId: $l,
        unitPrice: $p) {{ line {{ unitPrice listUnitPrice priceOverriddenAt priceOverriddenBy {{ email }}
        pricing {{ code unitPrice }} total }} {ERRORS} }} }}"""
    ids = {"b": gid("Booking", priced.booking_a.pk), "l": gid("BookingLine", line.pk)}
    done = post(staff, set_price, p="99.995", **ids)["data"]["setBookingLinePrice"]
    assert done["errors"] == []
    assert (done["line"]["unitPrice"], done["line"]["listUnitPrice"], done["line"]["priceOverriddenBy"]) == (
        "100.00", "120.00", {"email": staff.email})
    assert [rule["code"] for rule in done["line"]["pricing"]] == ["base", "override"]
    assert done["line"]["total"] == "110.00"

    before = db_state()
    assert post(priced.cust_a.user, set_price, p="1", **ids)["data"]["setBookingLinePrice"]["errors"][0][
        "code"] == "forbidden"
    other = {"b": gid("Booking", priced.booking_b.pk), "l": gid("BookingLine", line.pk)}
    error = post(staff, set_price, p="1", **other)["data"]["setBookingLinePrice"]["errors"][0]
    assert (error["code"], error["field"]) == ("not_found", "lineId")  # a line of another booking
    assert post(staff, set_price, p="-5", **ids)["data"]["setBookingLinePrice"]["errors"][0]["code"] == "invalid_price"
    assert db_state() == before

    back = post(staff, set_price, p=None, **ids)["data"]["setBookingLinePrice"]["line"]
    assert (back["unitPrice"], back["priceOverriddenAt"], back["priceOverriddenBy"]) == ("120.00", None, None)


def test_a_booking_line_sells_a_product_through_graphql(priced):
    product = catalog.product_create(actor=priced.staff, channel=Channel.SYSTEM, sku="B", name="Bags",
                                     price=D("2.50"))
    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0).isoformat()
    body = post(priced.staff.user, f"""mutation($v: CreateBookingInput!) {{ createBooking(input: $v) {{
        booking {{ total lines {{ product {{ sku }} unitPrice pricing {{ code }} }} }} {ERRORS} }} }}""", v={
        "customerId": gid("Customer", priced.cust_a.pk), "propertyId": gid("Property", priced.prop_a.pk),
        "scheduledStart": start, "lines": [{"productId": gid("Product", product.pk), "quantity": "4"}]})
    booking = body["data"]["createBooking"]["booking"]
    assert booking["lines"] == [{"product": {"sku": "B"}, "unitPrice": "3.00",
                                 "pricing": [{"code": "base"}, {"code": "zone"}]}]
    assert booking["total"] == "13.20"


# --- lists: the same queries at any length --------------------------------------------------------

PRODUCTS = "query($n: Int) { products(first: $n) { edges { node { sku price volumeTiers { minQuantity } } } } }"
PACKAGES = """query($n: Int) { servicePackages(first: $n) { edges { node { name
  items { quantity service { name } product { sku } } } } } }"""


def _seed(staff, count: int, service) -> None:
    start = Product.objects.count()
    for n in range(start, start + count):
        product = catalog.product_create(actor=staff, channel=Channel.SYSTEM, sku=f"P{n}", name=f"P{n}",
                                         price=D("1"))
        catalog.tiers_set(actor=staff, channel=Channel.SYSTEM, product_id=product.pk,
                          tiers=[TierInput(D("5"), "percent_off", D("5"), D("9.99")),
                                 TierInput(D("10"), "unit_price", D("1"))])
        catalog.package_create(actor=staff, channel=Channel.SYSTEM, name=f"K{n}", price=D("9"), items=[
            PackageItemInput(service_id=service.pk), PackageItemInput(product_id=product.pk)])


@pytest.mark.parametrize(("query", "key"), [(PRODUCTS, "products"), (PACKAGES, "servicePackages")])
def test_catalogue_lists_cost_the_same_queries_at_any_length(world, django_assert_num_queries, query, key):
    _seed(world.staff, 3, world.service)
    # products: the rows, their tiers; packages: the rows, their items, the items' services, their products
    expected = {"products": 2, "servicePackages": 4}[key]
    with django_assert_num_queries(expected):
        small = run(world.staff, query, n=3)
    _seed(world.staff, 27, world.service)
    with django_assert_num_queries(expected):
        large = run(world.staff, query, n=30)
    assert len(small["data"][key]["edges"]) == 3 and len(large["data"][key]["edges"]) == 30
    assert ServicePackage.objects.count() == 30


def test_booking_line_pricing_fields_add_no_query_per_line(world, django_assert_num_queries):
    query = """query { bookings(first: 10) { edges { node { total lines { taxInclusive listUnitPrice
      priceOverriddenAt pricing { code } total } } } } }"""
    for _ in range(3):
        booking_services.booking_create(
            actor=world.staff, channel=Channel.SYSTEM, customer_id=world.cust_a.pk, property_id=world.prop_a.pk,
            scheduled_start=timezone.now() + timedelta(days=9),
            lines=[booking_services.LineInput(service_id=world.service.pk)] * 3)
    with django_assert_num_queries(2):  # the bookings, and every line of them at once
        result = run(world.staff, query)
    assert len(result["data"]["bookings"]["edges"]) == 5


def test_who_sees_which_products_and_zones(priced):
    for sku, active in (("ON", True), ("OFF", False)):
        catalog.product_create(actor=priced.staff, channel=Channel.SYSTEM, sku=sku, name=sku, price=D("1"),
                               active=active)
    query = "{ products(first: 10) { edges { node { sku } } } priceZones { name } }"
    seen = {}
    for role, user in (("staff", priced.staff.user), ("customer", priced.cust_a.user),
                       ("fieldworker", priced.fw_a.user), ("anonymous", None)):
        data = post(user, query)["data"]
        seen[role] = ([edge["node"]["sku"] for edge in data["products"]["edges"]],
                      [zone["name"] for zone in data["priceZones"]])
    assert seen == {"staff": (["OFF", "ON"], ["CBD"]), "customer": (["ON"], []), "fieldworker": (["ON"], []),
                    "anonymous": ([], [])}


def test_tax_mode_is_a_company_setting_that_quotes_follow(priced):
    staff = priced.staff.user
    done = post(staff, f"""mutation {{ updateCompanySettings(input: {{taxMode: INCLUSIVE}}) {{
        settings {{ taxMode }} {ERRORS} }} }}""")["data"]["updateCompanySettings"]
    assert done == {"settings": {"taxMode": "INCLUSIVE"}, "errors": []}
    quote = post(staff, QUOTE, s=gid("Service", priced.service.pk), q="1")["data"]["priceQuote"]
    assert (quote["taxInclusive"], quote["amount"], quote["net"], quote["tax"], quote["total"]) == (
        True, "120.00", "109.09", "10.91", "120.00")
    before = db_state()
    refused = post(priced.cust_a.user, """mutation { updateCompanySettings(input: {taxMode: EXCLUSIVE}) {
        errors { code } } }""")["data"]["updateCompanySettings"]
    assert refused["errors"] == [{"code": "forbidden"}]
    assert db_state() == before


def test_moving_a_booking_over_http_prices_it_at_the_new_property(priced):
    staff = priced.staff.user
    new_home = Property.objects.create(customer=priced.cust_a, address="7 Far Rd", postcode="2750")
    booking_id = gid("Booking", priced.booking_a.pk)
    base = D(priced.service.price)
    moved = post(staff, f"""mutation($v: UpdateBookingInput!) {{ updateBooking(input: $v) {{
      booking {{ lines {{ unitPrice pricing {{ code }} }} }} {ERRORS} }} }}""",
                 v={"id": booking_id, "propertyId": gid("Property", new_home.pk)})["data"]["updateBooking"]
    assert moved["errors"] == []
    assert [line["unitPrice"] for line in moved["booking"]["lines"]] == [f"{base:.2f}"]
    assert [rule["code"] for rule in moved["booking"]["lines"][0]["pricing"]] == ["base"]
    # back in the CBD zone (+20 %), as priceQuote says it costs there
    back = post(staff, f"""mutation($v: UpdateBookingInput!) {{ updateBooking(input: $v) {{
      booking {{ lines {{ unitPrice }} }} {ERRORS} }} }}""",
                v={"id": booking_id, "propertyId": gid("Property", priced.prop_a.pk)})["data"]["updateBooking"]
    quote = post(staff, QUOTE, s=gid("Service", priced.service.pk), q="1", p=gid("Property", priced.prop_a.pk))
    assert back["errors"] == []
    assert [line["unitPrice"] for line in back["booking"]["lines"]] == [quote["data"]["priceQuote"]["unitPrice"]]
    assert quote["data"]["priceQuote"]["unitPrice"] == f"{base * D('1.2'):.2f}"
