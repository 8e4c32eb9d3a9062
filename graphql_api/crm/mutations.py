import strawberry
import strawberry_django
from strawberry.types import Info

from core.crm import services

from ..enums import PreferredChannelEnum
from ..errors import UserError, attempt
from ..ids import decode_id, decode_optional
from ..payloads import UNSET, given, who
from .types import CustomerNode, DependentNode, PropertyNode


@strawberry.input
class CreateCustomerInput:
    name: str
    email: str = ""
    mobile: str = strawberry.field(default="", description="Any common format; stored as E.164.")
    notes: str = ""
    preferred_channel: PreferredChannelEnum = strawberry.field(
        default=PreferredChannelEnum.NONE,  # type: ignore[attr-defined]
        description="How the customer asked to be reached.")


@strawberry.input(description="Change only the fields you send.")
class UpdateCustomerInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    mobile: str | None = UNSET
    notes: str | None = UNSET
    automated_email_paused: bool | None = UNSET
    automated_sms_paused: bool | None = UNSET
    preferred_channel: PreferredChannelEnum | None = strawberry.field(
        default=UNSET, description="How the customer asked to be reached; NONE (or null) clears the preference.")


@strawberry.input
class CreatePropertyInput:
    customer_id: strawberry.ID
    address: str
    label: str = ""
    postcode: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    property_type_id: strawberry.ID | None = strawberry.field(default=None, description="An active entry.")
    time_zone: str = strawberry.field(default="", description="IANA name; blank means the company's.")
    access_notes: str = ""


@strawberry.input(description="Change only the fields you send.")
class UpdatePropertyInput:
    id: strawberry.ID
    address: str | None = UNSET
    label: str | None = UNSET
    postcode: str | None = UNSET
    city: str | None = UNSET
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    property_type_id: strawberry.ID | None = UNSET
    time_zone: str | None = UNSET
    access_notes: str | None = UNSET


@strawberry.input
class AddDependentInput:
    customer_id: strawberry.ID
    name: str
    relationship: str = strawberry.field(default="", description="What they are to the customer.")
    mobile: str = strawberry.field(default="", description="Any common format; stored as E.164.")
    email: str = ""
    notes: str = ""


@strawberry.input(description="Change only the fields you send.")
class UpdateDependentInput:
    id: strawberry.ID
    name: str | None = UNSET
    relationship: str | None = UNSET
    mobile: str | None = UNSET
    email: str | None = UNSET
    notes: str | None = UNSET


@strawberry.type
class CustomerPayload:
    customer: CustomerNode | None = None
    errors: list[UserError]


@strawberry.type
class PropertyPayload:
    property: PropertyNode | None = None
    errors: list[UserError]


@strawberry.type
class DependentPayload:
    dependent: DependentNode | None = None
    errors: list[UserError]


NOT_NULL_TEXT = {"name", "email", "mobile", "notes", "address", "label", "postcode", "city", "time_zone",
                 "access_notes", "relationship"}


def _clean(changes: dict) -> dict:
    """Text fields are never null: a null is read as empty text (the service decides if that is allowed)."""
    return {key: ("" if value is None and key in NOT_NULL_TEXT else value) for key, value in changes.items()}


def _channel_value(choice: PreferredChannelEnum | None) -> str:
    return "" if choice is None else choice.value  # type: ignore[attr-defined]


def _update_customer(info: Info, data: UpdateCustomerInput):
    changes = _clean(given(name=data.name, email=data.email, mobile=data.mobile, notes=data.notes,
                           automated_email_paused=data.automated_email_paused,
                           automated_sms_paused=data.automated_sms_paused))
    for flag in ("automated_email_paused", "automated_sms_paused"):
        if changes.get(flag, False) is None:
            changes.pop(flag)
    if data.preferred_channel is not UNSET:
        changes["preferred_channel"] = _channel_value(data.preferred_channel)
    return services.customer_update(**who(info), customer_id=decode_id(data.id, "Customer"), **changes)


def _create_property(info: Info, data: CreatePropertyInput):
    return services.property_create(
        **who(info), customer_id=decode_id(data.customer_id, "Customer", "customerId"), address=data.address,
        label=data.label, postcode=data.postcode, city=data.city, latitude=data.latitude,
        longitude=data.longitude, time_zone=data.time_zone, access_notes=data.access_notes,
        property_type_id=decode_optional(data.property_type_id, "PropertyType", "propertyTypeId"))


def _update_property(info: Info, data: UpdatePropertyInput):
    changes = _clean(given(address=data.address, label=data.label, postcode=data.postcode, city=data.city,
                           latitude=data.latitude, longitude=data.longitude, time_zone=data.time_zone,
                           access_notes=data.access_notes))
    if data.property_type_id is not UNSET:
        changes["property_type_id"] = decode_optional(data.property_type_id, "PropertyType", "propertyTypeId")
    return services.property_update(**who(info), property_id=decode_id(data.id, "Property"), **changes)


def _add_dependent(info: Info, data: AddDependentInput):
    return services.dependent_add(
        **who(info), customer_id=decode_id(data.customer_id, "Customer", "customerId"), name=data.name,
        relationship=data.relationship, mobile=data.mobile, email=data.email, notes=data.notes)


def _update_dependent(info: Info, data: UpdateDependentInput):
    changes = _clean(given(name=data.name, relationship=data.relationship, mobile=data.mobile, email=data.email,
                           notes=data.notes))
    return services.dependent_update(**who(info), dependent_id=decode_id(data.id, "Dependent"), **changes)


@strawberry.type
class CrmMutation:
    @strawberry_django.mutation(description="Add a person under a customer (staff, or the customer themself).")
    def add_dependent(self, info: Info, input: AddDependentInput) -> DependentPayload:
        return attempt(DependentPayload, "dependent", lambda: _add_dependent(info, input))

    @strawberry_django.mutation(description="Edit a dependent (staff, or their customer).")
    def update_dependent(self, info: Info, input: UpdateDependentInput) -> DependentPayload:
        return attempt(DependentPayload, "dependent", lambda: _update_dependent(info, input))

    @strawberry_django.mutation(description="Take a dependent off the customer's list; kept in the history "
                                            "(staff, or their customer).")
    def archive_dependent(self, info: Info, id: strawberry.ID) -> DependentPayload:
        return attempt(DependentPayload, "dependent", lambda: services.dependent_archive(
            **who(info), dependent_id=decode_id(id, "Dependent")))

    @strawberry_django.mutation(description="Add a customer (staff).")
    def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        return attempt(CustomerPayload, "customer", lambda: services.customer_create(
            **who(info), name=input.name, email=input.email, mobile=input.mobile, notes=input.notes,
            preferred_channel=_channel_value(input.preferred_channel)))

    @strawberry_django.mutation(description="Edit a customer (staff; a customer their own contact details).")
    def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        return attempt(CustomerPayload, "customer", lambda: _update_customer(info, input))

    @strawberry_django.mutation(description="Add a property to a customer (staff, or the customer).")
    def create_property(self, info: Info, input: CreatePropertyInput) -> PropertyPayload:
        return attempt(PropertyPayload, "property", lambda: _create_property(info, input))

    @strawberry_django.mutation(description="Edit a property (staff, or its customer).")
    def update_property(self, info: Info, input: UpdatePropertyInput) -> PropertyPayload:
        return attempt(PropertyPayload, "property", lambda: _update_property(info, input))
