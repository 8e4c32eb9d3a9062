from __future__ import annotations

from decimal import Decimal

import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.catalog.models import Service, ServiceCategory

from ..context import actor_from_info
from ..nodes import PK


def _active_unless_staff(queryset, info: Info, **filters):
    actor = actor_from_info(info)
    if actor.is_staff:
        return queryset
    if not actor.is_authenticated:
        return queryset.none()
    return queryset.filter(**filters)


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
class ServiceNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    description: str
    duration_minutes: int
    price: Decimal
    tax_rate: Decimal = strawberry_django.field(description="Percent.")
    active: bool
    category: ServiceCategoryNode | None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _active_unless_staff(queryset, info, active=True)
