"""Review mutations: the customer reviews their own completed job; staff publish and unpublish what
the customer allowed and withdraw a pending request (decisions 0630-0632)."""

from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.types import Info

from core.reviews import services

from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import who
from .types import ReviewNode, ReviewRequestNode


@strawberry.type
class ReviewPayload:
    review: ReviewNode | None = None
    errors: list[UserError]


@strawberry.type
class ReviewRequestPayload:
    review_request: ReviewRequestNode | None = None
    errors: list[UserError]


@strawberry.type
class ReviewsMutation:
    @strawberry_django.mutation(description="The signed-in customer rates their own completed job (1 to 5), or "
                                            "changes their review within 14 days of giving it.")
    def submit_review(self, info: Info, booking_id: strawberry.ID, rating: int, comment: str = "",
                      may_publish: bool = False) -> ReviewPayload:
        return attempt(ReviewPayload, "review", lambda: services.review_submit(
            **who(info), booking_id=decode_id(booking_id, "Booking", "bookingId"), rating=rating, comment=comment,
            may_publish=may_publish))

    @strawberry_django.mutation(description="Show a review the customer allowed on the public page (staff).")
    def publish_review(self, info: Info, id: strawberry.ID) -> ReviewPayload:
        return attempt(ReviewPayload, "review", lambda: services.review_publish(
            **who(info), review_id=decode_id(id, "Review")))

    @strawberry_django.mutation(description="Take a review off the public page (staff).")
    def unpublish_review(self, info: Info, id: strawberry.ID) -> ReviewPayload:
        return attempt(ReviewPayload, "review", lambda: services.review_unpublish(
            **who(info), review_id=decode_id(id, "Review")))

    @strawberry_django.mutation(description="Call off a pending review request (staff); it is never sent.")
    def withdraw_review_request(self, info: Info, id: strawberry.ID) -> ReviewRequestPayload:
        return attempt(ReviewRequestPayload, "review_request", lambda: services.review_request_withdraw(
            **who(info), request_id=decode_id(id, "ReviewRequest")))
