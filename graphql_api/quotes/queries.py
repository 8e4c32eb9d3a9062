from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import Enum

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from core.actors import Actor
from core.errors import ValidationFailed
from core.jobdata.models import Target
from core.jobdata.selectors import filter_by_values
from core.sales.quote_models import QuoteEvent
from core.sales.quote_selectors import visible_quotes

from ..context import actor_from_info
from ..enums import SortDirection
from ..ids import decode_id
from ..jobdata.types import CustomFieldFilter, conditions
from ..pagination import CappedConnection
from .types import QuoteHistoryNode, QuoteNode, QuoteStatusEnum


@strawberry.input(description="Narrow the quotes list. All given conditions apply.")
class QuoteFilter:
    status: list[QuoteStatusEnum] | None = None
    customer_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="The staff member who owns it.")
    label_id: strawberry.ID | None = strawberry.field(default=None, description="Tagged with this label (staff).")
    created_from: date | None = strawberry.field(default=None, description="Made on or after this day (UTC).")
    created_to: date | None = strawberry.field(default=None, description="Made on or before this day (UTC).")
    valid_from: date | None = strawberry.field(default=None, description="Valid until this day or later.")
    valid_to: date | None = strawberry.field(default=None, description="Valid until this day or earlier.")
    follow_up_from: date | None = None
    follow_up_to: date | None = None
    number: str | None = strawberry.field(default=None, description="The number contains this text.")
    custom_fields: list[CustomFieldFilter] | None = strawberry.field(
        default=None, description="Quotes whose custom field values match all of these (fields you may read).")


@strawberry.enum
class QuoteOrderField(Enum):
    CREATED_AT = "created_at"
    VALID_UNTIL = "valid_until"
    FOLLOW_UP_DATE = "follow_up_date"
    NUMBER = "number"
    TOTAL = "total"


@strawberry.input
class QuoteOrder:
    field: QuoteOrderField = QuoteOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


def _range(low: date | None, high: date | None, field: str) -> None:
    if low is not None and high is not None and high < low:
        raise ValidationFailed(f"filter.{field}", "The end is before the start.", code="end_before_start")


def apply_quote_filter(qs, flt: QuoteFilter | None, actor: Actor):
    """Who owns a quote and how it is labelled are the office's to know: for anyone else an owner or
    label filter matches nothing, whatever it names (0150)."""
    if flt is None:
        return qs
    if flt.status:
        qs = qs.filter(status__in=[status.value for status in flt.status])
    if flt.customer_id is not None:
        qs = qs.filter(customer_id=decode_id(flt.customer_id, "Customer", "filter.customerId"))
    if flt.owner_id is not None:
        owner = decode_id(flt.owner_id, "User", "filter.ownerId")
        qs = qs.filter(owner_id=owner) if actor.is_staff else qs.none()
    if flt.label_id is not None:
        label = decode_id(flt.label_id, "Label", "filter.labelId")
        qs = qs.filter(labels__id=label) if actor.is_staff else qs.none()
    _range(flt.created_from, flt.created_to, "createdTo")
    _range(flt.valid_from, flt.valid_to, "validTo")
    _range(flt.follow_up_from, flt.follow_up_to, "followUpTo")
    for value, lookup in ((flt.created_from, "created_at__date__gte"), (flt.created_to, "created_at__date__lte"),
                          (flt.valid_from, "valid_until__gte"), (flt.valid_to, "valid_until__lte"),
                          (flt.follow_up_from, "follow_up_date__gte"), (flt.follow_up_to, "follow_up_date__lte")):
        if value is not None:
            qs = qs.filter(**{lookup: value})
    if flt.number:
        if len(flt.number) > 40:
            raise ValidationFailed("filter.number", "At most 40 characters.", code="too_long")
        qs = qs.filter(number__icontains=flt.number)
    if flt.custom_fields:
        qs = filter_by_values(qs, actor, Target.QUOTE, conditions(flt.custom_fields))
    return qs


@strawberry.type
class QuotesQuery:
    @strawberry_django.connection(CappedConnection[QuoteNode],
                                  description="Quotes you may see: staff all, a customer their own sent ones, a "
                                              "fieldworker none.")
    def quotes(self, info: Info, filter: QuoteFilter | None = None,
               order_by: QuoteOrder | None = None) -> Iterable[QuoteNode]:
        actor: Actor = actor_from_info(info)
        qs = apply_quote_filter(visible_quotes(actor), filter, actor)
        order = order_by or QuoteOrder()
        prefix = "-" if order.direction == SortDirection.DESC else ""
        return qs.order_by(f"{prefix}{order.field.value}", f"{prefix}id")  # type: ignore[return-value]

    @strawberry_django.field(description="One quote; null when it does not exist or is not yours to see.")
    def quote(self, info: Info, id: strawberry.ID) -> QuoteNode | None:
        pk = decode_id(id, "Quote")
        return optimize(visible_quotes(actor_from_info(info)).filter(pk=pk), info).first()  # type: ignore[return-value]

    @strawberry_django.field(description="A quote's history with who and through what, oldest first (staff; empty "
                                         "for others). Kept after a draft is deleted.")
    def quote_history(self, info: Info, quote_id: strawberry.ID) -> list[QuoteHistoryNode]:
        pk = decode_id(quote_id, "Quote", "quoteId")
        qs = QuoteHistoryNode.get_queryset(QuoteEvent.objects.filter(quote_id=pk), info)
        return qs.order_by("at", "id")  # type: ignore[return-value]
