"""Loads what :func:`core.catalog.pricing.price_line` needs, for one line or a batch of them.

A booking, a quote or an invoice prices its lines with a :class:`Pricer`: it reads the company's tax
mode and the active zones once, and the catalogue items of all the lines in one query per kind, so
pricing a hundred lines costs the same few queries as pricing one.

An item is taxed at its named rate, else the company's default rate (decision 0870): the rates come
with the items (a join), and the default in one more query only when a line needs it (an item naming
no rate, and the line naming no rate or percent of its own).

``quote`` is the scoped read behind GraphQL ``priceQuote``: staff for any property, a customer for
their own properties only (someone else's is ``not_found``, like a missing one: decision 0805).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from core.actors import Actor
from core.company.models import TaxMode
from core.company.selectors import get_company
from core.crm.selectors import visible_properties
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.money import ZERO, round_money

from . import pricing, selectors
from .models import PackageItem, PriceZone, Product, Service, ServicePackage, TaxRate, VolumeTier

KINDS = ("service", "product", "package")


@dataclass(frozen=True)
class ItemRef:
    kind: str  # service, product or package
    id: int


def _tiers(rows: Iterable[VolumeTier]) -> tuple[pricing.Tier, ...]:
    return tuple(pricing.Tier(min_quantity=row.min_quantity, max_quantity=row.max_quantity, kind=row.kind,
                              value=row.value) for row in sorted(rows, key=lambda row: row.min_quantity))


def tax_rate_of(obj: Service | Product | ServicePackage) -> TaxRate:
    """The rate in force of an item: its own, else the default (read once for a batch from
    :func:`load_items`, and only when asked)."""
    if obj.named_tax_rate_id is not None:
        return obj.named_tax_rate
    loader = getattr(obj, "default_tax_rate", None)
    return loader() if loader is not None else selectors.default_rate()


class _DefaultRate:
    """The default rate, read on first use and kept for the rest of a batch."""

    def __init__(self) -> None:
        self._rate: TaxRate | None = None

    def __call__(self) -> TaxRate:
        if self._rate is None:
            self._rate = selectors.default_rate()
        return self._rate


def as_item(obj: Service | Product | ServicePackage, *, tax: tuple[Decimal, str] | None = None) -> pricing.Item:
    """The engine's view of a catalogue row (tiers and package items should be prefetched), taxed at
    ``tax`` (percent, name) when the line chose it, else at the item's rate in force (decision 0870)."""
    if tax is None:
        rate = tax_rate_of(obj)
        tax = (rate.percent, rate.name)
    if isinstance(obj, ServicePackage):
        contents = sum((round_money(entry.quantity * (entry.service or entry.product).price)  # type: ignore[union-attr]
                        for entry in obj.items.all()), ZERO)
        return pricing.Item(kind="package", id=obj.pk, name=obj.name, unit_price=obj.price, tax_rate=tax[0],
                            contents_value=contents, tax_name=tax[1])
    kind = "service" if isinstance(obj, Service) else "product"
    return pricing.Item(kind=kind, id=obj.pk, name=obj.name, unit_price=obj.price, tax_rate=tax[0],
                        tiers=_tiers(obj.tiers.all()), tax_name=tax[1])


def as_zone(row: PriceZone) -> pricing.Zone:
    return pricing.Zone(id=row.pk, name=row.name, kind=row.kind, adjustment_kind=row.adjustment_kind,
                        adjustment=row.adjustment, priority=row.priority,
                        postcodes=frozenset(pricing.normalise_postcode(code) for code in row.postcodes),
                        latitude=row.latitude, longitude=row.longitude, radius_km=row.radius_km)


def place_of(prop) -> pricing.Place | None:  # a core.crm Property, or None
    if prop is None:
        return None
    return pricing.Place(postcode=prop.postcode, latitude=prop.latitude, longitude=prop.longitude)


def load_items(refs: Iterable[ItemRef], *, active_only: bool = False
               ) -> dict[ItemRef, Service | Product | ServicePackage]:
    """The catalogue rows behind ``refs``, one query per kind (plus one for tiers or package items).
    ``active_only`` leaves out items no longer offered in the query itself, so one of those costs
    the same queries as an id of no row (decision 0150)."""
    wanted: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for ref in refs:
        wanted[ref.kind].add(ref.id)
    found: dict[ItemRef, Service | Product | ServicePackage] = {}
    offered = {"active": True} if active_only else {}
    if wanted["service"]:
        for row in (Service.objects.filter(pk__in=wanted["service"], **offered).select_related("named_tax_rate")
                    .prefetch_related("tiers")):
            found[ItemRef("service", row.pk)] = row
    if wanted["product"]:
        for row in (Product.objects.filter(pk__in=wanted["product"], **offered).select_related("named_tax_rate")
                    .prefetch_related("tiers")):
            found[ItemRef("product", row.pk)] = row
    if wanted["package"]:
        items = Prefetch("items", PackageItem.objects.select_related("service", "product"))
        for row in (ServicePackage.objects.filter(pk__in=wanted["package"], **offered)
                    .select_related("named_tax_rate").prefetch_related(items)):
            found[ItemRef("package", row.pk)] = row
    default = _DefaultRate()
    for row in found.values():
        row.default_tax_rate = default  # type: ignore[union-attr]
    return found


class Pricer:
    """Prices lines against one snapshot of the tax mode and the zones."""

    def __init__(self, *, tax_inclusive: bool | None = None, zones: Iterable[pricing.Zone] | None = None) -> None:
        if tax_inclusive is None:
            tax_inclusive = get_company().tax_mode == TaxMode.INCLUSIVE
        self.tax_inclusive = tax_inclusive
        self.zones = tuple(zones) if zones is not None else tuple(
            as_zone(row) for row in PriceZone.objects.filter(active=True))

    def price(self, item: pricing.Item, quantity: object, *, place: pricing.Place | None = None,
              override_unit_price: object = None, field_name: str = "quantity") -> pricing.LinePrice:
        return pricing.price_line(item, quantity, place=place, zones=self.zones, tax_inclusive=self.tax_inclusive,
                                  override_unit_price=override_unit_price, field_name=field_name)


def quote(*, actor: Actor, ref: ItemRef, quantity: Decimal, property_id: int | None = None) -> pricing.LinePrice:
    """What ``quantity`` of an item costs at a property, with the rules that made the price."""
    if not (actor.is_staff or actor.is_customer):
        raise PermissionDenied()
    obj = load_items([ref], active_only=not actor.is_staff).get(ref)
    if obj is None:
        raise NotFound(ref.kind, field="serviceId")
    prop = None
    if property_id is not None:
        prop = visible_properties(actor).filter(pk=property_id).first()
        if prop is None:
            raise NotFound("property", field="propertyId")
    elif not actor.is_staff:
        raise ValidationFailed("propertyId", "Say which of your properties.", code="required")
    return Pricer().price(as_item(obj), quantity, place=place_of(prop))


class LineTax:
    """The tax of the lines of one batch: a named rate (``taxRateId``), a percent typed by hand, or the
    item's rate. A line keeps the percent and the rate's name as they were (decision 0871). The list is
    read at most once a batch, and only when a line names a rate or types a percent."""

    def __init__(self) -> None:
        self._rates: list[TaxRate] | None = None

    def _all(self) -> list[TaxRate]:
        if self._rates is None:
            self._rates = list(TaxRate.objects.all())
        return self._rates

    def chosen(self, rate_id: int, *, field: str, percent_given: bool = False) -> TaxRate:
        """The active rate ``rate_id`` for a line (``field``: ``lines.3``)."""
        if percent_given:
            raise ValidationFailed(f"{field}.taxRateId", "Name a tax rate or type a percent, not both.",
                                   code="ambiguous")
        rate = next((row for row in self._all() if row.pk == rate_id), None)
        if rate is None:
            raise NotFound("tax rate", field=f"{field}.taxRateId")
        if not rate.active:
            raise DomainError("tax_rate_inactive", f"The tax rate {rate.name} is no longer offered.",
                              field=f"{field}.taxRateId")
        return rate

    def name(self, obj: Service | Product | ServicePackage | None, percent: Decimal) -> str:
        """The name for a typed ``percent``: the item's rate when the percent is its, else the active
        rate of that percent (the default first), else "" (documents print "Tax 12.5%")."""
        if obj is not None:
            rate = tax_rate_of(obj)
            if rate.percent == percent:
                return rate.name
        return selectors.name_for_percent(self._all(), percent)
