import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
import strawberry_django
from django.utils import timezone
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from core.actors import Actor
from core.bookings import services
from core.bookings.models import ACTIVE_ASSIGNMENT, BookingEvent
from core.bookings.selectors import visible_assignments, visible_bookings
from core.company.selectors import get_company
from core.errors import ValidationFailed
from core.jobdata.selectors import filter_by_values

from ..context import actor_from_info
from ..crm.types import dependents_prefetch
from ..enums import BookingStatusEnum, SortDirection
from ..ids import decode_id
from ..jobdata.types import CustomFieldFilter, conditions, values_prefetch
from ..pagination import CappedConnection
from ..permissions import require_authenticated
from .types import BookingNode, CancellationQuote, HistoryEntryNode, RescheduleOptions, RescheduleSlot


@strawberry.input(description="Narrow the bookings list. All given conditions apply.")
class BookingFilter:
    status: list[BookingStatusEnum] | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Bookings still running at or after this instant.")
    to: datetime | None = strawberry.field(default=None, description="Bookings starting before this instant.")
    customer_id: strawberry.ID | None = None
    fieldworker_id: strawberry.ID | None = strawberry.field(
        default=None, description="Bookings offered to or accepted by this fieldworker.")
    custom_fields: list[CustomFieldFilter] | None = strawberry.field(
        default=None, description="Bookings whose custom field values match all of these (fields you may read).")


@strawberry.enum
class BookingOrderField(Enum):
    SCHEDULED_START = "scheduled_start"
    NUMBER = "number"
    CREATED_AT = "created_at"
    STATUS = "status"


@strawberry.input
class BookingOrder:
    field: BookingOrderField = BookingOrderField.SCHEDULED_START
    direction: SortDirection = SortDirection.ASC


def _instant(value: datetime, field: str) -> datetime:
    """Aware datetimes as given; naive ones are wall-clock time in the company's zone."""
    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=zoneinfo.ZoneInfo(get_company().time_zone))


def apply_booking_filter(qs, flt: BookingFilter | None, actor: Actor):
    """Narrow ``qs`` (already the actor's bookings). A filter reads only what the actor may read:
    filtering by fieldworker goes through the assignments the actor can see (a customer sees the
    accepted ones only, so an offer never shows through a count)."""
    if flt is None:
        return qs
    if flt.status:
        qs = qs.filter(status__in=[status.value for status in flt.status])
    start = _instant(flt.from_, "filter.from") if flt.from_ else None
    end = _instant(flt.to, "filter.to") if flt.to else None
    if start and end and end <= start:
        raise ValidationFailed("filter.to", "'to' must be after 'from'.", code="end_before_start")
    if start:
        qs = qs.filter(scheduled_end__gt=start)
    if end:
        qs = qs.filter(scheduled_start__lt=end)
    if flt.customer_id is not None:
        qs = qs.filter(customer_id=decode_id(flt.customer_id, "Customer", "filter.customerId"))
    if flt.fieldworker_id is not None:
        fieldworker_pk = decode_id(flt.fieldworker_id, "Fieldworker", "filter.fieldworkerId")
        offered = visible_assignments(actor).filter(fieldworker_id=fieldworker_pk, status__in=ACTIVE_ASSIGNMENT)
        qs = qs.filter(pk__in=offered.values("booking_id"))
    if flt.custom_fields:
        qs = filter_by_values(qs, actor, "booking", conditions(flt.custom_fields))
    return qs


def apply_booking_order(qs, order: BookingOrder | None):
    order = order or BookingOrder()
    prefix = "-" if order.direction == SortDirection.DESC else ""
    return qs.order_by(f"{prefix}{order.field.value}", f"{prefix}id")


def _asks(selections, wanted: str) -> bool:
    """Whether ``wanted`` is selected directly in ``selections`` (fragments included)."""
    for item in selections:
        name = getattr(item, "name", None)
        if name == wanted or (name is None and _asks(getattr(item, "selections", None) or [], wanted)):
            return True
    return False


def _node_fields(info: Info) -> set[str]:
    """Names of the fields selected on the connection's nodes (fragments included), and
    ``<name>.customFields`` when a node's field selects its custom fields."""
    names: set[str] = set()

    def walk(selections, depth: int) -> None:
        for item in selections:
            name = getattr(item, "name", None)
            children = getattr(item, "selections", None) or []
            if name is None:  # a fragment: its fields belong to the same level
                walk(children, depth)
            elif depth == 2:
                names.add(name)
                if _asks(children, "customFields"):
                    names.add(f"{name}.customFields")
                if _asks(children, "dependents"):
                    names.add(f"{name}.dependents")
            elif (depth, name) in ((0, "edges"), (1, "node")):
                walk(children, depth + 1)

    for field in info.selected_fields:
        walk(field.selections, 0)
    return names


@strawberry.type
class BookingsQuery:
    @strawberry_django.connection(CappedConnection[BookingNode],
                                  description="Bookings you may see: staff all, a fieldworker theirs, "
                                              "a customer their own.")
    def bookings(self, info: Info, filter: BookingFilter | None = None,
                 order_by: BookingOrder | None = None) -> Iterable[BookingNode]:
        actor: Actor = actor_from_info(info)
        qs = apply_booking_filter(visible_bookings(actor), filter, actor)
        if actor.is_staff:
            # Staff see every customer and property, so a join answers what the optimiser would
            # otherwise prefetch through the scoped types (the prefetch then finds them cached).
            wanted = _node_fields(info)
            joins = [name for name in ("customer", "property") if name in wanted]
            if joins:
                qs = qs.select_related(*joins)
            # the optimiser's prefetch of a joined relation finds it cached and never runs, nor
            # what is nested in it: a joined object's custom field values are prefetched here
            qs = qs.prefetch_related(*(values_prefetch(name)(info, through=name) for name in joins
                                       if f"{name}.customFields" in wanted))
            if "customer.dependents" in wanted:  # likewise the joined customers' dependents
                qs = qs.prefetch_related(dependents_prefetch(info, through="customer"))
        return apply_booking_order(qs, order_by)  # type: ignore[return-value]

    @strawberry_django.field(description="One booking; null when it does not exist or is not yours to see.")
    def booking(self, info: Info, id: strawberry.ID) -> BookingNode | None:
        pk = decode_id(id, "Booking")
        qs = visible_bookings(actor_from_info(info)).filter(pk=pk)
        return optimize(qs, info).first()  # type: ignore[return-value]

    @strawberry_django.field(description="A booking's timeline, oldest first (empty when not yours to see).")
    def booking_history(self, info: Info, booking_id: strawberry.ID) -> list[HistoryEntryNode]:
        pk = decode_id(booking_id, "Booking", "bookingId")
        qs = HistoryEntryNode.get_queryset(BookingEvent.objects.filter(booking_id=pk), info)
        return qs.order_by("at", "id")  # type: ignore[return-value]

    @strawberry_django.field(description="What cancelling would cost you now, and whether you may.")
    def cancellation_quote(self, info: Info, booking_id: strawberry.ID) -> CancellationQuote:
        actor = require_authenticated(info)
        from core.actors import Channel

        quote = services.booking_cancellation_quote(
            actor=actor, channel=Channel.GRAPHQL, booking_id=decode_id(booking_id, "Booking", "bookingId"))
        return CancellationQuote(allowed=quote.allowed, fee=quote.fee, inside_notice_window=quote.inside_window,
                                 code=quote.code or None, message=quote.message or None)

    @strawberry_django.field(description="Whether you may move this booking now, and to which times.")
    def reschedule_options(self, info: Info, booking_id: strawberry.ID) -> RescheduleOptions:
        actor = require_authenticated(info)
        from core.actors import Channel

        found = services.booking_reschedule_options(
            actor=actor, channel=Channel.GRAPHQL, booking_id=decode_id(booking_id, "Booking", "bookingId"))
        return RescheduleOptions(allowed=found.allowed, code=found.code or None, message=found.message or None,
                                 slots=[RescheduleSlot(start=slot.start, end=slot.end) for slot in found.slots])
