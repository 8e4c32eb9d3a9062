"""Complaints, their lists and history as GraphQL types. Rows reach a caller only through
``core.complaints.selectors`` (decision 0103): staff all, a customer their own customer-visible ones,
a fieldworker the customer-visible ones on bookings they accepted (decision 0932)."""

from __future__ import annotations

from datetime import datetime

import strawberry_django
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.complaints.models import Complaint, ComplaintEvent, ComplaintStatus, ComplaintType
from core.complaints.selectors import visible_complaints, visible_history

from ..accounts.types import UserNode
from ..bookings.types import BookingNode
from ..context import actor_from_info
from ..crm.types import CustomerNode
from ..enums import ActorKindEnum, ChannelEnum
from ..nodes import PK
from ..quotes.types import QuoteNode


def _signed_in(queryset, info: Info):
    return queryset if actor_from_info(info).is_authenticated else queryset.none()


@strawberry_django.type(ComplaintType, name="ComplaintType", description="A kind of complaint (managed list).")
class ComplaintTypeNode(relay.Node):
    _id_attr = PK
    name: str
    active: bool = strawberry_django.field(description="Inactive: kept where set, not offered for new.")
    position: int = strawberry_django.field(description="Lists show lower first, then by name.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _signed_in(queryset, info)


@strawberry_django.type(ComplaintStatus, name="ComplaintStatus",
                        description="Where a complaint stands (managed list); isResolved closes it.")
class ComplaintStatusNode(relay.Node):
    _id_attr = PK
    name: str
    is_resolved: bool = strawberry_django.field(description="A complaint with this status is closed.")
    active: bool = strawberry_django.field(description="Inactive: kept where set, not offered for new.")
    position: int = strawberry_django.field(description="Lists show lower first, then by name.")

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _signed_in(queryset, info)


@strawberry_django.type(ComplaintEvent, name="ComplaintHistoryEntry", description="One change of a complaint (staff).")
class ComplaintHistoryNode(relay.Node):
    _id_attr = PK
    at: datetime
    action: str
    actor_kind: ActorKindEnum
    actor_label: str
    channel: ChannelEnum
    changes: JSON
    data: JSON

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(pk__in=visible_history(actor).values("pk"))


@strawberry_django.type(Complaint, name="Complaint", description="A complaint about a job or a quote: what "
                                                                 "went wrong, who owns it and how it was resolved.")
class ComplaintNode(relay.Node):
    _id_attr = PK
    description: str
    visible_to_customer: bool = strawberry_django.field(description="False: an internal note of the office.")
    is_resolved: bool = strawberry_django.field(description="Its status closes it.")
    resolution: str = strawberry_django.field(description="What was done; empty while open.")
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    channel: ChannelEnum = strawberry_django.field(description="Through what it was raised.")
    raised_by_kind: ActorKindEnum = strawberry_django.field(description="Who raised it.")
    booking: BookingNode | None
    quote: QuoteNode | None = strawberry_django.field(description="The quote it is about, when not a booking.")
    customer: CustomerNode
    type: ComplaintTypeNode | None
    status: ComplaintStatusNode

    @strawberry_django.field(only=["owner_id"], select_related=["owner"],
                             description="The staff member who owns it (staff only; null for others).")
    def owner(self, info: Info) -> UserNode | None:
        return self.owner if actor_from_info(info).is_staff else None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(pk__in=visible_complaints(actor).values("pk"))
