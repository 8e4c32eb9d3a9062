"""The managed lists of this area: property types (core.crm) and booking location types
(core.bookings). Anyone signed in reads them (a customer picks a type for their own property);
only staff change them (decision 0171)."""

from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.types import Info

from core.bookings import services as booking_services
from core.bookings.selectors import location_types
from core.crm import services
from core.crm.selectors import property_types

from ..bookings.types import LocationTypeNode
from ..context import actor_from_info
from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import UNSET, given, who
from .leads import DeletedPayload
from .types import PropertyTypeNode


@strawberry.input(description="Change only the fields you send.")
class UpdateListEntryInput:
    id: strawberry.ID
    name: str | None = UNSET
    active: bool | None = strawberry.field(default=UNSET, description="Inactive: kept where set, not offered.")
    position: int | None = strawberry.field(default=UNSET, description="Lists show lower first, then by name.")


@strawberry.type
class PropertyTypePayload:
    property_type: PropertyTypeNode | None = None
    errors: list[UserError]


@strawberry.type
class LocationTypePayload:
    location_type: LocationTypeNode | None = None
    errors: list[UserError]


def _changes(data: UpdateListEntryInput) -> dict:
    changes = given(name=data.name, active=data.active, position=data.position)
    if changes.get("name", "") is None:
        changes["name"] = ""  # the service refuses an empty name
    return changes


def _deleted(work, value: strawberry.ID) -> DeletedPayload:
    def run():
        work()
        return value

    return attempt(DeletedPayload, "deleted_id", run)


@strawberry.type
class ListsQuery:
    @strawberry_django.field(description="The property type list, by position then name.")
    def property_types(self, info: Info, active_only: bool = False) -> list[PropertyTypeNode]:
        return list(property_types(actor_from_info(info), active_only=active_only))  # type: ignore[arg-type]

    @strawberry_django.field(description="The booking location type list, by position then name.")
    def location_types(self, info: Info, active_only: bool = False) -> list[LocationTypeNode]:
        return list(location_types(actor_from_info(info), active_only=active_only))  # type: ignore[arg-type]


@strawberry.type
class ListsMutation:
    @strawberry_django.mutation(description="Add an entry to the property type list (staff); an existing name "
                                            "returns that entry.")
    def create_property_type(self, info: Info, name: str, active: bool = True, position: int = 0
                             ) -> PropertyTypePayload:
        return attempt(PropertyTypePayload, "property_type", lambda: services.property_type_create(
            **who(info), name=name, active=active, position=position))

    @strawberry_django.mutation(description="Rename, reorder or (de)activate a property type (staff).")
    def update_property_type(self, info: Info, input: UpdateListEntryInput) -> PropertyTypePayload:
        return attempt(PropertyTypePayload, "property_type", lambda: services.property_type_update(
            **who(info), property_type_id=decode_id(input.id, "PropertyType"), **_changes(input)))

    @strawberry_django.mutation(description="Remove an unused property type (staff); one in use: deactivate it.")
    def delete_property_type(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        return _deleted(lambda: services.property_type_delete(
            **who(info), property_type_id=decode_id(id, "PropertyType")), id)

    @strawberry_django.mutation(description="Add an entry to the booking location type list (staff).")
    def create_location_type(self, info: Info, name: str, active: bool = True, position: int = 0
                             ) -> LocationTypePayload:
        return attempt(LocationTypePayload, "location_type", lambda: booking_services.location_type_create(
            **who(info), name=name, active=active, position=position))

    @strawberry_django.mutation(description="Rename, reorder or (de)activate a location type (staff).")
    def update_location_type(self, info: Info, input: UpdateListEntryInput) -> LocationTypePayload:
        return attempt(LocationTypePayload, "location_type", lambda: booking_services.location_type_update(
            **who(info), location_type_id=decode_id(input.id, "LocationType"), **_changes(input)))

    @strawberry_django.mutation(description="Remove an unused location type (staff); one in use: deactivate it.")
    def delete_location_type(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        return _deleted(lambda: booking_services.location_type_delete(
            **who(info), location_type_id=decode_id(id, "LocationType")), id)
