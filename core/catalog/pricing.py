"""The pricing engine: one pure function prices a line for bookings, quotes and invoices alike.

    price_line(item, quantity, place=..., zones=..., tax_inclusive=..., override_unit_price=...)
        -> LinePrice(unit_price, net, tax, total, rules, ...)

Nothing here reads the database. A caller describes what is sold as an :class:`Item` (base price, tax
rate, volume tiers; a package carries its own price), the active :class:`Zone` s and where the job is
(:class:`Place`); ``core.catalog.quoting`` loads those for a batch of lines in a fixed number of
queries. The rules, in order, each one rounding the unit price to cents (decision 0800):

1. ``base``: the item's price (a package: the package price, its contents' value in the detail);
2. ``volume_tier``: the band of the item's tiers that holds the quantity (percent off, or a unit price);
3. ``zone``: the one zone the place is in (decision 0803): a signed percent or amount per unit;
4. ``override``: a staff price replaces the result (decision 0804), the rules before it still shown.

The line is then ``quantity x unit price`` rounded half up once (decision 0121), and tax is taken
from that figure: added on top (exclusive) or the part of it (inclusive, decision 0802). Totals are
sums of line figures already in cents (:func:`sum_lines`), so a list, a PDF and the database that
all add the same stored lines agree to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.errors import ValidationFailed
from core.geo import haversine_km
from core.money import ZERO, percent_of, round_money

HUNDRED = Decimal(100)
MAX_QUANTITY = Decimal("10000")
MAX_PRICE = Decimal("99999999")

# rule codes, in the order they apply
BASE, PACKAGE, VOLUME_TIER, ZONE, OVERRIDE = "base", "package", "volume_tier", "zone", "override"
PERCENT_OFF, UNIT_PRICE = "percent_off", "unit_price"  # tier kinds (core.catalog.models.TierKind)
PERCENT, AMOUNT = "percent", "amount"  # zone adjustment kinds (core.catalog.models.AdjustmentKind)
POSTCODES, RADIUS = "postcodes", "radius"  # zone kinds (core.catalog.models.ZoneKind)


def plain(number: Decimal) -> str:
    """A quantity or percent as people write it: ``10``, ``12.5`` (money keeps its cents)."""
    return format(Decimal(number).normalize(), "f")


def normalise_postcode(value: str) -> str:
    """Postcodes compare upper case without spaces (``sw1a 1aa`` is ``SW1A1AA``)."""
    return "".join((value or "").split()).upper()


@dataclass(frozen=True)
class Tier:
    """A quantity band, both ends inclusive; ``max_quantity`` None: no upper end."""

    min_quantity: Decimal
    max_quantity: Decimal | None
    kind: str  # PERCENT_OFF or UNIT_PRICE
    value: Decimal

    def covers(self, quantity: Decimal) -> bool:
        return quantity >= self.min_quantity and (self.max_quantity is None or quantity <= self.max_quantity)

    @property
    def band(self) -> str:
        low = plain(self.min_quantity)
        return f"{low}+" if self.max_quantity is None else f"{low}-{plain(self.max_quantity)}"


@dataclass(frozen=True)
class Place:
    """Where the job is: a property's postcode and, when known, its coordinates."""

    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Zone:
    id: int
    name: str
    kind: str  # POSTCODES or RADIUS
    adjustment_kind: str  # PERCENT or AMOUNT
    adjustment: Decimal  # signed
    priority: int = 100
    postcodes: frozenset[str] = frozenset()
    latitude: float | None = None
    longitude: float | None = None
    radius_km: Decimal | None = None

    def contains(self, place: Place) -> bool:
        if self.kind == POSTCODES:
            return bool(place.postcode) and normalise_postcode(place.postcode) in self.postcodes
        if None in (place.latitude, place.longitude, self.latitude, self.longitude, self.radius_km):
            return False
        distance = haversine_km(self.latitude, self.longitude, place.latitude, place.longitude)  # type: ignore[arg-type]
        return distance <= float(self.radius_km)  # type: ignore[arg-type]

    def precedence(self) -> tuple:
        """Lowest first: priority, then a postcode list before a radius, then the smaller radius, then id."""
        return (self.priority, 0 if self.kind == POSTCODES else 1, self.radius_km or ZERO, self.id)


@dataclass(frozen=True)
class Item:
    """What a line sells. ``kind``: service, product, package, or custom (no catalogue item)."""

    kind: str
    id: int | None
    name: str
    unit_price: Decimal
    tax_rate: Decimal
    tiers: tuple[Tier, ...] = ()
    contents_value: Decimal | None = None  # a package: its contents at their own prices
    tax_name: str = ""  # the named tax rate's name ("" for a percent typed by hand)


@dataclass(frozen=True)
class Rule:
    """One applied rule: its code, a sentence for people, and the unit price after it."""

    code: str
    detail: str
    unit_price: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail, "unit_price": str(self.unit_price)}


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class LinePrice:
    """The priced line: what to store (``unit_price``, ``tax_rate``, ``tax_inclusive``) and what it makes."""

    item: Item
    quantity: Decimal
    list_unit_price: Decimal  # after every rule but an override
    unit_price: Decimal  # what the line charges per unit
    tax_rate: Decimal
    tax_inclusive: bool
    net: Decimal
    tax: Decimal
    total: Decimal
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    zone_id: int | None = None
    tax_name: str = ""

    @property
    def amount(self) -> Decimal:
        """The line at its prices' face: net when tax is added, total when prices include it."""
        return self.total if self.tax_inclusive else self.net

    @property
    def overridden(self) -> bool:
        return any(rule.code == OVERRIDE for rule in self.rules)

    def explanation(self) -> list[dict[str, str]]:
        return [rule.as_dict() for rule in self.rules]


def decimal_in(value: object, field_name: str, *, lo: Decimal, hi: Decimal, code: str = "out_of_range") -> Decimal:
    """``value`` as a Decimal rounded half up to cents, refused outside ``lo``..``hi``."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field_name, "Not a number.")
    if not number.is_finite():
        raise ValidationFailed(field_name, "Not a number.")
    number = round_money(number)
    if number < lo or number > hi:
        raise ValidationFailed(field_name, f"Must be between {lo} and {hi}.", code=code)
    return number


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, *, tax_inclusive: bool) -> LineAmounts:
    """The one rounding rule for a line: ``quantity x unit_price`` rounded half up to cents, then tax
    from that figure (added on top, or the part of it when prices include tax)."""
    face = round_money(Decimal(quantity) * Decimal(unit_price))
    if tax_inclusive:
        net = round_money(face * HUNDRED / (HUNDRED + Decimal(tax_rate)))
        return LineAmounts(net=net, tax=face - net, total=face)
    tax = percent_of(face, tax_rate)
    return LineAmounts(net=face, tax=tax, total=face + tax)


def sum_lines(lines: Iterable[LineAmounts | LinePrice]) -> LineAmounts:
    """Totals are sums of line figures (never re-rounded): the same lines give the same cents anywhere."""
    net = tax = total = ZERO
    for line in lines:
        net, tax, total = net + line.net, tax + line.tax, total + line.total
    return LineAmounts(net=net, tax=tax, total=total)


def choose_zone(place: Place | None, zones: Iterable[Zone]) -> Zone | None:
    """The zone that applies to ``place``: of those containing it, the first by :meth:`Zone.precedence`."""
    if place is None:
        return None
    inside = [zone for zone in zones if zone.contains(place)]
    return min(inside, key=Zone.precedence) if inside else None


def _adjusted(unit: Decimal, kind: str, value: Decimal) -> Decimal:
    unit = unit * (HUNDRED + value) / HUNDRED if kind == PERCENT else unit + value
    return max(ZERO, round_money(unit))


def price_line(item: Item, quantity: object, *, place: Place | None = None, zones: Iterable[Zone] = (),
               tax_inclusive: bool = False, override_unit_price: object = None,
               field_name: str = "quantity") -> LinePrice:
    """Price ``quantity`` of ``item`` at ``place``. Refuses a quantity outside 0.01..10,000 and an
    override outside 0..99,999,999 (``ValidationFailed``); everything else is arithmetic."""
    qty = decimal_in(quantity, field_name, lo=Decimal("0.01"), hi=MAX_QUANTITY, code="invalid_quantity")
    unit = round_money(item.unit_price)
    if item.kind == "package":
        detail = f"Package price {unit}"
        if item.contents_value is not None:
            detail += f" (contents at their own prices: {round_money(item.contents_value)})"
        rules = [Rule(PACKAGE, detail, unit)]
    else:
        rules = [Rule(BASE, f"Base price {unit}", unit)]
    tier = next((tier for tier in item.tiers if tier.covers(qty)), None)
    if tier is not None:
        if tier.kind == PERCENT_OFF:
            unit = _adjusted(unit, PERCENT, -tier.value)
            rules.append(Rule(VOLUME_TIER, f"Quantity {tier.band}: {plain(tier.value)}% off", unit))
        else:
            unit = round_money(tier.value)
            rules.append(Rule(VOLUME_TIER, f"Quantity {tier.band}: {unit} a unit", unit))
    zone = choose_zone(place, zones)
    if zone is not None:
        unit = _adjusted(unit, zone.adjustment_kind, zone.adjustment)
        sign = "+" if zone.adjustment >= 0 else ""
        how = (f"{sign}{plain(zone.adjustment)}%" if zone.adjustment_kind == PERCENT
               else f"{sign}{round_money(zone.adjustment)} a unit")
        rules.append(Rule(ZONE, f"Zone {zone.name}: {how}", unit))
    list_unit = unit
    if override_unit_price is not None:
        unit = decimal_in(override_unit_price, "unitPrice", lo=ZERO, hi=MAX_PRICE, code="invalid_price")
        rules.append(Rule(OVERRIDE, f"Price set by staff: {unit} (list {list_unit})", unit))
    amounts = line_amounts(qty, unit, item.tax_rate, tax_inclusive=tax_inclusive)
    return LinePrice(item=item, quantity=qty, list_unit_price=list_unit, unit_price=unit,
                     tax_rate=round_money(item.tax_rate), tax_inclusive=tax_inclusive, net=amounts.net,
                     tax=amounts.tax, total=amounts.total, rules=tuple(rules),
                     zone_id=zone.id if zone is not None else None, tax_name=item.tax_name)
