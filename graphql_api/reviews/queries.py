from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
import strawberry_django
from strawberry.types import Info

from core.errors import ValidationFailed
from core.reviews import selectors

from ..enums import ReviewRequestStatusEnum
from ..ids import decode_optional
from ..pagination import CappedConnection
from ..permissions import require_staff
from .types import ReviewNode, ReviewRequestNode


@strawberry.input(description="Narrow the reviews; every field given must hold.")
class ReviewFilter:
    rating_min: int | None = strawberry.field(default=None, description="Rated at least this (1 to 5).")
    rating_max: int | None = strawberry.field(default=None, description="Rated at most this (1 to 5).")
    fieldworker_id: strawberry.ID | None = strawberry.field(default=None,
                                                            description="Jobs this fieldworker accepted.")
    service_id: strawberry.ID | None = strawberry.field(default=None, description="Jobs with a line of this service.")
    submitted_from: datetime | None = strawberry.field(default=None, description="Given at or after.")
    submitted_before: datetime | None = strawberry.field(default=None, description="Given before.")
    published: bool | None = strawberry.field(default=None, description="On the public page now, or not.")


@strawberry.input(description="Narrow the review requests; every field given must hold.")
class ReviewRequestFilter:
    status: ReviewRequestStatusEnum | None = None
    customer_id: strawberry.ID | None = None
    due_from: datetime | None = strawberry.field(default=None, description="Due at or after.")
    due_before: datetime | None = strawberry.field(default=None, description="Due before.")


def _rating(value: int | None, field: str) -> int | None:
    if value is not None and not 1 <= value <= 5:
        raise ValidationFailed(field, "A rating from 1 to 5.", code="out_of_range")
    return value


@strawberry.type
class ReviewsQuery:
    @strawberry_django.connection(CappedConnection[ReviewNode], description="Customers' reviews (staff), newest first.")
    def reviews(self, info: Info, filter: ReviewFilter | None = None) -> Iterable[ReviewNode]:
        qs = selectors.visible_reviews(require_staff(info))
        if filter is not None:
            low, high = _rating(filter.rating_min, "ratingMin"), _rating(filter.rating_max, "ratingMax")
            fieldworker_id = decode_optional(filter.fieldworker_id, "Fieldworker", "fieldworkerId")
            service_id = decode_optional(filter.service_id, "Service", "serviceId")
            if low is not None:
                qs = qs.filter(rating__gte=low)
            if high is not None:
                qs = qs.filter(rating__lte=high)
            if fieldworker_id is not None:
                qs = qs.filter(booking__assignments__fieldworker_id=fieldworker_id,
                               booking__assignments__status="accepted")
            if service_id is not None:
                qs = qs.filter(booking_id__in=selectors.bookings_with_service(service_id))
            if filter.submitted_from is not None:
                qs = qs.filter(submitted_at__gte=filter.submitted_from)
            if filter.submitted_before is not None:
                qs = qs.filter(submitted_at__lt=filter.submitted_before)
            if filter.published is not None:
                qs = qs.filter(published_at__isnull=not filter.published)
        return qs.order_by("-submitted_at", "-id")  # type: ignore[return-value]

    @strawberry_django.connection(CappedConnection[ReviewRequestNode],
                                  description="Review requests (staff), soonest due first.")
    def review_requests(self, info: Info, filter: ReviewRequestFilter | None = None) -> Iterable[ReviewRequestNode]:
        qs = selectors.visible_review_requests(require_staff(info))
        if filter is not None:
            customer_id = decode_optional(filter.customer_id, "Customer", "customerId")
            if filter.status is not None:
                qs = qs.filter(status=filter.status.value)
            if customer_id is not None:
                qs = qs.filter(customer_id=customer_id)
            if filter.due_from is not None:
                qs = qs.filter(due_at__gte=filter.due_from)
            if filter.due_before is not None:
                qs = qs.filter(due_at__lt=filter.due_before)
        return qs.order_by("due_at", "id")  # type: ignore[return-value]
