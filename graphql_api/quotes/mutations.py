"""Quote mutations, each with its payload and typed errors (decision 0102): staff write; a customer
accepts or declines their own sent quote (decision 0822)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
import strawberry_django
from strawberry.types import Info

from core.errors import DomainError
from core.sales import quotes

from ..errors import UserError, attempt
from ..ids import decode_id, decode_many, decode_optional
from ..invoices.mutations import InvoiceLineInputType, InvoicePayload, _lines
from ..jobdata.mutations import CustomFieldValueInput, values_given
from ..payloads import UNSET, given, who
from .types import QuoteNode


@strawberry.input
class CreateQuoteInput:
    customer_id: strawberry.ID
    trading_name_id: strawberry.ID | None = strawberry.field(default=None, description="The default when not given.")
    property_id: strawberry.ID | None = strawberry.field(default=None,
                                                         description="Where the work is (prices by zone).")
    lines: list[InvoiceLineInputType] = strawberry.field(default_factory=list)
    valid_until: date | None = strawberry.field(default=None, description="30 days from sending when not given.")
    follow_up_date: date | None = None
    agreed_start: datetime | None = strawberry.field(
        default=None, description="A time agreed for the job; naive: wall-clock time at the property.")
    label_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    notes: str = ""
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Custom field values of the quote, checked like setCustomFieldValues; with them, "
                                  "the quote's required fields must be filled. A refused value creates nothing.")


@strawberry.input(description="Change only the fields you send. Notes, property, agreed time and trading name on a "
                              "draft; validity on a draft or sent quote; follow-up date and labels at any time.")
class UpdateQuoteInput:
    id: strawberry.ID
    notes: str | None = UNSET
    property_id: strawberry.ID | None = UNSET
    agreed_start: datetime | None = UNSET
    trading_name_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Another trading name: a number from its sequence, the old one retired.")
    valid_until: date | None = UNSET
    follow_up_date: date | None = UNSET
    label_ids: list[strawberry.ID] | None = UNSET
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Custom field values to set (null clears one), in any state of the quote; "
                                  "checked like setCustomFieldValues, all or nothing with the other changes.")


@strawberry.input
class SetQuoteLinesInput:
    quote_id: strawberry.ID
    lines: list[InvoiceLineInputType]


@strawberry.input
class SendQuoteInput:
    id: strawberry.ID
    send_email: bool = strawberry.field(default=True, description="E-mail it with its PDF and a link to answer.")
    send_sms: bool = strawberry.field(default=False, description="Text the link to the customer's mobile too; "
                                                                 "replies ACCEPT/DECLINE <number> from it answer.")


@strawberry.input
class DeclineQuoteInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.input
class ChangeQuoteNumberInput:
    id: strawberry.ID
    number: int = strawberry.field(description="The number without its prefix; one never used in this sequence.")


@strawberry.input
class QuoteFromInquiryInput:
    inquiry_id: strawberry.ID
    trading_name_id: strawberry.ID | None = None


@strawberry.type
class QuotePayload:
    quote: QuoteNode | None = None
    errors: list[UserError]


@strawberry.type
class DeleteQuotePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


def _quote_id(value, field: str = "id") -> int:
    return decode_id(value, "Quote", field)


def _with_values(call):
    """Run ``call``; a refused custom field value names this input's ``customFields``."""
    try:
        return call()
    except DomainError as exc:
        if exc.field and exc.field.startswith("values."):
            exc.field = "customFields." + exc.field.removeprefix("values.")
        raise


def _create(info: Info, data: CreateQuoteInput):
    if data.custom_fields is None:
        return _create_with(quotes.quote_create, info, data)
    values = values_given(data.custom_fields, "customFields")
    return _with_values(lambda: _create_with(quotes.quote_create_with_values, info, data, values=values))


def _create_with(create, info: Info, data: CreateQuoteInput, **extra):
    return create(
        **who(info), **extra, customer_id=decode_id(data.customer_id, "Customer", "customerId"),
        trading_name_id=decode_optional(data.trading_name_id, "TradingName", "tradingNameId"),
        property_id=decode_optional(data.property_id, "Property", "propertyId"), lines=_lines(data.lines),
        valid_until=data.valid_until, follow_up_date=data.follow_up_date, agreed_start=data.agreed_start,
        label_ids=decode_many(data.label_ids, "Label", "labelIds") or [], notes=data.notes)


def _update(info: Info, data: UpdateQuoteInput):
    pk = _quote_id(data.id)
    changes = given(notes=data.notes, property_id=data.property_id, agreed_start=data.agreed_start,
                    trading_name_id=data.trading_name_id, valid_until=data.valid_until,
                    follow_up_date=data.follow_up_date, label_ids=data.label_ids)
    if "property_id" in changes:
        changes["property_id"] = decode_optional(changes["property_id"], "Property", "propertyId")
    if changes.get("trading_name_id") is not None:
        changes["trading_name_id"] = decode_id(changes["trading_name_id"], "TradingName", "tradingNameId")
    if "label_ids" in changes:
        changes["label_ids"] = decode_many(changes["label_ids"], "Label", "labelIds") or []
    if "notes" in changes and changes["notes"] is None:
        changes["notes"] = ""
    if data.custom_fields is None:
        return quotes.quote_update(**who(info), quote_id=pk, **changes)
    values = values_given(data.custom_fields, "customFields")
    return _with_values(lambda: quotes.quote_update_with_values(**who(info), quote_id=pk, values=values,
                                                                          **changes))


@strawberry.type
class QuotesMutation:
    @strawberry_django.mutation(description="A draft quote, numbered from its trading name's quote sequence (staff).")
    def create_quote(self, info: Info, input: CreateQuoteInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: _create(info, input))

    @strawberry_django.mutation(description="A draft quote of an inquiry (a lead): its customer and wanted services; "
                                            "the lead moves to quoted (staff).")
    def create_quote_from_inquiry(self, info: Info, input: QuoteFromInquiryInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_create_from_inquiry(
            **who(info), inquiry_id=decode_id(input.inquiry_id, "Inquiry", "inquiryId"),
            trading_name_id=decode_optional(input.trading_name_id, "TradingName", "tradingNameId")))

    @strawberry_django.mutation(description="Change a quote's details (staff).")
    def update_quote(self, info: Info, input: UpdateQuoteInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: _update(info, input))

    @strawberry_django.mutation(description="Replace a draft's lines: items, fees, discounts, taxes (staff).")
    def set_quote_lines(self, info: Info, input: SetQuoteLinesInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_set_lines(
            **who(info), quote_id=_quote_id(input.quote_id, "quoteId"), lines=_lines(input.lines)))

    @strawberry_django.mutation(description="Draft -> sent: e-mailed with its PDF and a signed link, texted when "
                                            "asked (staff).")
    def send_quote(self, info: Info, input: SendQuoteInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_send(
            **who(info), quote_id=_quote_id(input.id), send_email=input.send_email, send_sms=input.send_sms))

    @strawberry_django.mutation(description="Sent -> accepted: books the agreed time or files an appointment "
                                            "request (the customer, or staff recording their answer).")
    def accept_quote(self, info: Info, id: strawberry.ID) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_accept(**who(info), quote_id=_quote_id(id)))

    @strawberry_django.mutation(description="Sent -> declined (the customer, or staff recording their answer).")
    def decline_quote(self, info: Info, input: DeclineQuoteInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_decline(
            **who(info), quote_id=_quote_id(input.id), reason=input.reason))

    @strawberry_django.mutation(description="Delete a draft; its number is retired, never reused (staff).")
    def delete_quote(self, info: Info, id: strawberry.ID) -> DeleteQuotePayload:
        def work():
            from ..ids import encode_id

            return encode_id("Quote", quotes.quote_delete(**who(info), quote_id=_quote_id(id)))

        return attempt(DeleteQuotePayload, "deleted_id", work)

    @strawberry_django.mutation(description="Give the quote another number never used in its sequence (staff).")
    def change_quote_number(self, info: Info, input: ChangeQuoteNumberInput) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_change_number(
            **who(info), quote_id=_quote_id(input.id), number=input.number))

    @strawberry_django.mutation(description="Become the quote's owner: its follow-up reminders come to you (staff).")
    def claim_quote(self, info: Info, id: strawberry.ID) -> QuotePayload:
        return attempt(QuotePayload, "quote", lambda: quotes.quote_claim(**who(info), quote_id=_quote_id(id)))

    @strawberry_django.mutation(description="A draft invoice of an accepted quote, with its lines as priced (staff).")
    def create_invoice_from_quote(self, info: Info, quote_id: strawberry.ID) -> InvoicePayload:
        return attempt(InvoicePayload, "invoice", lambda: quotes.quote_invoice(
            **who(info), quote_id=_quote_id(quote_id, "quoteId")))
