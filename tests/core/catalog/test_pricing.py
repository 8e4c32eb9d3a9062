"""The pricing engine as a pure function: one table per rule, and totals over many lines."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from core.catalog.pricing import (
    Item,
    LineAmounts,
    Place,
    Tier,
    Zone,
    choose_zone,
    line_amounts,
    price_line,
    sum_lines,
)
from core.errors import ValidationFailed

TIERS = (
    Tier(min_quantity=D("10"), max_quantity=D("49"), kind="percent_off", value=D("10")),
    Tier(min_quantity=D("50"), max_quantity=D("99.99"), kind="percent_off", value=D("20")),
    Tier(min_quantity=D("100"), max_quantity=None, kind="unit_price", value=D("7.50")),
)
WIDGET = Item(kind="product", id=1, name="Widget", unit_price=D("10.00"), tax_rate=D("10"), tiers=TIERS)

SYDNEY = (-33.8688, 151.2093)
PARRAMATTA = (-33.8150, 151.0011)  # about 20 km west of Sydney
CBD = Zone(id=1, name="CBD", kind="postcodes", adjustment_kind="percent", adjustment=D("15"),
           postcodes=frozenset({"2000", "2001"}))
METRO = Zone(id=2, name="Metro", kind="radius", adjustment_kind="amount", adjustment=D("2.50"),
             latitude=SYDNEY[0], longitude=SYDNEY[1], radius_km=D("30"))
NEAR = Zone(id=3, name="Near", kind="radius", adjustment_kind="amount", adjustment=D("-1.00"),
            latitude=SYDNEY[0], longitude=SYDNEY[1], radius_km=D("5"))
ZONES = (CBD, METRO, NEAR)


@pytest.mark.parametrize(("quantity", "unit", "rule"), [
    ("1", "10.00", None),
    ("9.99", "10.00", None),          # just below the first band
    ("10", "9.00", "Quantity 10-49: 10% off"),   # the band's lower end is inside it
    ("49", "9.00", "Quantity 10-49: 10% off"),   # and its upper end
    ("49.5", "10.00", None),          # a gap between bands: base price
    ("50", "8.00", "Quantity 50-99.99: 20% off"),
    ("99.99", "8.00", "Quantity 50-99.99: 20% off"),
    ("100", "7.50", "Quantity 100+: 7.50 a unit"),
    ("10000", "7.50", "Quantity 100+: 7.50 a unit"),
    ("9.995", "9.00", "Quantity 10-49: 10% off"),  # quantities round half up to cents first
])
def test_volume_tier_boundaries(quantity, unit, rule):
    priced = price_line(WIDGET, D(quantity))
    assert priced.unit_price == D(unit)
    tier_rules = [r.detail for r in priced.rules if r.code == "volume_tier"]
    assert tier_rules == ([rule] if rule else [])
    assert priced.rules[0].code == "base"


@pytest.mark.parametrize(("place", "zone", "unit"), [
    (Place(postcode="2000", latitude=SYDNEY[0], longitude=SYDNEY[1]), "CBD", "11.50"),  # three zones: CBD wins
    (Place(postcode=" 20 01 "), "CBD", "11.50"),            # postcode compared without spaces
    (Place(postcode="2150", latitude=PARRAMATTA[0], longitude=PARRAMATTA[1]), "Metro", "12.50"),
    (Place(postcode="2150", latitude=-33.87, longitude=151.21), "Near", "9.00"),  # inside both radii: the smaller
    (Place(postcode="2750", latitude=-33.75, longitude=150.69), None, "10.00"),  # Penrith: outside every zone
    (Place(postcode="2150"), None, "10.00"),               # no coordinates: radius zones cannot match
    (None, None, "10.00"),                                 # no property at all
])
def test_zone_by_postcode_radius_or_none(place, zone, unit):
    priced = price_line(WIDGET, D("1"), place=place, zones=ZONES)
    assert priced.unit_price == D(unit)
    zone_rules = [r.detail for r in priced.rules if r.code == "zone"]
    assert (zone_rules[0].split(":")[0] if zone_rules else None) == (f"Zone {zone}" if zone else None)


def test_zone_precedence_priority_first_then_postcode_then_smaller_radius():
    place = Place(postcode="2000", latitude=SYDNEY[0], longitude=SYDNEY[1])
    urgent = Zone(id=9, name="Urgent", kind="radius", adjustment_kind="percent", adjustment=D("50"),
                  latitude=SYDNEY[0], longitude=SYDNEY[1], radius_km=D("100"), priority=1)
    assert choose_zone(place, (*ZONES, urgent)) == urgent
    assert choose_zone(place, ZONES) == CBD  # equal priorities: a postcode list is more specific
    assert choose_zone(place, (METRO, NEAR)) == NEAR  # then the smaller radius
    twin = Zone(id=4, name="Twin", kind="postcodes", adjustment_kind="percent", adjustment=D("1"),
                postcodes=frozenset({"2000"}))
    assert choose_zone(place, (twin, CBD)) == CBD  # then the lower id


def test_tier_then_zone_then_override_and_the_explanation():
    place = Place(postcode="2000")
    priced = price_line(WIDGET, D("50"), place=place, zones=ZONES, override_unit_price=D("7.005"))
    assert [(r.code, r.unit_price) for r in priced.rules] == [
        ("base", D("10.00")), ("volume_tier", D("8.00")), ("zone", D("9.20")), ("override", D("7.01"))]
    assert (priced.list_unit_price, priced.unit_price, priced.overridden) == (D("9.20"), D("7.01"), True)
    assert priced.explanation()[-1] == {"code": "override", "detail": "Price set by staff: 7.01 (list 9.20)",
                                        "unit_price": "7.01"}
    assert (priced.net, priced.tax, priced.total) == (D("350.50"), D("35.05"), D("385.55"))


def test_zone_adjustments_never_go_below_zero():
    free = Zone(id=5, name="Promo", kind="postcodes", adjustment_kind="amount", adjustment=D("-50"),
                postcodes=frozenset({"3000"}))
    assert price_line(WIDGET, D("2"), place=Place(postcode="3000"), zones=(free,)).unit_price == D("0.00")


def test_a_package_is_sold_at_its_own_price_with_its_contents_value_shown():
    package = Item(kind="package", id=7, name="Spring clean", unit_price=D("199"), tax_rate=D("10"),
                   contents_value=D("240.00"))
    priced = price_line(package, D("2"), place=Place(postcode="2000"), zones=ZONES)
    assert [r.code for r in priced.rules] == ["package", "zone"]
    assert priced.rules[0].detail == "Package price 199.00 (contents at their own prices: 240.00)"
    assert (priced.unit_price, priced.net) == (D("228.85"), D("457.70"))


@pytest.mark.parametrize(("inclusive", "quantity", "unit", "rate", "net", "tax", "total"), [
    (False, "1", "100.00", "10", "100.00", "10.00", "110.00"),
    (True, "1", "110.00", "10", "100.00", "10.00", "110.00"),
    (False, "3", "0.35", "15", "1.05", "0.16", "1.21"),     # 0.1575 tax rounds half up to 0.16
    (False, "1", "0.10", "5", "0.10", "0.01", "0.11"),      # 0.005 -> 0.01 (half up, not half even)
    (False, "1", "0.30", "5", "0.30", "0.02", "0.32"),      # 0.015 -> 0.02
    (True, "1", "10.00", "10", "9.09", "0.91", "10.00"),    # 10/1.1 = 9.0909 -> 9.09; tax is the rest
    (True, "1", "0.05", "10", "0.05", "0.00", "0.05"),      # 0.04545 -> 0.05
    (True, "3", "33.33", "20", "83.33", "16.66", "99.99"),
    (False, "2.5", "19.99", "0", "49.98", "0.00", "49.98"),  # 49.975 -> 49.98
    (True, "1", "99.99", "0", "99.99", "0.00", "99.99"),
])
def test_tax_inclusive_and_exclusive_and_half_up(inclusive, quantity, unit, rate, net, tax, total):
    amounts = line_amounts(D(quantity), D(unit), D(rate), tax_inclusive=inclusive)
    assert amounts == LineAmounts(net=D(net), tax=D(tax), total=D(total))
    assert amounts.net + amounts.tax == amounts.total  # a line never loses a cent between its parts
    item = Item(kind="custom", id=None, name="x", unit_price=D(unit), tax_rate=D(rate))
    priced = price_line(item, D(quantity), tax_inclusive=inclusive)
    assert (priced.net, priced.tax, priced.total) == (D(net), D(tax), D(total))
    assert priced.amount == (D(total) if inclusive else D(net))


@pytest.mark.parametrize("inclusive", [False, True])
def test_totals_over_many_lines_are_cent_exact(inclusive):
    """A thousand awkward lines: the total equals the sum of what each line shows, computed in
    whole cents, and net + tax == total exactly, in both tax modes."""
    rng = random.Random(1800)
    lines = []
    for _ in range(1000):
        item = Item(kind="custom", id=None, name="x", unit_price=D(rng.randint(0, 99999)) / 100,
                    tax_rate=D(rng.choice(["0", "5", "7.5", "10", "12.5", "15", "20"])))
        lines.append(price_line(item, D(rng.randint(1, 5000)) / 100, tax_inclusive=inclusive))
    totals = sum_lines(lines)
    cents = [(int(line.net * 100), int(line.tax * 100), int(line.total * 100)) for line in lines]
    assert totals.net * 100 == sum(c[0] for c in cents)
    assert totals.tax * 100 == sum(c[1] for c in cents)
    assert totals.total * 100 == sum(c[2] for c in cents)
    assert totals.net + totals.tax == totals.total
    assert all(line.net.as_tuple().exponent == -2 and line.tax.as_tuple().exponent == -2 for line in lines)


@pytest.mark.parametrize(("quantity", "override", "field", "code"), [
    ("0", None, "quantity", "invalid_quantity"),
    ("-1", None, "quantity", "invalid_quantity"),
    ("0.004", None, "quantity", "invalid_quantity"),
    ("10000.01", None, "quantity", "invalid_quantity"),
    ("lots", None, "quantity", "invalid"),
    ("NaN", None, "quantity", "invalid"),
    ("1", "-0.01", "unitPrice", "invalid_price"),
    ("1", "100000000", "unitPrice", "invalid_price"),
])
def test_bad_quantities_and_overrides_are_refused(quantity, override, field, code):
    with pytest.raises(ValidationFailed) as caught:
        price_line(WIDGET, quantity, override_unit_price=override)
    assert (caught.value.field, caught.value.code) == (field, code)
