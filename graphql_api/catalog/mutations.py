from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.catalog import services

from ..errors import UserError, attempt
from ..ids import decode_id, decode_optional
from ..payloads import UNSET, given, who
from .types import ServiceCategoryNode, ServiceNode


@strawberry.input
class CreateServiceInput:
    name: str
    price: Decimal
    duration_minutes: int = 60
    tax_rate: Decimal = strawberry.field(default=Decimal("10"), description="Percent.")
    description: str = ""
    category_id: strawberry.ID | None = None
    active: bool = True


@strawberry.input(description="Change only the fields you send.")
class UpdateServiceInput:
    id: strawberry.ID
    name: str | None = UNSET
    price: Decimal | None = UNSET
    duration_minutes: int | None = UNSET
    tax_rate: Decimal | None = UNSET
    description: str | None = UNSET
    category_id: strawberry.ID | None = UNSET
    active: bool | None = UNSET


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
        tax_rate=data.tax_rate, description=data.description, active=data.active,
        category_id=decode_optional(data.category_id, "ServiceCategory", "categoryId"))


def _update(info: Info, data: UpdateServiceInput):
    changes = given(name=data.name, price=data.price, duration_minutes=data.duration_minutes,
                    tax_rate=data.tax_rate, description=data.description, active=data.active)
    for key, value in list(changes.items()):
        if value is None:  # none of these may be null
            if key == "description":
                changes[key] = ""
            else:
                changes.pop(key)
    if data.category_id is not UNSET:
        changes["category_id"] = decode_optional(data.category_id, "ServiceCategory", "categoryId")
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
