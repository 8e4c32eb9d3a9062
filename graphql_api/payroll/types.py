"""Payment agreements, booking pay, payroll runs and statements as GraphQL types. Rows reach a caller
only through ``core.payroll.selectors`` (decision 0103): staff all; a fieldworker their own
agreements, pay and the statements of finalised runs (decision 0854); runs and history: staff."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.payroll import statements
from core.payroll.models import (
    EntryKind,
    PayBasis,
    PayEntry,
    PaymentAgreement,
    PaymentRate,
    PayrollEvent,
    PayrollRun,
    PayrollRunItem,
    PayrollStatement,
    RunStatus,
)
from core.payroll.selectors import (
    visible_agreements,
    visible_entries,
    visible_history,
    visible_runs,
    visible_statements,
)

from ..catalog.types import ServiceNode
from ..context import actor_from_info
from ..enums import ActorKindEnum, ChannelEnum, _mirror
from ..nodes import PK
from ..workforce.types import FieldworkerNode

PayBasisEnum = _mirror(PayBasis, "PayBasis", "How a fieldworker is paid: per booking, per service, or commission.")
PayEntryKindEnum = _mirror(EntryKind, "PayEntryKind", "A line of the booking, the booking (fixed), or an adjustment.")
PayrollRunStatusEnum = _mirror(RunStatus, "PayrollRunStatus", "Draft, finalised or paid.")


def _scoped(queryset, info: Info, visible):
    actor = actor_from_info(info)
    if actor.is_staff:
        return queryset
    return queryset.filter(pk__in=visible(actor).values("pk"))


@strawberry_django.type(PaymentRate, name="PaymentRate", description="One service's rate in an agreement.")
class PaymentRateType:
    service: ServiceNode
    amount: Decimal | None = strawberry_django.field(description="Per service: paid per unit of the line.")
    percent: Decimal | None = strawberry_django.field(description="Commission: percent of the line total.")


@strawberry_django.type(PaymentAgreement, name="PaymentAgreement",
                        description="How a fieldworker is paid between two dates (staff; a fieldworker their own).")
class PaymentAgreementNode(relay.Node):
    _id_attr = PK
    fieldworker: FieldworkerNode
    basis: PayBasisEnum
    fixed_amount: Decimal | None = strawberry_django.field(description="Fixed basis: per booking.")
    effective_from: date
    effective_to: date | None = strawberry_django.field(description="Inclusive; null: open-ended.")
    notes: str
    created_at: datetime
    rates: list[PaymentRateType]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_agreements)


@strawberry_django.type(PayEntry, name="PayEntry", description="What one fieldworker earned on one booking.")
class PayEntryNode(relay.Node):
    _id_attr = PK
    kind: PayEntryKindEnum
    basis: str = strawberry_django.field(description="The agreement's basis when computed (empty: an adjustment).")
    rate: str = strawberry_django.field(description="As applied: 15.00 per unit, 20%, 80.00 per booking.")
    gross: Decimal = strawberry_django.field(description="The figure before the split.")
    share: int = strawberry_django.field(description="1-based place in the split (the order of accepting).")
    shares: int = strawberry_django.field(description="How many fieldworkers the figure was split among.")
    amount: Decimal
    reason: str = strawberry_django.field(description="An adjustment's reason.")
    earned_on: date
    created_at: datetime
    fieldworker: FieldworkerNode

    @strawberry_django.field(only=["booking_id"], select_related=["booking"])
    def booking_number(self) -> int:
        return self.booking.number  # type: ignore[attr-defined]

    @strawberry_django.field(only=["line_id"], select_related=["line"],
                             description="The booking line it pays; null for the booking or an adjustment.")
    def line_description(self) -> str | None:
        return self.line.description if self.line_id else None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_entries)


@strawberry.type(name="BookingPay", description="What the fieldworkers earned on a booking (staff all; a "
                                                 "fieldworker their own).")
class BookingPayType:
    booking_id: strawberry.ID
    total: Decimal
    entries: list[PayEntryNode]


_ITEMS = Prefetch("items", queryset=PayrollRunItem.objects.select_related("entry__booking", "entry__line",
                                                                          "entry__fieldworker").order_by(
    "entry__earned_on", "entry__booking_id", "entry__kind", "entry_id"))


@strawberry_django.type(PayrollStatement, name="PayrollStatement",
                        description="One fieldworker's pay in a run: bookings, amounts and adjustments.")
class PayrollStatementNode(relay.Node):
    _id_attr = PK
    fieldworker: FieldworkerNode
    bookings: int = strawberry_django.field(description="How many bookings it pays.")
    earned: Decimal = strawberry_django.field(description="From bookings.")
    adjustments: Decimal
    total: Decimal

    @strawberry_django.field(only=["run_id"], select_related=["run"])
    def period_start(self) -> date:
        return self.run.period_start  # type: ignore[attr-defined]

    @strawberry_django.field(only=["run_id"], select_related=["run"])
    def period_end(self) -> date:
        return self.run.period_end  # type: ignore[attr-defined]

    @strawberry_django.field(only=["run_id"], select_related=["run"])
    def run_status(self) -> PayrollRunStatusEnum:
        return PayrollRunStatusEnum(self.run.status)  # type: ignore[attr-defined]

    @strawberry_django.field(prefetch_related=[_ITEMS], description="The entries it pays, by day.")
    def entries(self) -> list[PayEntryNode]:
        return [item.entry for item in self.items.all()]  # type: ignore[attr-defined,misc]

    @strawberry_django.field(only=["run_id", "fieldworker_id", "total"], select_related=["run"],
                             description="A short-lived signed link of the PDF.")
    def pdf_url(self, info: Info) -> str | None:
        return statements.download_url(actor_from_info(info), self)  # type: ignore[arg-type]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_statements)


@strawberry_django.type(PayrollRun, name="PayrollRun", description="The pay of a period (staff).")
class PayrollRunNode(relay.Node):
    _id_attr = PK
    period_start: date
    period_end: date
    status: PayrollRunStatusEnum
    total: Decimal
    notes: str
    created_at: datetime
    finalised_at: datetime | None
    paid_at: datetime | None
    payment_reference: str
    statements: list[PayrollStatementNode]

    @strawberry_django.field(only=["period_start", "period_end", "total"],
                             description="The run as CSV: a row per entry, a total per fieldworker, the run's total.")
    def csv(self) -> str:
        return statements.run_csv(self)  # type: ignore[arg-type]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_runs)


@strawberry_django.type(PayrollEvent, name="PayrollHistoryEntry",
                        description="One change of an agreement, a booking's pay or a run (staff).")
class PayrollHistoryNode(relay.Node):
    _id_attr = PK
    at: datetime
    subject: str
    action: str
    actor_kind: ActorKindEnum
    actor_label: str
    channel: ChannelEnum
    data: JSON

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_history)
