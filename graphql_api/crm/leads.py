"""Leads over GraphQL (decision 0160): file, edit, move, delete/restore and convert inquiries, and
the lead sources list. Staff only: the services answer ``not_found`` for an inquiry anyone else
names, exactly as for a missing one; filing and the sources list answer ``forbidden``."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
import strawberry_django
from strawberry.types import Info

from core.crm import services
from core.crm.selectors import lead_sources
from core.errors import PermissionDenied

from ..bookings.types import BookingNode
from ..context import actor_from_info
from ..enums import LeadStatusEnum
from ..errors import UserError, attempt, user_errors
from ..ids import decode_id, decode_optional
from ..payloads import UNSET, given, who
from .inbox import InquiryNode, InquiryPayload, LeadSourceNode
from .types import CustomerNode


def _pk(value: strawberry.ID) -> int:
    return decode_id(value, "Inquiry")


def _services(values: list[strawberry.ID], field: str = "wantedServiceIds") -> list[int]:
    return [decode_id(value, "Service", f"{field}.{index}") for index, value in enumerate(values)]


@strawberry.input(description="A lead: a customer (customerId) or a prospect (a name at least).")
class CreateInquiryInput:
    body: str = strawberry.field(default="", description="What they asked for (notes).")
    customer_id: strawberry.ID | None = None
    prospect_name: str = ""
    prospect_email: str = ""
    prospect_mobile: str = strawberry.field(default="", description="Any common format; stored as E.164.")
    wanted_service_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    preferred_dates: list[date] = strawberry.field(default_factory=list, description="At most 5, from today on.")
    address: str = ""
    postcode: str = ""
    city: str = ""
    lead_source_id: strawberry.ID | None = strawberry.field(default=None,
                                                            description="Blank: the staff door's source.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A staff User (the assignee).")


@strawberry.input(description="Change only the fields you send.")
class UpdateInquiryInput:
    id: strawberry.ID
    body: str | None = UNSET
    prospect_name: str | None = UNSET
    prospect_email: str | None = UNSET
    prospect_mobile: str | None = UNSET
    wanted_service_ids: list[strawberry.ID] | None = UNSET
    preferred_dates: list[date] | None = UNSET
    address: str | None = UNSET
    postcode: str | None = UNSET
    city: str | None = UNSET
    lead_source_id: strawberry.ID | None = UNSET
    label_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="The labels it bears (replaces them; [] or null clears): active labels that "
                                   "tag inquiries.")


@strawberry.input
class MoveInquiryInput:
    id: strawberry.ID
    lead_status: LeadStatusEnum = strawberry.field(description="CONVERTED is reached by convertInquiry only.")
    lost_reason: str = strawberry.field(default="", description="Required for LOST, refused otherwise.")


@strawberry.input(description="Turn a lead into a customer and a booking in one step.")
class ConvertInquiryInput:
    id: strawberry.ID
    scheduled_start: datetime
    scheduled_end: datetime | None = strawberry.field(default=None,
                                                      description="Blank: the wanted services' duration.")
    time_zone: str | None = None
    merge_into_customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing customer (see Inquiry.duplicateCustomers) to book for.")
    create_customer: bool = strawberry.field(
        default=False, description="Create a new customer even though customers with the prospect's e-mail "
                                   "or mobile exist. Without this or a merge, such duplicates are refused.")


@strawberry.type
class ConvertInquiryPayload:
    inquiry: InquiryNode | None = None
    customer: CustomerNode | None = None
    booking: BookingNode | None = None
    customer_created: bool = False
    duplicate_customers: list[CustomerNode] = strawberry.field(
        default_factory=list, description="With the error duplicate_customer: the customers to choose from.")
    errors: list[UserError]


@strawberry.type
class LeadSourcePayload:
    lead_source: LeadSourceNode | None = None
    errors: list[UserError]


@strawberry.type
class DeletedPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


@strawberry.input
class UpdateLeadSourceInput:
    id: strawberry.ID
    name: str | None = UNSET
    active: bool | None = UNSET


def _create(info: Info, data: CreateInquiryInput):
    if not actor_from_info(info).is_staff:
        raise PermissionDenied("Only staff file inquiries here.")
    return services.inquiry_create(
        **who(info), body=data.body, customer_id=decode_optional(data.customer_id, "Customer", "customerId"),
        prospect_name=data.prospect_name, prospect_email=data.prospect_email, prospect_mobile=data.prospect_mobile,
        wanted_service_ids=_services(data.wanted_service_ids), preferred_dates=data.preferred_dates,
        address=data.address, postcode=data.postcode, city=data.city,
        lead_source_id=decode_optional(data.lead_source_id, "LeadSource", "leadSourceId"),
        assignee_id=decode_optional(data.owner_id, "User", "ownerId"))


def _update(info: Info, data: UpdateInquiryInput):
    changes = given(body=data.body, prospect_name=data.prospect_name, prospect_email=data.prospect_email,
                    prospect_mobile=data.prospect_mobile, preferred_dates=data.preferred_dates,
                    address=data.address, postcode=data.postcode, city=data.city)
    # an explicit null clears: no text, no dates
    changes = {key: (([] if key == "preferred_dates" else "") if value is None else value)
               for key, value in changes.items()}
    if data.wanted_service_ids is not UNSET:
        changes["wanted_service_ids"] = _services(data.wanted_service_ids or [])
    if data.lead_source_id is not UNSET:
        changes["lead_source_id"] = decode_optional(data.lead_source_id, "LeadSource", "leadSourceId")
    if data.label_ids is not UNSET:
        changes["label_ids"] = [decode_id(value, "Label", f"labelIds.{index}")
                                for index, value in enumerate(data.label_ids or [])]
    return services.inquiry_update(**who(info), inquiry_id=_pk(data.id), **changes)


def _convert(info: Info, data: ConvertInquiryInput) -> ConvertInquiryPayload:
    from core.errors import DomainError

    try:
        done = services.inquiry_convert(
            **who(info), inquiry_id=_pk(data.id), scheduled_start=data.scheduled_start,
            scheduled_end=data.scheduled_end, time_zone=data.time_zone,
            merge_into_customer_id=decode_optional(data.merge_into_customer_id, "Customer", "mergeIntoCustomerId"),
            create_customer=data.create_customer)
    except DomainError as exc:
        candidates = []
        if exc.code == "duplicate_customer":
            from core.crm.models import Customer

            candidates = list(Customer.objects.filter(pk__in=exc.data.get("candidate_ids", ())).order_by("name", "pk"))
        return ConvertInquiryPayload(errors=user_errors(exc), duplicate_customers=candidates)  # type: ignore[arg-type]
    return ConvertInquiryPayload(inquiry=done.inquiry, customer=done.customer, booking=done.booking,  # type: ignore[arg-type]
                                 customer_created=done.customer_created, errors=[])


def _delete_source(info: Info, value: strawberry.ID) -> strawberry.ID:
    services.lead_source_delete(**who(info), lead_source_id=decode_id(value, "LeadSource"))
    return value


@strawberry.type
class LeadsQuery:
    @strawberry_django.field(description="Staff: the lead sources list, by name. Empty for anyone else.")
    def lead_sources(self, info: Info, active_only: bool = False) -> list[LeadSourceNode]:
        return list(lead_sources(actor_from_info(info), active_only=active_only))  # type: ignore[arg-type]


@strawberry.type
class LeadsMutation:
    @strawberry_django.mutation(description="File a lead in the inbox (staff).")
    def create_inquiry(self, info: Info, input: CreateInquiryInput) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: _create(info, input))

    @strawberry_django.mutation(description="Edit an inquiry's details (staff).")
    def update_inquiry(self, info: Info, input: UpdateInquiryInput) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: _update(info, input))

    @strawberry_django.mutation(description="Move a lead to another stage; LOST needs a reason (staff).")
    def move_inquiry(self, info: Info, input: MoveInquiryInput) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: services.inquiry_move(
            **who(info), inquiry_id=_pk(input.id), lead_status=input.lead_status.value,
            lost_reason=input.lost_reason))

    @strawberry_django.mutation(description="Delete an inquiry; it keeps its history and can be restored (staff).")
    def delete_inquiry(self, info: Info, id: strawberry.ID, reason: str = "") -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: services.inquiry_delete(
            **who(info), inquiry_id=_pk(id), reason=reason))

    @strawberry_django.mutation(description="Bring a deleted inquiry back to the inbox (staff).")
    def restore_inquiry(self, info: Info, id: strawberry.ID) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: services.inquiry_restore(**who(info), inquiry_id=_pk(id)))

    @strawberry_django.mutation(description="Convert a lead into a customer and a booking, carrying every field "
                                            "over (staff).")
    def convert_inquiry(self, info: Info, input: ConvertInquiryInput) -> ConvertInquiryPayload:
        return _convert(info, input)

    @strawberry_django.mutation(description="Add an entry to the lead sources list (staff).")
    def create_lead_source(self, info: Info, name: str) -> LeadSourcePayload:
        return attempt(LeadSourcePayload, "lead_source", lambda: services.lead_source_create(**who(info), name=name))

    @strawberry_django.mutation(description="Rename or (de)activate a lead source (staff).")
    def update_lead_source(self, info: Info, input: UpdateLeadSourceInput) -> LeadSourcePayload:
        return attempt(LeadSourcePayload, "lead_source", lambda: services.lead_source_update(
            **who(info), lead_source_id=decode_id(input.id, "LeadSource"),
            **{key: value for key, value in given(name=input.name, active=input.active).items()
               if value is not None}))

    @strawberry_django.mutation(description="Remove an unused lead source (staff).")
    def delete_lead_source(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        return attempt(DeletedPayload, "deleted_id", lambda: _delete_source(info, id))
