from __future__ import annotations

from datetime import datetime

import strawberry
import strawberry_django
from strawberry.file_uploads import Upload
from strawberry.types import Info

from core.company import services

from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import UNSET, given, who
from .types import LabelNode, TermsVersionNode, TradingNameNode


@strawberry.input
class CreateTradingNameInput:
    name: str
    email: str = ""
    phone: str = ""
    website: str = ""
    review_url: str = strawberry.field(default="", description="This brand's public review page (decision 0630).")
    address: str = ""
    tax_number: str = ""
    sender_name: str = ""
    quote_prefix: str = "Q-"
    invoice_prefix: str = "INV-"
    number_start: int = 1001
    logo: Upload | None = strawberry.field(default=None, description="PNG, JPEG or WebP (multipart request).")
    is_default: bool = False


@strawberry.input(description="Change only the fields you send.")
class UpdateTradingNameInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    website: str | None = UNSET
    review_url: str | None = UNSET
    address: str | None = UNSET
    tax_number: str | None = UNSET
    sender_name: str | None = UNSET
    quote_prefix: str | None = UNSET
    invoice_prefix: str | None = UNSET
    number_start: int | None = UNSET
    active: bool | None = UNSET
    logo: Upload | None = strawberry.field(default=UNSET, description="A new logo (multipart request).")
    remove_logo: bool = False


@strawberry.input
class PublishTermsInput:
    trading_name_id: strawberry.ID
    text: str
    in_force_from: datetime | None = strawberry.field(
        default=None, description="With its offset; now when not given; never in the past.")


@strawberry.input
class CreateLabelInput:
    name: str
    applies_to: list[str] = strawberry.field(description="quote, invoice, booking, customer, inquiry")
    colour: str = "#64748b"


@strawberry.input(description="Change only the fields you send; active: false retires the label.")
class UpdateLabelInput:
    id: strawberry.ID
    name: str | None = UNSET
    colour: str | None = UNSET
    applies_to: list[str] | None = UNSET
    active: bool | None = UNSET


@strawberry.type
class TradingNamePayload:
    trading_name: TradingNameNode | None = None
    errors: list[UserError]


@strawberry.type
class TermsVersionPayload:
    terms_version: TermsVersionNode | None = None
    errors: list[UserError]


@strawberry.type
class LabelPayload:
    label: LabelNode | None = None
    errors: list[UserError]


_TEXT_FIELDS = ("name", "email", "phone", "website", "review_url", "address", "tax_number", "sender_name",
                "quote_prefix", "invoice_prefix")


def _create_trading_name(info: Info, data: CreateTradingNameInput):
    return services.trading_name_create(
        **who(info), logo=data.logo, is_default=data.is_default, number_start=data.number_start,
        **{name: getattr(data, name) for name in _TEXT_FIELDS})


def _update_trading_name(info: Info, data: UpdateTradingNameInput):
    pk = decode_id(data.id, "TradingName")
    changes = given(**{name: getattr(data, name) for name in (*_TEXT_FIELDS, "number_start", "active")})
    for key, value in list(changes.items()):
        if value is None:  # text fields clear with "", the others are never null
            if key in _TEXT_FIELDS and key not in ("name", "quote_prefix", "invoice_prefix"):
                changes[key] = ""
            else:
                changes.pop(key)
    logo = None if data.logo is UNSET else data.logo
    return services.trading_name_update(**who(info), trading_name_id=pk, logo=logo, remove_logo=data.remove_logo,
                                        **changes)


def _update_label(info: Info, data: UpdateLabelInput):
    changes = {key: value for key, value in given(name=data.name, colour=data.colour, applies_to=data.applies_to,
                                                  active=data.active).items() if value is not None}
    return services.label_update(**who(info), label_id=decode_id(data.id, "Label"), **changes)


@strawberry.type
class BrandingMutation:
    @strawberry_django.mutation(description="Add a trading name, with its logo as a multipart upload (staff).")
    def create_trading_name(self, info: Info, input: CreateTradingNameInput) -> TradingNamePayload:
        return attempt(TradingNamePayload, "trading_name", lambda: _create_trading_name(info, input))

    @strawberry_django.mutation(description="Change a trading name; a logo sent replaces the old one (staff).")
    def update_trading_name(self, info: Info, input: UpdateTradingNameInput) -> TradingNamePayload:
        return attempt(TradingNamePayload, "trading_name", lambda: _update_trading_name(info, input))

    @strawberry_django.mutation(description="Make a trading name the default: it brands booking job sheets (staff).")
    def set_default_trading_name(self, info: Info, id: strawberry.ID) -> TradingNamePayload:
        return attempt(TradingNamePayload, "trading_name", lambda: services.trading_name_set_default(
            **who(info), trading_name_id=decode_id(id, "TradingName")))

    @strawberry_django.mutation(description="Publish the next version of a trading name's terms (staff).")
    def publish_terms(self, info: Info, input: PublishTermsInput) -> TermsVersionPayload:
        return attempt(TermsVersionPayload, "terms_version", lambda: services.terms_publish(
            **who(info), trading_name_id=decode_id(input.trading_name_id, "TradingName", "tradingNameId"),
            text=input.text, in_force_from=input.in_force_from))

    @strawberry_django.mutation(description="Add a label to the managed list (staff).")
    def create_label(self, info: Info, input: CreateLabelInput) -> LabelPayload:
        return attempt(LabelPayload, "label", lambda: services.label_create(
            **who(info), name=input.name, colour=input.colour, applies_to=input.applies_to))

    @strawberry_django.mutation(description="Rename, recolour, re-scope or retire a label (staff).")
    def update_label(self, info: Info, input: UpdateLabelInput) -> LabelPayload:
        return attempt(LabelPayload, "label", lambda: _update_label(info, input))
