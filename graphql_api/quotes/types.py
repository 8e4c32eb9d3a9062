"""Quotes, their lines and history as GraphQL types. Rows reach a caller only through
``core.sales.quote_selectors`` (decision 0103): staff all, a customer their own sent ones, a
fieldworker none (decision 0822)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.complaints.selectors import visible_complaints
from core.sales import quote_pdf
from core.sales.quote_models import Quote, QuoteEvent, QuoteLine, QuoteStatus
from core.sales.quote_selectors import visible_quote_history, visible_quotes

from ..accounts.types import UserNode
from ..bookings.types import BookingNode
from ..branding.types import LabelNode
from ..context import actor_from_info
from ..crm.types import CustomerNode, PropertyNode
from ..enums import ActorKindEnum, ChannelEnum, _mirror
from ..files.types import files_field
from ..invoices.types import SUMMARY_FIELDS, PricedLineFields, TaxSummaryType, tax_summary_of
from ..jobdata.types import custom_fields_field
from ..nodes import PK

if TYPE_CHECKING:
    from ..complaints.types import ComplaintNode

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


def _complaint_rows(info: Info):
    return (visible_complaints(actor_from_info(info)).select_related("type", "status")
            .order_by("-created_at", "-id"))


def _complaints_prefetch(info: Info) -> Prefetch:
    return Prefetch("complaints", queryset=_complaint_rows(info), to_attr="visible_complaints")


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

    @strawberry_django.field(prefetch_related=[Prefetch("lines", QuoteLine.objects.only(
        "quote_id", *SUMMARY_FIELDS).order_by(), to_attr="summary_lines")],
        description="Tax per rate name and percent (decision 0872): the rows add up to subtotal and taxTotal.")
    def tax_summary(self) -> list[TaxSummaryType]:
        return tax_summary_of(self)

    labels: list[LabelNode] = strawberry_django.field(description="Staff only (empty for others).")
    custom_fields = custom_fields_field("quote")
    files = files_field()

    @strawberry_django.field(prefetch_related=[lambda info: _complaints_prefetch(info)],
                             description="Complaints about it you may see, newest first (staff all; the customer "
                                         "their own customer-visible ones).")
    def complaints(self, info: Info) -> list[Annotated[ComplaintNode, strawberry.lazy("graphql_api.complaints.types")]]:
        rows: Any = getattr(self, "visible_complaints", None)
        if rows is None:  # not reached through the optimiser (a mutation's payload)
            rows = list(_complaint_rows(info).filter(quote_id=self.pk))  # type: ignore[attr-defined]
        return rows

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
