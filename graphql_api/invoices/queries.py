from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import Enum

import strawberry
import strawberry_django
from django.db.models import F
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from core.actors import Actor
from core.errors import ValidationFailed
from core.sales.invoice_models import InvoiceEvent, InvoiceStatus
from core.sales.invoice_selectors import get_settings, today, visible_invoices, with_paid

from ..context import actor_from_info
from ..enums import SortDirection
from ..ids import decode_id
from ..pagination import CappedConnection
from ..permissions import require_staff
from .types import InvoiceHistoryNode, InvoiceNode, InvoiceSettingsType, InvoiceStatusEnum, PaymentStatusEnum


@strawberry.input(description="Narrow the invoices list. All given conditions apply.")
class InvoiceFilter:
    status: list[InvoiceStatusEnum] | None = None
    payment_status: list[PaymentStatusEnum] | None = strawberry.field(
        default=None, description="Derived from the payments (unpaid, part paid, paid, overpaid).")
    customer_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="The staff member who owns it.")
    booking_id: strawberry.ID | None = None
    issued_from: date | None = strawberry.field(default=None, description="Issued on or after this day.")
    issued_to: date | None = strawberry.field(default=None, description="Issued on or before this day.")
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool | None = strawberry.field(
        default=None, description="true: issued, past due, with a balance; false: all the others.")
    number: str | None = strawberry.field(default=None, description="The number contains this text.")


@strawberry.enum
class InvoiceOrderField(Enum):
    CREATED_AT = "created_at"
    ISSUE_DATE = "issue_date"
    DUE_DATE = "due_date"
    NUMBER = "number"
    TOTAL = "total"


@strawberry.input
class InvoiceOrder:
    field: InvoiceOrderField = InvoiceOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


def _range(low: date | None, high: date | None, field: str) -> None:
    if low is not None and high is not None and high < low:
        raise ValidationFailed(f"filter.{field}", "The end is before the start.", code="end_before_start")


def apply_invoice_filter(qs, flt: InvoiceFilter | None, actor: Actor):
    """``qs``: the caller's invoices with ``paid_amount`` (``with_paid``). Who owns an invoice is the
    office's to know: for anyone else an owner filter matches nothing, whoever it names (0150)."""
    if flt is None:
        return qs
    if flt.status:
        qs = qs.filter(status__in=[status.value for status in flt.status])
    if flt.customer_id is not None:
        qs = qs.filter(customer_id=decode_id(flt.customer_id, "Customer", "filter.customerId"))
    if flt.owner_id is not None:
        owner = decode_id(flt.owner_id, "User", "filter.ownerId")
        qs = qs.filter(owner_id=owner) if actor.is_staff else qs.none()
    if flt.booking_id is not None:
        qs = qs.filter(booking_id=decode_id(flt.booking_id, "Booking", "filter.bookingId"))
    _range(flt.issued_from, flt.issued_to, "issuedTo")
    _range(flt.due_from, flt.due_to, "dueTo")
    for value, lookup in ((flt.issued_from, "issue_date__gte"), (flt.issued_to, "issue_date__lte"),
                          (flt.due_from, "due_date__gte"), (flt.due_to, "due_date__lte")):
        if value is not None:
            qs = qs.filter(**{lookup: value})
    if flt.number:
        if len(flt.number) > 40:
            raise ValidationFailed("filter.number", "At most 40 characters.", code="too_long")
        qs = qs.filter(number__icontains=flt.number)
    if flt.overdue is not None:
        late = dict(status=InvoiceStatus.ISSUED, due_date__lt=today(), total__gt=F("paid_amount"))
        qs = qs.filter(**late) if flt.overdue else qs.exclude(pk__in=qs.filter(**late).values("pk"))
    if flt.payment_status:
        wanted = {status.value for status in flt.payment_status}
        from django.db.models import Q

        conditions = Q(pk__in=[])
        if "unpaid" in wanted:
            conditions |= Q(paid_amount=0, total__gt=0)
        if "part_paid" in wanted:
            conditions |= Q(paid_amount__gt=0, paid_amount__lt=F("total"))
        if "paid" in wanted:
            conditions |= Q(paid_amount=F("total"))
        if "overpaid" in wanted:
            conditions |= Q(paid_amount__gt=F("total"))
        qs = qs.filter(conditions)
    return qs


@strawberry.type
class InvoicesQuery:
    @strawberry_django.connection(CappedConnection[InvoiceNode],
                                  description="Invoices you may see: staff all (void ones included), a customer "
                                              "their own issued ones, a fieldworker none unless prices are shown "
                                              "to fieldworkers.")
    def invoices(self, info: Info, filter: InvoiceFilter | None = None,
                 order_by: InvoiceOrder | None = None) -> Iterable[InvoiceNode]:
        actor: Actor = actor_from_info(info)
        qs = apply_invoice_filter(with_paid(visible_invoices(actor)), filter, actor)
        order = order_by or InvoiceOrder()
        prefix = "-" if order.direction == SortDirection.DESC else ""
        return qs.order_by(f"{prefix}{order.field.value}", f"{prefix}id")  # type: ignore[return-value]

    @strawberry_django.field(description="One invoice; null when it does not exist or is not yours to see.")
    def invoice(self, info: Info, id: strawberry.ID) -> InvoiceNode | None:
        pk = decode_id(id, "Invoice")
        qs = with_paid(visible_invoices(actor_from_info(info)).filter(pk=pk))
        return optimize(qs, info).first()  # type: ignore[return-value]

    @strawberry_django.field(description="An invoice's history with who and through what, oldest first (staff; "
                                         "empty for others). Kept after a draft is deleted.")
    def invoice_history(self, info: Info, invoice_id: strawberry.ID) -> list[InvoiceHistoryNode]:
        pk = decode_id(invoice_id, "Invoice", "invoiceId")
        qs = InvoiceHistoryNode.get_queryset(InvoiceEvent.objects.filter(invoice_id=pk), info)
        return qs.order_by("at", "id")  # type: ignore[return-value]

    @strawberry_django.field(description="How the business invoices (staff).")
    def invoice_settings(self, info: Info) -> InvoiceSettingsType:
        require_staff(info)
        return get_settings()  # type: ignore[return-value]
