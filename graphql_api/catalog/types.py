from __future__ import annotations

from decimal import Decimal

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.catalog import pricing, selectors
from core.catalog.models import (
    PackageItem,
    PriceZone,
    Product,
    Service,
    ServiceCategory,
    ServicePackage,
    TaxRate,
    VolumeTier,
)

from ..context import actor_from_info, request_cache
from ..enums import AdjustmentKindEnum, TierKindEnum, ZoneKindEnum
from ..nodes import PK


def _active_unless_staff(queryset, info: Info, **filters):
    actor = actor_from_info(info)
    if actor.is_staff:
        return queryset
    if not actor.is_authenticated:
        return queryset.none()
    return queryset.filter(**filters)


@strawberry_django.type(TaxRate, name="TaxRate", description="A named tax rate (managed list, decision 0870).")
class TaxRateNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    percent: Decimal
    active: bool = strawberry_django.field(description="Inactive: kept where set, not chosen anew.")
    is_default: bool = strawberry_django.field(description="The rate of every item that names none.")
    position: int = strawberry_django.field(description="Lists show lower first, then by name.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_authenticated else queryset.none()


def rate_in_force(obj, info: Info) -> TaxRate:
    """An item's rate, else the default: read once a request (the rates come joined to the items)."""
    if obj.named_tax_rate_id is not None:
        return obj.named_tax_rate
    return request_cache(info, "default_tax_rate", selectors.default_rate)


RATE_HINTS = {"only": ["named_tax_rate_id"], "select_related": ["named_tax_rate"]}


@strawberry.type
class TaxedItem:
    """The tax fields of a service, product or package."""

    @strawberry_django.field(**RATE_HINTS, description="Percent in force: its tax rate's, else the default's.")
    def tax_rate(self, info: Info) -> Decimal:
        return rate_in_force(self, info).percent

    @strawberry_django.field(**RATE_HINTS, description="The tax rate it is priced at: its own, else the default.")
    def named_tax_rate(self, info: Info) -> TaxRateNode:
        return rate_in_force(self, info)  # type: ignore[return-value]

    @strawberry_django.field(only=["named_tax_rate_id"], description="True: it names no rate and follows the "
                                                                     "default.")
    def uses_default_tax_rate(self) -> bool:
        return self.named_tax_rate_id is None  # type: ignore[attr-defined]


@strawberry_django.type(ServiceCategory, name="ServiceCategory")
class ServiceCategoryNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    position: int
    services: list[ServiceNode]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_authenticated else queryset.none()


@strawberry_django.type(Service, name="Service", description="Something the business sells.")
class ServiceNode(relay.Node, TaxedItem):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    description: str
    duration_minutes: int
    price: Decimal
    active: bool
    rebook_reminder_days: int | None = strawberry_django.field(
        description="Days after a completed job to remind the customer to book again; null: no reminder.")
    category: ServiceCategoryNode | None
    volume_tiers: list[VolumeTierNode] = strawberry_django.field(
        field_name="tiers", description="Bulk discounts by quantity band, lowest band first.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _active_unless_staff(queryset, info, active=True)


@strawberry_django.type(VolumeTier, name="VolumeTier",
                        description="A quantity band (both ends inclusive) and what it does to the price.")
class VolumeTierNode:
    min_quantity: Decimal
    max_quantity: Decimal | None = strawberry_django.field(description="Null: no upper end.")
    kind: TierKindEnum
    value: Decimal = strawberry_django.field(description="Percent off, or the unit price, by kind.")


@strawberry_django.type(Product, name="Product", description="Something sold by the unit beside the services.")
class ProductNode(relay.Node, TaxedItem):
    _id_attr = PK
    sku: str
    name: str
    description: str
    price: Decimal
    active: bool
    volume_tiers: list[VolumeTierNode] = strawberry_django.field(
        field_name="tiers", description="Bulk discounts by quantity band, lowest band first.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _active_unless_staff(queryset, info, active=True)


@strawberry_django.type(PackageItem, name="PackageItem")
class PackageItemNode:
    quantity: Decimal
    service: ServiceNode | None
    product: ProductNode | None


@strawberry_django.type(ServicePackage, name="ServicePackage",
                        description="Services and products sold together at one package price.")
class ServicePackageNode(relay.Node, TaxedItem):
    _id_attr = PK
    name: str
    description: str
    price: Decimal
    active: bool
    items: list[PackageItemNode]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _active_unless_staff(queryset, info, active=True)


@strawberry_django.type(PriceZone, name="PriceZone",
                        description="A geographical price adjustment (staff). Lowest priority wins on overlap.")
class PriceZoneNode(relay.Node):
    _id_attr = PK
    name: str
    kind: ZoneKindEnum
    postcodes: list[str]
    latitude: float | None
    longitude: float | None
    radius_km: Decimal | None
    adjustment_kind: AdjustmentKindEnum
    adjustment: Decimal = strawberry_django.field(description="Signed: negative lowers the price.")
    priority: int
    active: bool

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_staff else queryset.none()


@strawberry.type(name="PriceRule", description="One pricing rule that applied, in order.")
class PriceRuleType:
    code: str = strawberry.field(description="base, package, volume_tier, zone or override.")
    detail: str
    unit_price: Decimal = strawberry.field(description="The unit price after this rule.")


def rules_out(rules) -> list[PriceRuleType]:
    """Rules as the engine returns them or as a line stores them (dicts)."""
    out = []
    for rule in rules:
        if isinstance(rule, dict):
            out.append(PriceRuleType(code=rule["code"], detail=rule["detail"], unit_price=Decimal(rule["unit_price"])))
        else:
            out.append(PriceRuleType(code=rule.code, detail=rule.detail, unit_price=rule.unit_price))
    return out


@strawberry.type(name="LinePrice", description="What a quantity costs, and the rules that made the price.")
class LinePriceType:
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = strawberry.field(description="Percent.")
    tax_name: str = strawberry.field(description="The tax rate's name; empty for a percent typed by hand.")
    tax_inclusive: bool = strawberry.field(description="Whether the prices include tax (company setting).")
    amount: Decimal = strawberry.field(description="quantity x unitPrice, rounded half up: the figure at the "
                                                   "prices' face (total when tax is included, net when added).")
    net: Decimal
    tax: Decimal
    total: Decimal
    rules: list[PriceRuleType]

    @classmethod
    def of(cls, priced: pricing.LinePrice) -> LinePriceType:
        return cls(quantity=priced.quantity, unit_price=priced.unit_price, tax_rate=priced.tax_rate,
                   tax_name=priced.tax_name,
                   tax_inclusive=priced.tax_inclusive, amount=priced.amount, net=priced.net, tax=priced.tax,
                   total=priced.total, rules=rules_out(priced.rules))
