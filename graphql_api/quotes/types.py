"""Quotes, their lines and history as GraphQL types. Rows reach a caller only through
``core.sales.quote_selectors`` (decision 0103): staff all, a customer their own sent ones, a
fieldworker none (decision 0822)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry_django
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.sales import quote_pdf
from core.sales.quote_models import Quote, QuoteEvent, QuoteLine, QuoteStatus
from core.sales.quote_selectors import visible_quote_history, visible_quotes

from ..accounts.types import UserNode
from ..bookings.types import BookingNode
from ..branding.types import LabelNode
from ..context import actor_from_info
from ..crm.types import CustomerNode, PropertyNode
from ..enums import ActorKindEnum, ChannelEnum, _mirror
from ..invoices.types import PricedLineFields
from ..nodes import PK

QuoteStatusEnum = _mirror(QuoteStatus, "QuoteStatus",
                          "Draft -> sent -> accepted | declined | expired: where a quote is in its life.")

@strawberry_django.type(QuoteLine, name="QuoteLine")
class QuoteLineNode(relay.Node, PricedLineFields):
    _id_attr = PK

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(quote_id__in=visible_quotes(actor).values("pk"))


@strawberry_django.type(QuoteEvent, name="QuoteHistoryEntry", description="One change of a quote (staff).")
class QuoteHistoryNode(relay.Node):
    _id_attr = PK
    at: datetime
    action: str
    number: str
    actor_kind: ActorKindEnum
    actor_label: str
    channel: ChannelEnum
    changes: JSON
    data: JSON

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(pk__in=visible_quote_history(actor).values("pk"))


@strawberry_django.type(Quote, name="Quote", description="Prices offered to a customer before a job.")
class QuoteNode(relay.Node):
    _id_attr = PK
    number: str = strawberry_django.field(description="As printed: the trading name's quote prefix and number.")
    status: QuoteStatusEnum
    currency: str
    valid_until: date | None = strawberry_django.field(description="Expires after this day (company time).")
    follow_up_date: date | None = strawberry_django.field(description="The owner is reminded by e-mail that day.")
    agreed_start: datetime | None = strawberry_django.field(
        description="A time agreed for the job: accepting books it then (else an appointment request is filed).")
    notes: str
    subtotal: Decimal = strawberry_django.field(description="The sum of the lines' net figures.")
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    sent_at: datetime | None
    decided_at: datetime | None = strawberry_django.field(description="When it was accepted, declined or expired.")
    created_at: datetime
    customer: CustomerNode
    property: PropertyNode | None
    owner: UserNode | None
    booking: BookingNode | None = strawberry_django.field(description="The booking accepting it made.")
    lines: list[QuoteLineNode]
    labels: list[LabelNode] = strawberry_django.field(description="Staff only (empty for others).")

    @strawberry_django.field(only=["trading_name_id"], select_related=["trading_name"],
                             description="The trading name it is quoted under.")
    def trading_name(self) -> str:
        return self.trading_name.name  # type: ignore[attr-defined]

    @strawberry_django.field(only=["terms_version_id"], select_related=["terms_version"],
                             description="The terms version printed on it (set when sent).")
    def terms_version(self) -> int | None:
        return self.terms_version.version if self.terms_version_id else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["accepted_terms_version_id"], select_related=["accepted_terms_version"],
                             description="The terms version the customer accepted.")
    def accepted_terms_version(self) -> int | None:
        terms = self.accepted_terms_version  # type: ignore[attr-defined]
        return terms.version if terms is not None else None

    @strawberry_django.field(only=["number", "status"], description="A short-lived signed link of the PDF.")
    def pdf_url(self, info: Info) -> str | None:
        return quote_pdf.download_url(actor_from_info(info), self)  # type: ignore[arg-type]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(pk__in=visible_quotes(actor).values("pk"))
