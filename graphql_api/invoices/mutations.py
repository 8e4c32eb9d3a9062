"""Invoice and payment mutations: staff only, each with its payload and typed errors (decision 0102)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.sales import invoices, payments
from core.sales.invoices import InvoiceLineInput

from ..errors import UserError, attempt
from ..ids import decode_id, decode_optional
from ..payloads import UNSET, given, who
from .types import (
    AutoInvoiceEnum,
    InvoiceLineKindEnum,
    InvoiceNode,
    InvoiceSettingsType,
    PaymentMethodEnum,
    PaymentNode,
)


@strawberry.input(description="One line of the breakdown. An item names a catalogue service, product or package "
                              "(priced by the engine; a unitPrice that differs is an override kept with who set it) "
                              "or is typed with its price; a fee or a discount is typed (a discount's unitPrice is "
                              "the amount off).")
class InvoiceLineInputType:
    kind: InvoiceLineKindEnum = InvoiceLineKindEnum("item")  # type: ignore[call-arg]
    description: str = ""
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = strawberry.field(default=None, description="Percent typed by hand; the item's rate "
                                                                        "when neither this nor taxRateId is given.")
    tax_rate_id: strawberry.ID | None = strawberry.field(default=None, description="A TaxRate (active), instead of "
                                                                                 "a typed percent.")
    discount_percent: Decimal | None = strawberry.field(default=None, description="Percent off an item line.")
    service_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    package_id: strawberry.ID | None = None


@strawberry.input
class CreateInvoiceInput:
    customer_id: strawberry.ID
    trading_name_id: strawberry.ID | None = strawberry.field(default=None, description="The default when not given.")
    booking_id: strawberry.ID | None = strawberry.field(default=None, description="The job it is for, if one.")
    lines: list[InvoiceLineInputType] = strawberry.field(default_factory=list)
    due_date: date | None = None
    notes: str = ""


@strawberry.input
class InvoiceFromBookingInput:
    booking_id: strawberry.ID
    trading_name_id: strawberry.ID | None = None


@strawberry.input(description="Change only the fields you send (drafts only).")
class UpdateInvoiceInput:
    id: strawberry.ID
    due_date: date | None = UNSET
    notes: str | None = UNSET
    trading_name_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Another trading name: a number from its sequence, the old one retired.")


@strawberry.input
class SetInvoiceLinesInput:
    invoice_id: strawberry.ID
    lines: list[InvoiceLineInputType]


@strawberry.input
class IssueInvoiceInput:
    id: strawberry.ID
    send_email: bool = strawberry.field(default=True, description="E-mail it to the customer with its PDF.")


@strawberry.input
class InvoiceReasonInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.input
class ChangeInvoiceNumberInput:
    id: strawberry.ID
    number: int = strawberry.field(description="The number without its prefix; one never used in this sequence.")


@strawberry.input
class RecordPaymentInput:
    invoice_id: strawberry.ID
    amount: Decimal
    method: PaymentMethodEnum
    paid_on: date | None = strawberry.field(default=None, description="Today (company time) when not given.")
    reference: str = ""


@strawberry.input
class RemovePaymentInput:
    id: strawberry.ID
    reason: str


@strawberry.input(description="Change only the fields you send.")
class UpdateInvoiceSettingsInput:
    on_completion: AutoInvoiceEnum | None = UNSET
    on_cancellation_fee: AutoInvoiceEnum | None = UNSET
    payment_terms_days: int | None = UNSET
    reminder_interval_days: int | None = UNSET
    reminder_limit: int | None = UNSET
    fieldworkers_see_prices: bool | None = UNSET


@strawberry.type
class InvoicePayload:
    invoice: InvoiceNode | None = None
    errors: list[UserError]


@strawberry.type
class DeleteInvoicePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


@strawberry.type
class PaymentPayload:
    payment: PaymentNode | None = None
    errors: list[UserError]


@strawberry.type
class InvoiceSettingsPayload:
    settings: InvoiceSettingsType | None = None
    errors: list[UserError]


def _lines(lines: list[InvoiceLineInputType]) -> list[InvoiceLineInput]:
    return [InvoiceLineInput(
        kind=line.kind.value, description=line.description, quantity=line.quantity, unit_price=line.unit_price,
        tax_rate=line.tax_rate, discount_percent=line.discount_percent,
        service_id=decode_optional(line.service_id, "Service", f"lines.{n}.serviceId"),
        product_id=decode_optional(line.product_id, "Product", f"lines.{n}.productId"),
        package_id=decode_optional(line.package_id, "ServicePackage", f"lines.{n}.packageId"),
        tax_rate_id=decode_optional(line.tax_rate_id, "TaxRate", f"lines.{n}.taxRateId"))
        for n, line in enumerate(lines)]


def _create(info: Info, data: CreateInvoiceInput):
    return invoices.invoice_create(
        **who(info), customer_id=decode_id(data.customer_id, "Customer", "customerId"),
        trading_name_id=decode_optional(data.trading_name_id, "TradingName", "tradingNameId"),
        booking_id=decode_optional(data.booking_id, "Booking", "bookingId"), lines=_lines(data.lines),
        due_date=data.due_date, notes=data.notes)


def _update(info: Info, data: UpdateInvoiceInput):
    pk = decode_id(data.id, "Invoice")
    changes = given(due_date=data.due_date, notes=data.notes, trading_name_id=data.trading_name_id)
    if changes.get("trading_name_id") is not None:
        changes["trading_name_id"] = decode_id(changes["trading_name_id"], "TradingName", "tradingNameId")
    if "notes" in changes and changes["notes"] is None:
        changes["notes"] = ""
    return invoices.invoice_update(**who(info), invoice_id=pk, **changes)


def _settings(info: Info, data: UpdateInvoiceSettingsInput):
    changes = {key: value for key, value in given(
        on_completion=data.on_completion, on_cancellation_fee=data.on_cancellation_fee,
        payment_terms_days=data.payment_terms_days, reminder_interval_days=data.reminder_interval_days,
        reminder_limit=data.reminder_limit, fieldworkers_see_prices=data.fieldworkers_see_prices).items()
        if value is not None}
    for key in ("on_completion", "on_cancellation_fee"):
        if key in changes:
            changes[key] = changes[key].value
    return invoices.settings_update(**who(info), **changes)


def _invoice_id(value, field: str = "id") -> int:
    return decode_id(value, "Invoice", field)


@strawberry.type
class InvoicesMutation:
    @strawberry_django.mutation(description="A draft invoice made by hand (staff).")
    def create_invoice(self, info: Info, input: CreateInvoiceInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: _create(info, input))

    @strawberry_django.mutation(description="A draft invoice of a completed booking, with its lines (staff).")
    def create_invoice_from_booking(self, info: Info, input: InvoiceFromBookingInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_create_from_booking(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            trading_name_id=decode_optional(input.trading_name_id, "TradingName", "tradingNameId")))

    @strawberry_django.mutation(description="A draft invoice of the fee a cancelled booking was charged (staff).")
    def create_invoice_for_cancellation_fee(self, info: Info, input: InvoiceFromBookingInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_create_for_cancellation_fee(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            trading_name_id=decode_optional(input.trading_name_id, "TradingName", "tradingNameId")))

    @strawberry_django.mutation(description="Change a draft's due date, notes or trading name (staff).")
    def update_invoice(self, info: Info, input: UpdateInvoiceInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: _update(info, input))

    @strawberry_django.mutation(description="Replace a draft's breakdown: items, fees, discounts, taxes (staff).")
    def set_invoice_lines(self, info: Info, input: SetInvoiceLinesInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_set_lines(
            **who(info), invoice_id=_invoice_id(input.invoice_id, "invoiceId"), lines=_lines(input.lines)))

    @strawberry_django.mutation(description="Draft -> issued; e-mailed with its PDF unless sendEmail is false (staff).")
    def issue_invoice(self, info: Info, input: IssueInvoiceInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_issue(
            **who(info), invoice_id=_invoice_id(input.id), send_email=input.send_email))

    @strawberry_django.mutation(description="Issued -> draft, to correct it; recorded with the reason (staff).")
    def convert_invoice_to_draft(self, info: Info, input: InvoiceReasonInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_to_draft(
            **who(info), invoice_id=_invoice_id(input.id), reason=input.reason))

    @strawberry_django.mutation(description="Issued -> void for good; it keeps its number and stays listed (staff).")
    def void_invoice(self, info: Info, input: InvoiceReasonInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_void(
            **who(info), invoice_id=_invoice_id(input.id), reason=input.reason))

    @strawberry_django.mutation(description="Delete a draft; its number is retired, never reused (staff).")
    def delete_invoice(self, info: Info, id: strawberry.ID) -> DeleteInvoicePayload:
        def work():
            from ..ids import encode_id

            return encode_id("Invoice", invoices.invoice_delete(**who(info), invoice_id=_invoice_id(id)))

        return attempt(DeleteInvoicePayload, "deleted_id", work)

    @strawberry_django.mutation(description="Give the invoice another number never used in its sequence (staff).")
    def change_invoice_number(self, info: Info, input: ChangeInvoiceNumberInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_change_number(
            **who(info), invoice_id=_invoice_id(input.id), number=input.number))

    @strawberry_django.mutation(description="Become the invoice's owner (staff).")
    def claim_invoice(self, info: Info, id: strawberry.ID) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: invoices.invoice_claim(
            **who(info), invoice_id=_invoice_id(id)))

    @strawberry_django.mutation(description="Record money received against an issued invoice (staff).")
    def record_payment(self, info: Info, input: RecordPaymentInput) -> PaymentPayload:
        return attempt(PaymentPayload, "payment", lambda: payments.payment_record(
            **who(info), invoice_id=_invoice_id(input.invoice_id, "invoiceId"), amount=input.amount,
            method=input.method.value, paid_on=input.paid_on, reference=input.reference))

    @strawberry_django.mutation(description="Take back a payment recorded in error or refunded (staff).")
    def remove_payment(self, info: Info, input: RemovePaymentInput) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: payments.payment_remove(
            **who(info), payment_id=decode_id(input.id, "Payment"), reason=input.reason))

    @strawberry_django.mutation(description="Change how the business invoices (staff).")
    def update_invoice_settings(self, info: Info, input: UpdateInvoiceSettingsInput) -> InvoiceSettingsPayload:
        return attempt(InvoiceSettingsPayload, "settings", lambda: _settings(info, input))
