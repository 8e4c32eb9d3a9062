from __future__ import annotations

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from core.actors import Actor
from core.money import ZERO
from core.payroll.models import PayrollEvent
from core.payroll.selectors import visible_agreements, visible_entries, visible_runs, visible_statements

from ..context import actor_from_info
from ..ids import decode_id, decode_optional
from ..pagination import CappedConnection
from .types import (
    BookingPayType,
    PaymentAgreementNode,
    PayrollHistoryNode,
    PayrollRunNode,
    PayrollRunStatusEnum,
    PayrollStatementNode,
)


@strawberry.type
class PayrollQuery:
    @strawberry_django.field(description="Payment agreements, newest first: staff all (or one fieldworker's), a "
                                         "fieldworker their own; empty for others.")
    def payment_agreements(self, info: Info, fieldworker_id: strawberry.ID | None = None) -> list[PaymentAgreementNode]:
        qs = visible_agreements(actor_from_info(info))
        fieldworker = decode_optional(fieldworker_id, "Fieldworker", "fieldworkerId")
        if fieldworker is not None:
            qs = qs.filter(fieldworker_id=fieldworker)
        return qs.order_by("fieldworker_id", "-effective_from", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="One agreement; null when it does not exist or is not yours to see.")
    def payment_agreement(self, info: Info, id: strawberry.ID) -> PaymentAgreementNode | None:
        qs = visible_agreements(actor_from_info(info)).filter(pk=decode_id(id, "PaymentAgreement"))
        return optimize(qs, info).first()  # type: ignore[return-value]

    @strawberry_django.field(description="What the fieldworkers earned on a booking: staff every entry, a "
                                         "fieldworker their own; empty for a booking not yours or none at all.")
    def booking_pay(self, info: Info, booking_id: strawberry.ID) -> BookingPayType:
        pk = decode_id(booking_id, "Booking", "bookingId")
        qs = visible_entries(actor_from_info(info)).filter(booking_id=pk).order_by("fieldworker_id", "kind",
                                                                                    "line_id", "id")
        entries = list(optimize(qs, info))
        return BookingPayType(booking_id=booking_id, total=sum((entry.amount for entry in entries), ZERO),
                              entries=entries)  # type: ignore[arg-type]

    @strawberry_django.connection(CappedConnection[PayrollRunNode],
                                  description="Payroll runs, newest period first (staff; empty for others).")
    def payroll_runs(self, info: Info, status: list[PayrollRunStatusEnum] | None = None) -> Iterable[PayrollRunNode]:
        qs = visible_runs(actor_from_info(info))
        if status:
            qs = qs.filter(status__in=[value.value for value in status])
        return qs.order_by("-period_start", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="One run; null when it does not exist or is not yours to see.")
    def payroll_run(self, info: Info, id: strawberry.ID) -> PayrollRunNode | None:
        qs = visible_runs(actor_from_info(info)).filter(pk=decode_id(id, "PayrollRun"))
        return optimize(qs, info).first()  # type: ignore[return-value]

    @strawberry_django.connection(CappedConnection[PayrollStatementNode],
                                  description="Pay statements: staff all (or one run's), a fieldworker their own of "
                                              "finalised and paid runs (runId is for staff).")
    def payroll_statements(self, info: Info, run_id: strawberry.ID | None = None) -> Iterable[PayrollStatementNode]:
        actor: Actor = actor_from_info(info)
        qs = visible_statements(actor)
        run = decode_optional(run_id, "PayrollRun", "runId")
        if run is not None:  # runs are the office's: for anyone else a run filter matches nothing (0150)
            qs = qs.filter(run_id=run) if actor.is_staff else qs.none()
        return qs.order_by("-run__period_start", "fieldworker__name", "id")  # type: ignore[return-value]

    @strawberry_django.field(description="One statement; null when it does not exist or is not yours to see.")
    def payroll_statement(self, info: Info, id: strawberry.ID) -> PayrollStatementNode | None:
        qs = visible_statements(actor_from_info(info)).filter(pk=decode_id(id, "PayrollStatement"))
        return optimize(qs, info).first()  # type: ignore[return-value]

    @strawberry_django.field(description="The payroll history of a booking's pay, oldest first, with who and "
                                         "through what (staff; empty for others).")
    def booking_pay_history(self, info: Info, booking_id: strawberry.ID) -> list[PayrollHistoryNode]:
        pk = decode_id(booking_id, "Booking", "bookingId")
        qs = PayrollHistoryNode.get_queryset(PayrollEvent.objects.filter(booking_id=pk), info)
        return qs.order_by("at", "id")  # type: ignore[return-value]
