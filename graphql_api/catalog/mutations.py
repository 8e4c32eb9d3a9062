from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.catalog import services
from core.errors import ValidationFailed

from ..enums import AdjustmentKindEnum, TierKindEnum, ZoneKindEnum
from ..errors import UserError, attempt
from ..ids import decode_id, decode_optional
from ..payloads import UNSET, given, who
from .queries import item_ref
from .types import PriceZoneNode, ProductNode, ServiceCategoryNode, ServiceNode, ServicePackageNode, VolumeTierNode

MAX_INPUT_ITEMS = services.MAX_PACKAGE_ITEMS
REBOOK_HELP = ("Days after a completed job of this service to e-mail the customer a reminder to book again "
               "(1 to 1095).")
MAX_INPUT_POSTCODES = services.MAX_POSTCODES
RATE_HELP = "A TaxRate (active); not sent: the default rate."
PERCENT_DEPRECATED = ("Use taxRateId. A percent still chooses the active rate of that percent (made as "
                      "\"Tax <percent>%\" when there is none); it goes in the next release.")


def _tax(data) -> dict:
    """The input's tax: ``taxRateId`` (null: the default) or the deprecated percent."""
    out = {}
    if data.tax_rate_id is not UNSET:
        out["tax_rate_id"] = decode_optional(data.tax_rate_id, "TaxRate", "taxRateId")
    if data.tax_rate is not UNSET and data.tax_rate is not None:
        out["tax_rate"] = data.tax_rate
    return out


def _not_null(changes: dict, blank: tuple[str, ...] = ("description",)) -> dict:
    """Null for a field that cannot be null means "leave it" (a blank text field: empty)."""
    out = {}
    for key, value in changes.items():
        if value is None:
            if key in blank:
                out[key] = ""
            continue
        out[key] = value.value if hasattr(value, "value") and not isinstance(value, Decimal) else value
    return out


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    price: Decimal
    tax_rate_id: strawberry.ID | None = strawberry.field(default=None, description=RATE_HELP)
    tax_rate: Decimal | None = strawberry.field(default=None, deprecation_reason=PERCENT_DEPRECATED)
    description: str = ""
    active: bool = True


@strawberry.input(description="Change only the fields you send.")
class UpdateProductInput:
    id: strawberry.ID
    sku: str | None = UNSET
    name: str | None = UNSET
    price: Decimal | None = UNSET
    tax_rate_id: strawberry.ID | None = strawberry.field(default=UNSET, description=f"{RATE_HELP} Null: the default.")
    tax_rate: Decimal | None = strawberry.field(default=UNSET, deprecation_reason=PERCENT_DEPRECATED)
    description: str | None = UNSET
    active: bool | None = UNSET


@strawberry.input(description="A service or a product in a package, and how many.")
class PackageItemInput:
    service_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    quantity: Decimal = Decimal("1")


@strawberry.input
class CreateServicePackageInput:
    name: str
    price: Decimal
    items: list[PackageItemInput]
    tax_rate_id: strawberry.ID | None = strawberry.field(default=None, description=RATE_HELP)
    tax_rate: Decimal | None = strawberry.field(default=None, deprecation_reason=PERCENT_DEPRECATED)
    description: str = ""
    active: bool = True


@strawberry.input(description="Change only the fields you send; `items`, when sent, replaces the contents.")
class UpdateServicePackageInput:
    id: strawberry.ID
    name: str | None = UNSET
    price: Decimal | None = UNSET
    tax_rate_id: strawberry.ID | None = strawberry.field(default=UNSET, description=f"{RATE_HELP} Null: the default.")
    tax_rate: Decimal | None = strawberry.field(default=UNSET, deprecation_reason=PERCENT_DEPRECATED)
    description: str | None = UNSET
    active: bool | None = UNSET
    items: list[PackageItemInput] | None = UNSET


@strawberry.input(description="A quantity band, both ends inclusive.")
class VolumeTierInput:
    min_quantity: Decimal
    kind: TierKindEnum
    value: Decimal = strawberry.field(description="Percent off (0-100), or the band's unit price.")
    max_quantity: Decimal | None = strawberry.field(default=None, description="Null: no upper end.")


@strawberry.input(description="A postcode zone lists postcodes; a radius zone gives a centre and a radius.")
class CreatePriceZoneInput:
    name: str
    kind: ZoneKindEnum
    adjustment_kind: AdjustmentKindEnum
    adjustment: Decimal = strawberry.field(description="Signed percent or amount per unit.")
    postcodes: list[str] = strawberry.field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    radius_km: Decimal | None = None
    priority: int = strawberry.field(default=100, description="Lower wins when zones overlap.")
    active: bool = True


@strawberry.input(description="Change only the fields you send; the zone as a whole is checked again.")
class UpdatePriceZoneInput:
    id: strawberry.ID
    name: str | None = UNSET
    kind: ZoneKindEnum | None = UNSET
    adjustment_kind: AdjustmentKindEnum | None = UNSET
    adjustment: Decimal | None = UNSET
    postcodes: list[str] | None = UNSET
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    radius_km: Decimal | None = UNSET
    priority: int | None = UNSET
    active: bool | None = UNSET


@strawberry.type
class ProductPayload:
    product: ProductNode | None = None
    errors: list[UserError]


@strawberry.type
class ServicePackagePayload:
    package: ServicePackageNode | None = None
    errors: list[UserError]


@strawberry.type
class VolumeTiersPayload:
    volume_tiers: list[VolumeTierNode] | None = None
    errors: list[UserError]


@strawberry.type
class PriceZonePayload:
    zone: PriceZoneNode | None = None
    errors: list[UserError]


@strawberry.type
class DeletePriceZonePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


def _items(items: list[PackageItemInput]) -> list[services.PackageItemInput]:
    if len(items) > MAX_INPUT_ITEMS:
        raise ValidationFailed("items", f"A package holds 1 to {MAX_INPUT_ITEMS} items.", code="out_of_range")
    return [services.PackageItemInput(
        service_id=decode_optional(item.service_id, "Service", f"items.{index}.serviceId"),
        product_id=decode_optional(item.product_id, "Product", f"items.{index}.productId"),
        quantity=item.quantity) for index, item in enumerate(items)]


def _zone_values(data) -> dict:
    values = _not_null(given(name=data.name, kind=data.kind, adjustment_kind=data.adjustment_kind,
                             adjustment=data.adjustment, priority=data.priority, active=data.active,
                             postcodes=data.postcodes), blank=())
    if len(values.get("postcodes") or ()) > MAX_INPUT_POSTCODES:
        raise ValidationFailed("postcodes", f"At most {MAX_INPUT_POSTCODES} postcodes.", code="too_many")
    values.update(given(latitude=data.latitude, longitude=data.longitude, radius_km=data.radius_km))
    return values


def _tiers(item_id: strawberry.ID, tiers: list[VolumeTierInput]):
    ref = item_ref(item_id, "itemId")
    if ref.kind == "package":
        raise ValidationFailed("itemId", "A package has its own price: no volume tiers.", code="invalid_id")
    if len(tiers) > services.MAX_TIERS:
        raise ValidationFailed("tiers", f"At most {services.MAX_TIERS} bands.", code="too_many")
    return ref, [services.TierInput(min_quantity=tier.min_quantity, max_quantity=tier.max_quantity,
                                    kind=tier.kind.value, value=tier.value) for tier in tiers]


@strawberry.input
class CreateServiceInput:
    name: str
    price: Decimal
    duration_minutes: int = 60
    tax_rate_id: strawberry.ID | None = strawberry.field(default=None, description=RATE_HELP)
    tax_rate: Decimal | None = strawberry.field(default=None, deprecation_reason=PERCENT_DEPRECATED)
    description: str = ""
    category_id: strawberry.ID | None = None
    active: bool = True
    rebook_reminder_days: int | None = strawberry.field(default=None, description=REBOOK_HELP)


@strawberry.input(description="Change only the fields you send.")
class UpdateServiceInput:
    id: strawberry.ID
    name: str | None = UNSET
    price: Decimal | None = UNSET
    duration_minutes: int | None = UNSET
    tax_rate_id: strawberry.ID | None = strawberry.field(default=UNSET, description=f"{RATE_HELP} Null: the default.")
    tax_rate: Decimal | None = strawberry.field(default=UNSET, deprecation_reason=PERCENT_DEPRECATED)
    description: str | None = UNSET
    category_id: strawberry.ID | None = UNSET
    active: bool | None = UNSET
    rebook_reminder_days: int | None = strawberry.field(default=UNSET, description=f"{REBOOK_HELP} Null: none.")


@strawberry.type
class ServicePayload:
    service: ServiceNode | None = None
    errors: list[UserError]


@strawberry.type
class ServiceCategoryPayload:
    category: ServiceCategoryNode | None = None
    errors: list[UserError]


def _create(info: Info, data: CreateServiceInput):
    return services.service_create(
        **who(info), name=data.name, price=data.price, duration_minutes=data.duration_minutes,
        description=data.description, active=data.active,
        category_id=decode_optional(data.category_id, "ServiceCategory", "categoryId"),
        rebook_reminder_days=data.rebook_reminder_days, **_tax(data))


def _update(info: Info, data: UpdateServiceInput):
    changes = given(name=data.name, price=data.price, duration_minutes=data.duration_minutes,
                    description=data.description, active=data.active)
    for key, value in list(changes.items()):
        if value is None:  # none of these may be null
            if key == "description":
                changes[key] = ""
            else:
                changes.pop(key)
    if data.category_id is not UNSET:
        changes["category_id"] = decode_optional(data.category_id, "ServiceCategory", "categoryId")
    if data.rebook_reminder_days is not UNSET:  # null: no reminder any more
        changes["rebook_reminder_days"] = data.rebook_reminder_days
    changes.update(_tax(data))
    return services.service_update(**who(info), service_id=decode_id(data.id, "Service"), **changes)


@strawberry.type
class CatalogMutation:
    @strawberry_django.mutation(description="Add a service (staff).")
    def create_service(self, info: Info, input: CreateServiceInput) -> ServicePayload:
        return attempt(ServicePayload, "service", lambda: _create(info, input))

    @strawberry_django.mutation(description="Edit a service (staff).")
    def update_service(self, info: Info, input: UpdateServiceInput) -> ServicePayload:
        return attempt(ServicePayload, "service", lambda: _update(info, input))

    @strawberry_django.mutation(description="Add a service category (staff).")
    def create_service_category(self, info: Info, name: str, position: int = 0) -> ServiceCategoryPayload:
        return attempt(ServiceCategoryPayload, "category", lambda: services.category_create(
            **who(info), name=name, position=max(0, min(position, 1_000_000))))

    @strawberry_django.mutation(description="Add a product (staff).")
    def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        return attempt(ProductPayload, "product", lambda: services.product_create(
            **who(info), sku=input.sku, name=input.name, price=input.price,
            description=input.description, active=input.active, **_tax(input)))

    @strawberry_django.mutation(description="Edit a product (staff). Products are never deleted: set active false.")
    def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload:
        return attempt(ProductPayload, "product", lambda: services.product_update(
            **who(info), product_id=decode_id(input.id, "Product"), **_not_null(given(
                sku=input.sku, name=input.name, price=input.price,
                description=input.description, active=input.active)), **_tax(input)))

    @strawberry_django.mutation(description="Add a service package (staff).")
    def create_service_package(self, info: Info, input: CreateServicePackageInput) -> ServicePackagePayload:
        return attempt(ServicePackagePayload, "package", lambda: services.package_create(
            **who(info), name=input.name, price=input.price, description=input.description,
            active=input.active, items=_items(input.items), **_tax(input)))

    @strawberry_django.mutation(description="Edit a service package (staff). Never deleted: set active false.")
    def update_service_package(self, info: Info, input: UpdateServicePackageInput) -> ServicePackagePayload:
        def work():
            items = None if input.items is UNSET or input.items is None else _items(input.items)
            return services.package_update(
                **who(info), package_id=decode_id(input.id, "ServicePackage"), items=items, **_not_null(given(
                    name=input.name, price=input.price, description=input.description,
                    active=input.active)), **_tax(input))

        return attempt(ServicePackagePayload, "package", work)

    @strawberry_django.mutation(description="Replace the volume tiers of a service or product (staff); an empty "
                                            "list removes them. Bands may not overlap.")
    def set_volume_tiers(self, info: Info, item_id: strawberry.ID, tiers: list[VolumeTierInput]
                         ) -> VolumeTiersPayload:
        def work():
            ref, rows = _tiers(item_id, tiers)
            key = "service_id" if ref.kind == "service" else "product_id"
            return services.tiers_set(**who(info), tiers=rows, **{key: ref.id})

        return attempt(VolumeTiersPayload, "volume_tiers", work)

    @strawberry_django.mutation(description="Add a price zone (staff).")
    def create_price_zone(self, info: Info, input: CreatePriceZoneInput) -> PriceZonePayload:
        return attempt(PriceZonePayload, "zone", lambda: services.zone_create(**who(info), **_zone_values(input)))

    @strawberry_django.mutation(description="Edit a price zone (staff).")
    def update_price_zone(self, info: Info, input: UpdatePriceZoneInput) -> PriceZonePayload:
        return attempt(PriceZonePayload, "zone", lambda: services.zone_update(
            **who(info), zone_id=decode_id(input.id, "PriceZone"), **_zone_values(input)))

    @strawberry_django.mutation(description="Delete a price zone (staff); lines already priced keep their prices.")
    def delete_price_zone(self, info: Info, id: strawberry.ID) -> DeletePriceZonePayload:
        def work():
            services.zone_delete(**who(info), zone_id=decode_id(id, "PriceZone"))
            return id

        return attempt(DeletePriceZonePayload, "deleted_id", work)
