"""Payroll mutations: staff only, each with its payload and typed errors (``PayrollError`` codes,
decision 0102)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.payroll import services
from core.payroll.services import RateInput

from ..errors import UserError, attempt
from ..ids import decode_id, encode_id
from ..payloads import UNSET, given, who
from .types import PayBasisEnum, PayEntryNode, PaymentAgreementNode, PayrollRunNode


@strawberry.input(description="A service's rate: amount (per service basis, per unit) or percent (commission).")
class PaymentRateInput:
    service_id: strawberry.ID
    amount: Decimal | None = None
    percent: Decimal | None = None


@strawberry.input
class CreatePaymentAgreementInput:
    fieldworker_id: strawberry.ID
    basis: PayBasisEnum
    effective_from: date
    effective_to: date | None = strawberry.field(default=None, description="Inclusive; null: open-ended.")
    fixed_amount: Decimal | None = strawberry.field(default=None, description="Fixed basis: per booking.")
    rates: list[PaymentRateInput] = strawberry.field(default_factory=list)
    notes: str = ""


@strawberry.input(description="Change only the fields you send. Once pay was computed under an agreement, only "
                              "effectiveTo and notes change.")
class UpdatePaymentAgreementInput:
    id: strawberry.ID
    effective_from: date | None = UNSET
    effective_to: date | None = UNSET
    fixed_amount: Decimal | None = UNSET
    rates: list[PaymentRateInput] | None = UNSET
    notes: str | None = UNSET


@strawberry.input
class AdjustBookingPayInput:
    booking_id: strawberry.ID
    fieldworker_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Added (or, below zero, taken off); never zero.")
    reason: str


@strawberry.input
class CreatePayrollRunInput:
    period_start: date
    period_end: date = strawberry.field(description="Inclusive.")
    notes: str = ""


@strawberry.input
class MarkPayrollRunPaidInput:
    id: strawberry.ID
    reference: str = strawberry.field(default="", description="The bank batch or transfer reference.")


@strawberry.type
class PaymentAgreementPayload:
    agreement: PaymentAgreementNode | None = None
    errors: list[UserError]


@strawberry.type
class PayEntryPayload:
    entry: PayEntryNode | None = None
    errors: list[UserError]


@strawberry.type
class PayrollRunPayload:
    run: PayrollRunNode | None = None
    errors: list[UserError]


@strawberry.type
class DeletePayrollPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


def _rates(rates: list[PaymentRateInput] | None) -> list[RateInput] | None:
    if rates is None:
        return None
    return [RateInput(decode_id(rate.service_id, "Service", f"rates.{n}.serviceId"), amount=rate.amount,
                      percent=rate.percent) for n, rate in enumerate(rates)]


def _create_agreement(info: Info, data: CreatePaymentAgreementInput):
    return services.agreement_create(
        **who(info), fieldworker_id=decode_id(data.fieldworker_id, "Fieldworker", "fieldworkerId"),
        basis=data.basis.value, effective_from=data.effective_from, effective_to=data.effective_to,
        fixed_amount=data.fixed_amount, rates=_rates(data.rates) or [], notes=data.notes)


def _update_agreement(info: Info, data: UpdatePaymentAgreementInput):
    pk = decode_id(data.id, "PaymentAgreement")
    changes = given(effective_from=data.effective_from, effective_to=data.effective_to,
                    fixed_amount=data.fixed_amount, rates=data.rates, notes=data.notes)
    if "rates" in changes:
        changes["rates"] = _rates(changes["rates"]) or []
    if "notes" in changes and changes["notes"] is None:
        changes["notes"] = ""
    return services.agreement_update(**who(info), agreement_id=pk, **changes)


def _run_id(value) -> int:
    return decode_id(value, "PayrollRun")


@strawberry.type
class PayrollMutation:
    @strawberry_django.mutation(description="A fieldworker's payment agreement from a date (staff).")
    def create_payment_agreement(self, info: Info, input: CreatePaymentAgreementInput) -> PaymentAgreementPayload:
        return attempt(PaymentAgreementPayload, "agreement", lambda: _create_agreement(info, input))

    @strawberry_django.mutation(description="Change an agreement: its end date and notes always, its terms until "
                                            "pay is computed under it (staff).")
    def update_payment_agreement(self, info: Info, input: UpdatePaymentAgreementInput) -> PaymentAgreementPayload:
        return attempt(PaymentAgreementPayload, "agreement", lambda: _update_agreement(info, input))

    @strawberry_django.mutation(description="Delete an agreement no pay was computed under (staff).")
    def delete_payment_agreement(self, info: Info, id: strawberry.ID) -> DeletePayrollPayload:
        return attempt(DeletePayrollPayload, "deleted_id", lambda: encode_id(
            "PaymentAgreement", services.agreement_delete(**who(info), agreement_id=decode_id(id, "PaymentAgreement"))))

    @strawberry_django.mutation(description="Add to or take from a fieldworker's pay for a booking, with a reason "
                                            "(staff; recorded with who and when).")
    def adjust_booking_pay(self, info: Info, input: AdjustBookingPayInput) -> PayEntryPayload:
        return attempt(PayEntryPayload, "entry", lambda: services.booking_pay_adjust(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"), amount=input.amount,
            reason=input.reason))

    @strawberry_django.mutation(description="A draft run of the pay earned in a period and in no run yet, a "
                                            "statement per fieldworker (staff).")
    def create_payroll_run(self, info: Info, input: CreatePayrollRunInput) -> PayrollRunPayload:
        return attempt(PayrollRunPayload, "run", lambda: services.payroll_run_create(
            **who(info), period_start=input.period_start, period_end=input.period_end, notes=input.notes))

    @strawberry_django.mutation(description="Draft -> finalised: its statements reach the fieldworkers (staff).")
    def finalise_payroll_run(self, info: Info, id: strawberry.ID) -> PayrollRunPayload:
        return attempt(PayrollRunPayload, "run", lambda: services.payroll_run_finalise(
            **who(info), run_id=_run_id(id)))

    @strawberry_django.mutation(description="Finalised -> paid (staff).")
    def mark_payroll_run_paid(self, info: Info, input: MarkPayrollRunPaidInput) -> PayrollRunPayload:
        return attempt(PayrollRunPayload, "run", lambda: services.payroll_run_mark_paid(
            **who(info), run_id=_run_id(input.id), reference=input.reference))

    @strawberry_django.mutation(description="Delete a draft run; its pay goes to the next run (staff).")
    def delete_payroll_run(self, info: Info, id: strawberry.ID) -> DeletePayrollPayload:
        return attempt(DeletePayrollPayload, "deleted_id", lambda: encode_id(
            "PayrollRun", services.payroll_run_delete(**who(info), run_id=_run_id(id))))
