from __future__ import annotations

from decimal import Decimal

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.catalog import quoting
from core.errors import ValidationFailed

from ..ids import MAX_ID_LENGTH, decode_id, decode_optional
from ..pagination import CappedConnection
from ..permissions import require_authenticated
from .types import (
    LinePriceType,
    PriceZoneNode,
    ProductNode,
    ServiceCategoryNode,
    ServiceNode,
    ServicePackageNode,
)

SELLABLE = {"Service": "service", "Product": "product", "ServicePackage": "package"}


def item_ref(value: object, field: str) -> quoting.ItemRef:
    """A Service, Product or ServicePackage global id as the catalogue's item reference."""
    try:
        type_name = relay.GlobalID.from_id(value).type_name if isinstance(value, str) and len(
            value) <= MAX_ID_LENGTH else ""
    except Exception:
        type_name = ""
    if type_name not in SELLABLE:
        raise ValidationFailed(field, "Not a Service, Product or ServicePackage id.", code="invalid_id")
    return quoting.ItemRef(SELLABLE[type_name], decode_id(value, type_name, field))


@strawberry.type
class CatalogQuery:
    services: CappedConnection[ServiceNode] = strawberry_django.connection(
        description="Services on offer (staff also see inactive ones).")
    service_categories: list[ServiceCategoryNode] = strawberry_django.field()
    products: CappedConnection[ProductNode] = strawberry_django.connection(
        description="Products on offer (staff also see inactive ones).")
    service_packages: CappedConnection[ServicePackageNode] = strawberry_django.connection(
        description="Service packages on offer (staff also see inactive ones).")
    price_zones: list[PriceZoneNode] = strawberry_django.field(
        description="Geographical price adjustments, lowest priority first (staff; empty for others).")

    @strawberry.field(description="What `quantity` of a service, product or package costs at a property, with "
                                  "the rules that made the price. Staff: any property or none; customers: one "
                                  "of their own properties.")
    def price_quote(self, info: Info, service_id: strawberry.ID, quantity: Decimal = Decimal("1"),
                    property_id: strawberry.ID | None = None) -> LinePriceType:
        actor = require_authenticated(info)
        ref = item_ref(service_id, "serviceId")
        priced = quoting.quote(actor=actor, ref=ref, quantity=quantity,
                               property_id=decode_optional(property_id, "Property", "propertyId"))
        return LinePriceType.of(priced)
