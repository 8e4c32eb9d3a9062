"""Reviews and review requests in the API (decisions 0630-0632)."""

from __future__ import annotations

from datetime import datetime

import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.reviews.models import Review, ReviewRequest
from core.reviews.selectors import public_name, visible_review_requests, visible_reviews

from ..bookings.types import BookingNode
from ..context import actor_from_info
from ..crm.types import CustomerNode
from ..enums import DeliveryChannelEnum, ReviewRequestStatusEnum
from ..nodes import PK
from ..outreach.types import EmailMessageNode
from ..sms.types import SmsMessageNode


@strawberry_django.type(Review, name="Review",
                        description="A customer's rating (1 to 5) and comment of a completed job.")
class ReviewNode(relay.Node):
    _id_attr = PK
    rating: int
    comment: str
    may_publish: bool = strawberry_django.field(
        description="The customer allows it on the public page (first name and initial only).")
    published_at: datetime | None = strawberry_django.field(description="On the public page since (staff publish).")
    submitted_at: datetime = strawberry_django.field(description="First given; changed until 14 days after.")
    updated_at: datetime
    booking: BookingNode
    customer: CustomerNode

    @strawberry_django.field(only=["published_at"], description="On the public page now.")
    def published(self) -> bool:
        return self.published_at is not None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["submitted_at"], description="Until when the customer may change it.")
    def editable_until(self) -> datetime:
        return self.editable_until()  # type: ignore[attr-defined, operator]

    @strawberry_django.field(only=["customer_id"], select_related=["customer"],
                             description="How the public page names the customer: first name and last initial.")
    def public_name(self) -> str:
        return public_name(self.customer.name)  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(pk__in=visible_reviews(actor).values("pk"))


@strawberry_django.type(ReviewRequest, name="ReviewRequest",
                        description="The request for a review sent after a completed job, by text or e-mail "
                                    "(staff only).")
class ReviewRequestNode(relay.Node):
    _id_attr = PK
    status: ReviewRequestStatusEnum
    reason: str = strawberry_django.field(
        description="Why it was skipped (reviewed, not_completed; opted_out, paused_for_customer, "
                    "paused_for_booking, no_contact, no_address) or withdrawn (by_staff).")
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    booking: BookingNode
    customer: CustomerNode
    email: EmailMessageNode | None = strawberry_django.field(description="The e-mail logged for it when it came due.")
    sms: SmsMessageNode | None = strawberry_django.field(description="The text logged for it when it came due.")

    @strawberry_django.field(only=["channel"], description="How it went (the customer's first usable channel); "
                                                            "null until sent, and when skipped.")
    def channel(self) -> DeliveryChannelEnum | None:
        value = self.channel  # type: ignore[attr-defined]
        return DeliveryChannelEnum(value) if value else None  # type: ignore[call-arg]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_review_requests(actor_from_info(info)).values("pk"))
