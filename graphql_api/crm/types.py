from __future__ import annotations

from datetime import datetime

import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry.types import Info

from core.actors import Actor
from core.crm.models import Customer, Dependent, Property, PropertyType
from core.crm.selectors import visible_customers, visible_dependents, visible_properties

from ..context import actor_from_info, request_cache
from ..enums import PreferredChannelEnum
from ..files.types import files_field
from ..jobdata.types import custom_fields_field
from ..nodes import PK


def may_see_contact(info: Info, customer_id: int) -> bool:
    """``core.crm.selectors.may_see_contact_details``, batched: one query per operation, not per row."""
    actor: Actor = actor_from_info(info)
    if actor.is_staff:
        return True
    if actor.is_customer:
        return actor.customer_id == customer_id
    if actor.is_fieldworker:
        allowed = request_cache(info, "contact_customer_ids",
                                lambda: set(visible_customers(actor).values_list("pk", flat=True)))
        return customer_id in allowed
    return False


@strawberry_django.type(PropertyType, name="PropertyType", description="A kind of property (managed list).")
class PropertyTypeNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    active: bool = strawberry_django.field(description="Inactive: kept where set, not offered for new.")
    position: int = strawberry_django.field(description="Lists show lower first, then by name.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_authenticated else queryset.none()


@strawberry_django.type(Property, name="Property", description="A place where jobs happen.")
class PropertyNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    label: str
    address: str
    postcode: str
    city: str
    latitude: float | None
    longitude: float | None
    geocode_status: str = strawberry_django.field(description=(
        "Finding the coordinates of the address: pending, found, not_found, failed, or empty when typed in."))
    time_zone: str
    access_notes: str = strawberry_django.field(description="How to get in: gate codes, keys, pets, parking.")
    property_type: PropertyTypeNode | None
    customer: CustomerNode
    custom_fields = custom_fields_field("property")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(pk__in=visible_properties(actor).values("pk"))


@strawberry_django.type(Dependent, name="Dependent",
                        description="A person under a customer (seen by staff and the customer only).")
class DependentNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    relationship: str
    mobile: str = strawberry_django.field(description="E.164, or empty.")
    email: str
    notes: str
    archived_at: datetime | None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_dependents(actor_from_info(info), archived=None).values("pk"))


def dependents_prefetch(info: Info, through: str = "") -> Prefetch:
    """One query for the dependents of a whole page of customers, already scoped to the viewer."""
    rows = visible_dependents(actor_from_info(info)).order_by("name", "id")
    return Prefetch(f"{through}__dependents" if through else "dependents", queryset=rows, to_attr="shown_dependents")


@strawberry_django.type(Customer, name="Customer", description="Someone the business works for.")
class CustomerNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    created_at: datetime
    properties: list[PropertyNode]
    custom_fields = custom_fields_field("customer")
    files = files_field()

    @strawberry_django.field(prefetch_related=[dependents_prefetch],
                             description="People under this customer, not archived, by name. Empty unless you "
                                         "are staff or this customer.")
    def dependents(self, info: Info) -> list[DependentNode]:
        rows = getattr(self, "shown_dependents", None)
        if rows is None:  # not reached through the optimiser (a mutation's payload)
            rows = list(visible_dependents(actor_from_info(info)).filter(customer_id=self.pk)  # type: ignore[attr-defined]
                        .order_by("name", "id"))
        return rows  # type: ignore[return-value]

    @strawberry_django.field(only=["email"], description="Null unless you may see this customer's contact details.")
    def email(self, info: Info) -> str | None:
        return self.email if may_see_contact(info, self.pk) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["mobile"], description="E.164. Null unless you may see contact details.")
    def mobile(self, info: Info) -> str | None:
        return self.mobile if may_see_contact(info, self.pk) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["notes"], description="Internal notes (staff only).")
    def notes(self, info: Info) -> str | None:
        return self.notes if actor_from_info(info).is_staff else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["automated_email_paused"])
    def automated_email_paused(self, info: Info) -> bool | None:
        return self.automated_email_paused if may_see_contact(info, self.pk) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["automated_sms_paused"])
    def automated_sms_paused(self, info: Info) -> bool | None:
        return self.automated_sms_paused if may_see_contact(info, self.pk) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["preferred_channel"],
                             description="How the customer asked to be reached (NONE: no preference). Null "
                                         "unless you may see this customer's contact details.")
    def preferred_channel(self, info: Info) -> PreferredChannelEnum | None:
        if not may_see_contact(info, self.pk):  # type: ignore[attr-defined]
            return None
        return PreferredChannelEnum(self.preferred_channel)  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(pk__in=visible_customers(actor).values("pk"))
