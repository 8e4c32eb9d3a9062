from __future__ import annotations

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from core.actors import Actor
from core.complaints.models import ComplaintEvent
from core.complaints.selectors import complaint_statuses, complaint_types, visible_complaints

from ..context import actor_from_info
from ..ids import decode_id, decode_many
from ..pagination import CappedConnection
from .types import ComplaintHistoryNode, ComplaintNode, ComplaintStatusNode, ComplaintTypeNode


@strawberry.input(description="Narrow the complaints list. All given conditions apply.")
class ComplaintFilter:
    open: bool | None = strawberry.field(default=None, description="true: not resolved; false: resolved.")
    status_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Any of these statuses.")
    type_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Any of these types.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="The staff member who owns it.")
    unowned: bool | None = strawberry.field(default=None, description="true: nobody owns it.")
    booking_id: strawberry.ID | None = None
    quote_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None


def apply_complaint_filter(qs, flt: ComplaintFilter | None, actor: Actor):
    """Who owns a complaint is the office's to know: for anyone else an owner filter matches nothing (0150)."""
    if flt is None:
        return qs
    if flt.open is not None:
        qs = qs.filter(is_resolved=not flt.open)
    statuses = decode_many(flt.status_ids, "ComplaintStatus", "filter.statusIds")
    if statuses is not None:
        qs = qs.filter(status_id__in=statuses)
    kinds = decode_many(flt.type_ids, "ComplaintType", "filter.typeIds")
    if kinds is not None:
        qs = qs.filter(type_id__in=kinds)
    if flt.owner_id is not None:
        owner = decode_id(flt.owner_id, "User", "filter.ownerId")
        qs = qs.filter(owner_id=owner) if actor.is_staff else qs.none()
    if flt.unowned is not None:
        qs = qs.filter(owner__isnull=flt.unowned) if actor.is_staff else qs.none()
    if flt.booking_id is not None:
        qs = qs.filter(booking_id=decode_id(flt.booking_id, "Booking", "filter.bookingId"))
    if flt.quote_id is not None:
        qs = qs.filter(quote_id=decode_id(flt.quote_id, "Quote", "filter.quoteId"))
    if flt.customer_id is not None:
        qs = qs.filter(customer_id=decode_id(flt.customer_id, "Customer", "filter.customerId"))
    return qs


@strawberry.type
class ComplaintsQuery:
    @strawberry_django.connection(CappedConnection[ComplaintNode],
                                  description="Complaints you may see, newest first: staff all, a customer their "
                                              "own customer-visible ones, a fieldworker the customer-visible ones "
                                              "on jobs they accepted.")
    def complaints(self, info: Info, filter: ComplaintFilter | None = None) -> Iterable[ComplaintNode]:
        actor: Actor = actor_from_info(info)
        qs = apply_complaint_filter(visible_complaints(actor), filter, actor)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="One complaint; null when it does not exist or is not yours to see.")
    def complaint(self, info: Info, id: strawberry.ID) -> ComplaintNode | None:
        pk = decode_id(id, "Complaint")
        return optimize(visible_complaints(actor_from_info(info)).filter(pk=pk), info).first()  # type: ignore

    @strawberry_django.field(description="A complaint's history with who and through what, oldest first (staff; "
                                         "empty for others).")
    def complaint_history(self, info: Info, complaint_id: strawberry.ID) -> list[ComplaintHistoryNode]:
        pk = decode_id(complaint_id, "Complaint", "complaintId")
        qs = ComplaintHistoryNode.get_queryset(ComplaintEvent.objects.filter(complaint_id=pk), info)
        return qs.order_by("at", "id")  # type: ignore[return-value]

    @strawberry_django.field(description="The complaint type list, by position then name.")
    def complaint_types(self, info: Info, active_only: bool = False) -> list[ComplaintTypeNode]:
        return list(complaint_types(actor_from_info(info), active_only=active_only))  # type: ignore[arg-type]

    @strawberry_django.field(description="The complaint status list, by position then name.")
    def complaint_statuses(self, info: Info, active_only: bool = False) -> list[ComplaintStatusNode]:
        return list(complaint_statuses(actor_from_info(info), active_only=active_only))  # type: ignore[arg-type]
