"""Loads what :func:`core.catalog.pricing.price_line` needs, for one line or a batch of them.

A booking, a quote or an invoice prices its lines with a :class:`Pricer`: it reads the company's tax
mode and the active zones once, and the catalogue items of all the lines in one query per kind, so
pricing a hundred lines costs the same few queries as pricing one.

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
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.money import ZERO, round_money

from . import pricing
from .models import PackageItem, PriceZone, Product, Service, ServicePackage, VolumeTier

KINDS = ("service", "product", "package")


@dataclass(frozen=True)
class ItemRef:
    kind: str  # service, product or package
    id: int


def _tiers(rows: Iterable[VolumeTier]) -> tuple[pricing.Tier, ...]:
    return tuple(pricing.Tier(min_quantity=row.min_quantity, max_quantity=row.max_quantity, kind=row.kind,
                              value=row.value) for row in sorted(rows, key=lambda row: row.min_quantity))


def as_item(obj: Service | Product | ServicePackage) -> pricing.Item:
    """The engine's view of a catalogue row (tiers and package items should be prefetched)."""
    if isinstance(obj, ServicePackage):
        contents = sum((round_money(entry.quantity * (entry.service or entry.product).price)  # type: ignore[union-attr]
                        for entry in obj.items.all()), ZERO)
        return pricing.Item(kind="package", id=obj.pk, name=obj.name, unit_price=obj.price, tax_rate=obj.tax_rate,
                            contents_value=contents)
    kind = "service" if isinstance(obj, Service) else "product"
    return pricing.Item(kind=kind, id=obj.pk, name=obj.name, unit_price=obj.price, tax_rate=obj.tax_rate,
                        tiers=_tiers(obj.tiers.all()))


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
        for row in Service.objects.filter(pk__in=wanted["service"], **offered).prefetch_related("tiers"):
            found[ItemRef("service", row.pk)] = row
    if wanted["product"]:
        for row in Product.objects.filter(pk__in=wanted["product"], **offered).prefetch_related("tiers"):
            found[ItemRef("product", row.pk)] = row
    if wanted["package"]:
        items = Prefetch("items", PackageItem.objects.select_related("service", "product"))
        for row in ServicePackage.objects.filter(pk__in=wanted["package"], **offered).prefetch_related(items):
            found[ItemRef("package", row.pk)] = row
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
