"""The staff inbox over GraphQL: the ``inquiries`` connection, the ``Inquiry`` node and the
mutations that answer one. Staff only: for anyone else the rows do not exist (the scope is in
``InquiryNode.get_queryset``, decision 0103) and the mutations answer ``not_found``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.company.selectors import get_company
from core.crm import services
from core.crm.models import Inquiry, InquiryEntry, LeadSource
from core.crm.selectors import duplicate_customers, inquiry_time_zone, visible_inquiries

from ..accounts.types import UserNode
from ..bookings.types import BookingNode
from ..branding.types import LabelNode
from ..catalog.types import ServiceNode
from ..context import actor_from_info, request_cache
from ..enums import (
    ActorKindEnum,
    ChannelEnum,
    InquiryActionEnum,
    InquiryKindEnum,
    InquiryStatusEnum,
    LeadSourceDoorEnum,
    LeadStatusEnum,
    ReplyDeliveryStatusEnum,
)
from ..errors import UserError, attempt
from ..ids import decode_id, decode_optional
from ..nodes import PK
from ..pagination import CappedConnection
from ..payloads import who
from .types import CustomerNode


def _staff_only(queryset, info: Info):
    actor = actor_from_info(info)
    return queryset if actor.is_staff else queryset.none()


@strawberry_django.type(InquiryEntry, name="InquiryHistoryEntry",
                        description="One change in an inquiry's history: who, through what, and what.")
class InquiryHistoryEntryNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    at: datetime
    action: InquiryActionEnum
    actor_kind: ActorKindEnum
    actor_label: str
    channel: ChannelEnum
    body: str = strawberry_django.field(description="A reply's text, or the resolution note.")
    data: JSON = strawberry_django.field(description="A reply: via (sms/email) and to; a link: what was linked.")
    delivery_error: str

    @strawberry_django.field(only=["delivery_status"],
                             description="A reply: what became of it when it was sent. Null for other entries.")
    def delivery_status(self) -> ReplyDeliveryStatusEnum | None:
        value = self.delivery_status  # type: ignore[attr-defined]
        return ReplyDeliveryStatusEnum(value) if value else None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _staff_only(queryset, info)


@strawberry_django.type(LeadSource, name="LeadSource",
                        description="Where leads come from (a managed list). Staff only.")
class LeadSourceNode(relay.Node):
    _id_attr = PK
    name: str
    active: bool = strawberry_django.field(description="Inactive: kept on old inquiries, not offered for new.")

    @strawberry_django.field(only=["door"], description="The door that files with this source by itself, if any.")
    def door(self) -> LeadSourceDoorEnum | None:
        value = self.door  # type: ignore[attr-defined]
        return LeadSourceDoorEnum(value) if value else None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _staff_only(queryset, info)


@strawberry_django.type(Inquiry, name="Inquiry",
                        description="Something a customer or an unknown sender asked that staff must answer.")
class InquiryNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    kind: InquiryKindEnum
    status: InquiryStatusEnum
    channel: ChannelEnum
    contact: str = strawberry_django.field(description="The phone number or e-mail address it came from.")
    body: str
    created_at: datetime
    resolved_at: datetime | None
    resolution_note: str
    customer: CustomerNode | None
    assignee: UserNode | None
    resolved_by: UserNode | None
    bookings: list[BookingNode] = strawberry_django.field(description="Every booking it concerns.")
    history: list[InquiryHistoryEntryNode] = strawberry_django.field(
        field_name="entries", description="Oldest first.")
    lead_status: LeadStatusEnum
    lost_reason: str
    lead_source: LeadSourceNode | None
    prospect_name: str = strawberry_django.field(description="Who asked, when not (yet) a customer.")
    prospect_email: str
    prospect_mobile: str = strawberry_django.field(description="E.164.")
    wanted_services: list[ServiceNode]
    labels: list[LabelNode] = strawberry_django.field(description="From the company's label list (staff only).")
    address: str
    postcode: str
    city: str
    converted_booking: BookingNode | None
    converted_at: datetime | None
    deleted_at: datetime | None = strawberry_django.field(description="Set while the inquiry is deleted.")

    @strawberry_django.field(only=["assignee_id"], select_related=["assignee"],
                             description="The lead's owner: the staff member answering it (the assignee).")
    def owner(self) -> UserNode | None:
        return self.assignee  # type: ignore[attr-defined,return-value]

    @strawberry_django.field(only=["preferred_dates"], description="Days the sender would like, earliest first.")
    def preferred_dates(self) -> list[date]:
        return [date.fromisoformat(value) for value in self.preferred_dates]  # type: ignore[attr-defined]

    @strawberry_django.field(only=["prospect_email", "prospect_mobile", "customer_id"],
                             description="Customers with the prospect's e-mail or mobile, to merge into on "
                                         "conversion. Empty once tied to a customer. One read per inquiry: "
                                         "ask on one inquiry, not on a page of them.")
    def duplicate_customers(self, info: Info) -> list[CustomerNode]:
        if self.customer_id is not None:  # type: ignore[attr-defined]
            return []
        return duplicate_customers(actor_from_info(info), email=self.prospect_email,  # type: ignore[attr-defined]
                                   mobile=self.prospect_mobile)  # type: ignore[attr-defined,return-value]

    @strawberry_django.field(prefetch_related=["bookings"],
                             description="Show its times here: the zone of the booking it concerns, else the "
                                         "company's.")
    def time_zone(self, info: Info) -> str:
        bookings = sorted(self.bookings.all(), key=lambda b: (b.scheduled_start, b.pk))  # type: ignore[attr-defined]
        # the company is read once per request, and only for an inquiry that concerns no booking
        return inquiry_time_zone((b.time_zone for b in bookings), "") or request_cache(
            info, "company_time_zone", lambda: get_company().time_zone)

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _staff_only(queryset, info)


@strawberry.input(description="Narrow the inbox. All given conditions apply.")
class InquiryFilter:
    kind: InquiryKindEnum | None = None
    status: InquiryStatusEnum | None = None
    channel: ChannelEnum | None = None
    customer_id: strawberry.ID | None = None
    booking_id: strawberry.ID | None = strawberry.field(default=None, description="Inquiries concerning it.")
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="A staff User.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A staff User (the assignee).")
    lead_status: list[LeadStatusEnum] | None = strawberry.field(default=None, description="Any of these stages.")
    lead_source_id: strawberry.ID | None = None
    received_from: datetime | None = strawberry.field(default=None, description="Received at or after.")
    received_before: datetime | None = strawberry.field(default=None, description="Received before.")
    preferred_from: date | None = strawberry.field(default=None, description="A preferred day on or after.")
    preferred_to: date | None = strawberry.field(default=None, description="A preferred day on or before.")
    deleted: bool = strawberry.field(default=False, description="True: the deleted inquiries instead.")


def _preferred_between(qs, low: date | None, high: date | None):
    """Inquiries with a preferred day in [low, high]. The days are a short JSON list (at most 5), so
    the match is made on the ids of the inquiries that have any, read once."""
    rows = qs.exclude(preferred_dates=[]).values_list("pk", "preferred_dates")
    keep = [pk for pk, days in rows
            if any((low is None or day >= low.isoformat()) and (high is None or day <= high.isoformat())
                   for day in days)]
    return qs.filter(pk__in=keep)


def apply_inquiry_filter(qs, flt: InquiryFilter | None):
    if flt is None:
        return qs
    if flt.lead_status:
        qs = qs.filter(lead_status__in=[value.value for value in flt.lead_status])
    if flt.lead_source_id is not None:
        qs = qs.filter(lead_source_id=decode_id(flt.lead_source_id, "LeadSource", "filter.leadSourceId"))
    if flt.owner_id is not None:
        qs = qs.filter(assignee_id=decode_id(flt.owner_id, "User", "filter.ownerId"))
    if flt.received_from is not None:
        qs = qs.filter(created_at__gte=flt.received_from)
    if flt.received_before is not None:
        qs = qs.filter(created_at__lt=flt.received_before)
    if flt.preferred_from is not None or flt.preferred_to is not None:
        qs = _preferred_between(qs, flt.preferred_from, flt.preferred_to)
    if flt.kind is not None:
        qs = qs.filter(kind=flt.kind.value)
    if flt.status is not None:
        qs = qs.filter(status=flt.status.value)
    if flt.channel is not None:
        qs = qs.filter(channel=flt.channel.value)
    if flt.customer_id is not None:
        qs = qs.filter(customer_id=decode_id(flt.customer_id, "Customer", "filter.customerId"))
    if flt.booking_id is not None:
        qs = qs.filter(bookings=decode_id(flt.booking_id, "Booking", "filter.bookingId"))
    if flt.assignee_id is not None:
        qs = qs.filter(assignee_id=decode_id(flt.assignee_id, "User", "filter.assigneeId"))
    return qs


@strawberry.type
class InboxQuery:
    @strawberry_django.connection(CappedConnection[InquiryNode],
                                  description="Staff: the inbox, newest first. Empty for anyone else.")
    def inquiries(self, info: Info, filter: InquiryFilter | None = None) -> Iterable[InquiryNode]:
        deleted = filter is not None and filter.deleted
        qs = apply_inquiry_filter(visible_inquiries(actor_from_info(info), deleted=deleted), filter)
        return InquiryNode.get_queryset(qs, info).order_by("-created_at", "-id")  # type: ignore[return-value]


@strawberry.input
class AssignInquiryInput:
    id: strawberry.ID
    assignee_id: strawberry.ID | None = strawberry.field(description="A staff User; null: nobody.")


@strawberry.input
class ReplyToInquiryInput:
    id: strawberry.ID
    body: str = strawberry.field(description="Sent by SMS while the sender's number takes texts, else by e-mail.")


@strawberry.input
class ResolveInquiryInput:
    id: strawberry.ID
    note: str = ""


@strawberry.input(description="Link a customer, bookings, or both (bookings are added to those linked).")
class LinkInquiryInput:
    id: strawberry.ID
    customer_id: strawberry.ID | None = None
    booking_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type
class InquiryPayload:
    inquiry: InquiryNode | None = None
    errors: list[UserError]


@strawberry.type
class InquiryReplyPayload:
    reply: InquiryHistoryEntryNode | None = strawberry.field(
        default=None, description="The reply as recorded; it is sent right after.")
    errors: list[UserError]


def _pk(value: strawberry.ID) -> int:
    return decode_id(value, "Inquiry")


def _link(info: Info, data: LinkInquiryInput) -> Inquiry:
    booking_ids = [decode_id(value, "Booking", f"bookingIds.{index}") for index, value in enumerate(data.booking_ids)]
    return services.inquiry_link(**who(info), inquiry_id=_pk(data.id),
                                 customer_id=decode_optional(data.customer_id, "Customer", "customerId"),
                                 booking_ids=booking_ids)


@strawberry.type
class InboxMutation:
    @strawberry_django.mutation(description="Give an inquiry to a staff member, or to nobody (staff).")
    def assign_inquiry(self, info: Info, input: AssignInquiryInput) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: services.inquiry_assign(
            **who(info), inquiry_id=_pk(input.id),
            assignee_id=decode_optional(input.assignee_id, "User", "assigneeId")))

    @strawberry_django.mutation(description="Answer the sender by SMS or e-mail (staff).")
    def reply_to_inquiry(self, info: Info, input: ReplyToInquiryInput) -> InquiryReplyPayload:
        return attempt(InquiryReplyPayload, "reply", lambda: services.inquiry_reply(
            **who(info), inquiry_id=_pk(input.id), body=input.body))

    @strawberry_django.mutation(description="Mark an inquiry answered (staff).")
    def resolve_inquiry(self, info: Info, input: ResolveInquiryInput) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: services.inquiry_resolve(
            **who(info), inquiry_id=_pk(input.id), note=input.note))

    @strawberry_django.mutation(description="Open a resolved inquiry again (staff).")
    def reopen_inquiry(self, info: Info, id: strawberry.ID) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: services.inquiry_reopen(**who(info), inquiry_id=_pk(id)))

    @strawberry_django.mutation(description="Tie an inquiry to its customer and the bookings it concerns (staff).")
    def link_inquiry(self, info: Info, input: LinkInquiryInput) -> InquiryPayload:
        return attempt(InquiryPayload, "inquiry", lambda: _link(info, input))
