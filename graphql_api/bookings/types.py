from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.core.exceptions import ObjectDoesNotExist
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.bookings import job_sheet
from core.bookings.models import Booking, BookingAssignment, BookingComment, BookingEvent, BookingLine, LocationType
from core.bookings.selectors import visible_assignments, visible_bookings, visible_comments, visible_history
from core.sms.models import CommentDelivery
from core.sms.selectors import visible_comment_deliveries

from ..accounts.types import UserNode
from ..catalog.types import PriceRuleType, ProductNode, ServiceNode, ServicePackageNode, rules_out
from ..context import actor_from_info
from ..crm.types import CustomerNode, DependentNode, PropertyNode, may_see_contact
from ..enums import (
    ActorKindEnum,
    AssignmentStatusEnum,
    BookingSourceEnum,
    BookingStatusEnum,
    ChannelEnum,
    DeliveryChannelEnum,
    DeliveryStatusEnum,
)
from ..files.types import files_field, quote_files_field
from ..jobdata.types import custom_fields_field
from ..nodes import PK
from ..workforce.types import FieldworkerNode

if TYPE_CHECKING:
    from ..reviews.types import ReviewNode


def _scoped(queryset, info: Info, visible):
    actor = actor_from_info(info)
    if actor.is_staff:
        return queryset
    return queryset.filter(pk__in=visible(actor).values("pk"))


@strawberry_django.type(LocationType, name="LocationType",
                        description="Where at the place the work is done (managed list).")
class LocationTypeNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    active: bool = strawberry_django.field(description="Inactive: kept where set, not offered for new.")
    position: int = strawberry_django.field(description="Lists show lower first, then by name.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_authenticated else queryset.none()


@strawberry_django.type(BookingLine, name="BookingLine")
class BookingLineNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    tax_name: str = strawberry_django.field(description="The tax rate's name as priced; empty for a typed percent.")
    position: int
    service: ServiceNode | None = strawberry_django.field(
        description="Null when the line has no service or the service is hidden from you.")
    product: ProductNode | None = strawberry_django.field(description="Null when the line sells no product.")
    package: ServicePackageNode | None = strawberry_django.field(description="Null when the line sells no package.")
    tax_inclusive: bool = strawberry_django.field(description="Whether unitPrice includes tax (as priced).")
    list_unit_price: Decimal | None = strawberry_django.field(
        description="The catalogue's price for this line before any override; null for a line typed by hand.")
    price_overridden_at: datetime | None = strawberry_django.field(
        description="When staff set the price over the list price; null when not overridden.")
    price_overridden_by: UserNode | None = strawberry_django.field(description="Who set the price over the list.")

    @strawberry_django.field(only=["pricing"], description="The pricing rules that made the unit price, in order.")
    def pricing(self) -> list[PriceRuleType]:
        return rules_out(self.pricing)  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(booking_id__in=visible_bookings(actor).values("pk"))

    @strawberry_django.field(only=["quantity", "unit_price", "tax_rate", "tax_inclusive"],
                             description="Before tax.")
    def subtotal(self) -> Decimal:
        return self.subtotal  # type: ignore[attr-defined]

    @strawberry_django.field(only=["quantity", "unit_price", "tax_rate", "tax_inclusive"])
    def tax(self) -> Decimal:
        return self.tax  # type: ignore[attr-defined]

    @strawberry_django.field(only=["quantity", "unit_price", "tax_rate", "tax_inclusive"])
    def total(self) -> Decimal:
        return self.total  # type: ignore[attr-defined]


@strawberry_django.type(BookingAssignment, name="BookingAssignment",
                        description="A fieldworker offered a booking, and their answer.")
class AssignmentNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    status: AssignmentStatusEnum
    decline_reason: str
    offered_at: datetime
    responded_at: datetime | None
    fieldworker: FieldworkerNode
    booking: BookingNode

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset.select_related("fieldworker")  # every fieldworker is visible to staff
        # only on bookings the actor may see: `booking` below must not reach a declined job
        return queryset.filter(pk__in=visible_assignments(actor).values("pk"),
                               booking_id__in=visible_bookings(actor).values("pk"))


@strawberry_django.type(BookingEvent, name="BookingHistoryEntry",
                        description="One change in a booking's timeline: who, through what, before/after.")
class HistoryEntryNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    at: datetime
    action: str
    actor_kind: ActorKindEnum
    actor_label: str
    channel: ChannelEnum
    changes: JSON = strawberry_django.field(description="field -> [before, after]")
    data: JSON

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_history)


@strawberry_django.type(CommentDelivery, name="CommentDelivery",
                        description="A customer-visible discussion message on its way to the customer (staff only).")
class CommentDeliveryNode:
    channel: DeliveryChannelEnum
    status: DeliveryStatusEnum = strawberry_django.field(
        description="queued, sent, delivered (SMS only: the carrier confirmed), failed, or not sent and why.")
    error: str = strawberry_django.field(description="Why it failed, or why it was not sent.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_comment_deliveries)


@strawberry_django.type(BookingComment, name="BookingComment", description="A message in a booking's discussion.")
class CommentNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    author_name: str
    author_kind: ActorKindEnum
    channel: ChannelEnum
    body: str
    visible_to_customer: bool
    created_at: datetime
    deliveries: list[CommentDeliveryNode] = strawberry_django.field(
        description="Staff: how this message went to the customer (SMS, else e-mail), oldest first. "
                    "Empty for internal notes, for the customer's own messages and for everyone but staff.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_comments)


@strawberry_django.type(Booking, name="Booking", description="A job for a customer at a time.")
class BookingNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    number: int
    status: BookingStatusEnum
    scheduled_start: datetime
    scheduled_end: datetime
    time_zone: str
    workers_required: int
    source: BookingSourceEnum
    notes: str
    automated_email_paused: bool
    automated_sms_paused: bool
    confirmed_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    cancel_channel: str
    cancellation_fee: Decimal
    cancellation_fee_set_by: UserNode | None = strawberry_django.field(
        description="The staff member who waived the fee or set another amount than the rule's.")
    created_at: datetime
    updated_at: datetime
    customer: CustomerNode
    property: PropertyNode | None
    location_type: LocationTypeNode | None
    owner: UserNode | None
    lines: list[BookingLineNode]
    assignments: list[AssignmentNode] = strawberry_django.field(
        description="Staff see all; a fieldworker their own; a customer the accepted ones.")
    comments: list[CommentNode]
    history: list[HistoryEntryNode]
    custom_fields = custom_fields_field("booking")
    files = files_field()
    quote_files = quote_files_field()

    @strawberry_django.field(prefetch_related=["lines"])
    def subtotal(self) -> Decimal:
        return self.subtotal  # type: ignore[attr-defined]

    @strawberry_django.field(prefetch_related=["lines"])
    def tax_total(self) -> Decimal:
        return self.tax_total  # type: ignore[attr-defined]

    @strawberry_django.field(prefetch_related=["lines"])
    def total(self) -> Decimal:
        return self.total  # type: ignore[attr-defined]

    @strawberry_django.field(select_related=["dependent"], only=["customer_id", "dependent_id"], description=(
        "The customer's dependent the job is for. Staff, the customer and the fieldworkers of the customer's "
        "jobs see this one dependent (decision 0172); null for anyone else."))
    def dependent(self, info: Info) -> DependentNode | None:
        if self.dependent_id is None or not may_see_contact(info, self.customer_id):  # type: ignore[attr-defined]
            return None
        return self.dependent  # type: ignore[attr-defined, return-value]

    @strawberry_django.field(only=["number", "customer_id"], description=(
        "A download link of the booking's job sheet (PDF) that works for a few minutes "
        "(FIELDOPS_PDF_LINK_SECONDS). Staff and the booking's customer; null for anyone else."))
    def pdf_url(self, info: Info) -> str | None:
        return job_sheet.download_url(actor_from_info(info), self)  # type: ignore[arg-type]

    @strawberry_django.field(select_related=["review"], description=(
        "The customer's review of the job (decision 0631); whoever sees the booking sees it. Null: none yet."))
    def review(self) -> Annotated[ReviewNode, strawberry.lazy("graphql_api.reviews.types")] | None:
        try:
            return self.review  # type: ignore[attr-defined, return-value]
        except ObjectDoesNotExist:
            return None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_bookings)


@strawberry.type(description="What cancelling this booking now would cost, and whether you may.")
class CancellationQuote:
    allowed: bool
    fee: Decimal
    inside_notice_window: bool
    code: str | None = None
    message: str | None = None


@strawberry.type(description="A time a booking can move to.")
class RescheduleSlot:
    start: datetime
    end: datetime


@strawberry.type(description="Whether you may move this booking now and, for customers, the times to pick from "
                             "(staff may move it anywhere; the list is a suggestion).")
class RescheduleOptions:
    allowed: bool
    slots: list[RescheduleSlot]
    code: str | None = None
    message: str | None = None
