"""Complaint mutations (decision 0102): a customer raises one on their own booking or quote; staff raise,
change, assign, resolve and reopen them and keep the two lists. Each with its payload and typed errors."""

from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.types import Info

from core.complaints import services

from ..crm.leads import DeletedPayload
from ..crm.lists import UpdateListEntryInput, _changes, _deleted
from ..errors import UserError, attempt
from ..ids import decode_id, decode_optional
from ..payloads import UNSET, given, who
from .types import ComplaintNode, ComplaintStatusNode, ComplaintTypeNode


@strawberry.input
class RaiseComplaintInput:
    description: str
    booking_id: strawberry.ID | None = strawberry.field(default=None, description="The booking it is about; or:")
    quote_id: strawberry.ID | None = strawberry.field(default=None, description="The (sent) quote it is about.")
    type_id: strawberry.ID | None = strawberry.field(default=None, description="An active complaint type.")
    visible_to_customer: bool = strawberry.field(
        default=True, description="Staff: false keeps it internal. A customer's complaint is always visible to them.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Staff only: who owns it.")


@strawberry.input(description="Change only the fields you send (staff).")
class UpdateComplaintInput:
    id: strawberry.ID
    description: str | None = UNSET
    type_id: strawberry.ID | None = strawberry.field(default=UNSET, description="null: no type.")
    visible_to_customer: bool | None = UNSET
    status_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Another open status (resolveComplaint closes it).")


@strawberry.input
class AssignComplaintInput:
    id: strawberry.ID
    owner_id: strawberry.ID | None = strawberry.field(description="An active staff member; null: nobody.")


@strawberry.input
class ResolveComplaintInput:
    id: strawberry.ID
    resolution: str = strawberry.field(description="What was done.")
    status_id: strawberry.ID | None = strawberry.field(
        default=None, description="A status that closes it; the first such on the list when not given.")


@strawberry.input
class ReopenComplaintInput:
    id: strawberry.ID
    reason: str
    status_id: strawberry.ID | None = strawberry.field(
        default=None, description="An open status; the first such on the list when not given.")


@strawberry.input(description="Change only the fields you send.")
class UpdateComplaintStatusInput(UpdateListEntryInput):
    is_resolved: bool | None = strawberry.field(
        default=UNSET, description="Only on a status no complaint has.")


@strawberry.type
class ComplaintPayload:
    complaint: ComplaintNode | None = None
    errors: list[UserError]


@strawberry.type
class ComplaintTypePayload:
    complaint_type: ComplaintTypeNode | None = None
    errors: list[UserError]


@strawberry.type
class ComplaintStatusPayload:
    complaint_status: ComplaintStatusNode | None = None
    errors: list[UserError]


def _id(value: strawberry.ID) -> int:
    return decode_id(value, "Complaint")


def _update(info: Info, data: UpdateComplaintInput):
    pk = _id(data.id)
    changes = given(description=data.description, type_id=data.type_id, visible_to_customer=data.visible_to_customer,
                    status_id=data.status_id)
    if "type_id" in changes:
        changes["type_id"] = decode_optional(changes["type_id"], "ComplaintType", "typeId")
    if "status_id" in changes:
        changes["status_id"] = decode_optional(changes["status_id"], "ComplaintStatus", "statusId")
    if changes.get("description", "") is None:
        changes["description"] = ""
    return services.complaint_update(**who(info), complaint_id=pk, **changes)


def _status_update(info: Info, data: UpdateComplaintStatusInput):
    changes = _changes(data)
    resolved = data.is_resolved if data.is_resolved is not UNSET else None
    return services.complaint_status_update(**who(info), complaint_status_id=decode_id(data.id, "ComplaintStatus"),
                                            is_resolved=resolved, **changes)


@strawberry.type
class ComplaintsMutation:
    @strawberry_django.mutation(description="Raise a complaint on a booking or a sent quote (give one): a "
                                            "customer on their own, staff on any.")
    def raise_complaint(self, info: Info, input: RaiseComplaintInput) -> ComplaintPayload:
        return attempt(ComplaintPayload, "complaint", lambda: services.complaint_raise(
            **who(info), booking_id=decode_optional(input.booking_id, "Booking", "bookingId"),
            quote_id=decode_optional(input.quote_id, "Quote", "quoteId"), description=input.description,
            type_id=decode_optional(input.type_id, "ComplaintType", "typeId"),
            visible_to_customer=input.visible_to_customer,
            owner_id=decode_optional(input.owner_id, "User", "ownerId")))

    @strawberry_django.mutation(description="Change a complaint's description, type, visibility or open status "
                                            "(staff).")
    def update_complaint(self, info: Info, input: UpdateComplaintInput) -> ComplaintPayload:
        return attempt(ComplaintPayload, "complaint", lambda: _update(info, input))

    @strawberry_django.mutation(description="Give a complaint an owner, or none (staff).")
    def assign_complaint(self, info: Info, input: AssignComplaintInput) -> ComplaintPayload:
        return attempt(ComplaintPayload, "complaint", lambda: services.complaint_assign(
            **who(info), complaint_id=_id(input.id), owner_id=decode_optional(input.owner_id, "User", "ownerId")))

    @strawberry_django.mutation(description="Close a complaint with what was done (staff).")
    def resolve_complaint(self, info: Info, input: ResolveComplaintInput) -> ComplaintPayload:
        return attempt(ComplaintPayload, "complaint", lambda: services.complaint_resolve(
            **who(info), complaint_id=_id(input.id), resolution=input.resolution,
            status_id=decode_optional(input.status_id, "ComplaintStatus", "statusId")))

    @strawberry_django.mutation(description="Open a resolved complaint again, with why (staff).")
    def reopen_complaint(self, info: Info, input: ReopenComplaintInput) -> ComplaintPayload:
        return attempt(ComplaintPayload, "complaint", lambda: services.complaint_reopen(
            **who(info), complaint_id=_id(input.id), reason=input.reason,
            status_id=decode_optional(input.status_id, "ComplaintStatus", "statusId")))

    @strawberry_django.mutation(description="Add an entry to the complaint type list (staff); an existing name "
                                            "returns that entry.")
    def create_complaint_type(self, info: Info, name: str, active: bool = True, position: int = 0
                              ) -> ComplaintTypePayload:
        return attempt(ComplaintTypePayload, "complaint_type", lambda: services.complaint_type_create(
            **who(info), name=name, active=active, position=position))

    @strawberry_django.mutation(description="Rename, reorder or (de)activate a complaint type (staff).")
    def update_complaint_type(self, info: Info, input: UpdateListEntryInput) -> ComplaintTypePayload:
        return attempt(ComplaintTypePayload, "complaint_type", lambda: services.complaint_type_update(
            **who(info), complaint_type_id=decode_id(input.id, "ComplaintType"), **_changes(input)))

    @strawberry_django.mutation(description="Remove an unused complaint type (staff); one in use: deactivate it.")
    def delete_complaint_type(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        return _deleted(lambda: services.complaint_type_delete(
            **who(info), complaint_type_id=decode_id(id, "ComplaintType")), id)

    @strawberry_django.mutation(description="Add an entry to the complaint status list (staff); isResolved: it "
                                            "closes a complaint.")
    def create_complaint_status(self, info: Info, name: str, is_resolved: bool = False, active: bool = True,
                                position: int = 0) -> ComplaintStatusPayload:
        return attempt(ComplaintStatusPayload, "complaint_status", lambda: services.complaint_status_create(
            **who(info), name=name, is_resolved=is_resolved, active=active, position=position))

    @strawberry_django.mutation(description="Rename, reorder or (de)activate a complaint status (staff).")
    def update_complaint_status(self, info: Info, input: UpdateComplaintStatusInput) -> ComplaintStatusPayload:
        return attempt(ComplaintStatusPayload, "complaint_status", lambda: _status_update(info, input))

    @strawberry_django.mutation(description="Remove an unused complaint status (staff); one in use: deactivate it.")
    def delete_complaint_status(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        return _deleted(lambda: services.complaint_status_delete(
            **who(info), complaint_status_id=decode_id(id, "ComplaintStatus")), id)
