"""Invoices, their lines, payments and history as GraphQL types. Rows reach a caller only through
``core.sales.invoice_selectors`` (decision 0103): staff all, a customer their own issued ones, a
fieldworker none unless the invoice settings let them see prices (decision 0832)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.sales import invoice_pdf
from core.sales.invoice_models import (
    AutoInvoice,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceSettings,
    InvoiceSource,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PricedLine,
    summary_of,
)
from core.sales.invoice_selectors import paid_of, today, visible_history, visible_invoices, visible_payments
from core.sales.invoice_totals import payment_status

from ..accounts.types import UserNode
from ..bookings.types import BookingNode
from ..catalog.types import PriceRuleType, rules_out
from ..context import actor_from_info
from ..crm.types import CustomerNode
from ..enums import ActorKindEnum, ChannelEnum, _mirror
from ..nodes import PK

InvoiceStatusEnum = _mirror(InvoiceStatus, "InvoiceStatus", "Draft, issued or void: where an invoice is in its life.")
InvoiceSourceEnum = _mirror(InvoiceSource, "InvoiceSource", "What an invoice was made from.")
PaymentStatusEnum = _mirror(PaymentStatus, "PaymentStatus", "Derived from the total and the payments.")
PaymentMethodEnum = _mirror(PaymentMethod, "PaymentMethod", "How a payment was made.")
InvoiceLineKindEnum = _mirror(LineKind, "InvoiceLineKind", "An item, a fee, or a discount (counted against).")
AutoInvoiceEnum = _mirror(AutoInvoice, "AutoInvoice",
                          "What happens on its own: nothing, a draft, or an issued invoice.")


def _scoped(queryset, info: Info, visible):
    actor = actor_from_info(info)
    if actor.is_staff:
        return queryset
    return queryset.filter(pk__in=visible(actor).values("pk"))


LINE_FIGURES = ["kind", "quantity", "unit_price", "tax_rate", "tax_inclusive", "discount_percent"]
SUMMARY_FIELDS = ["tax_name", *LINE_FIGURES]


@strawberry.type(name="TaxSummary", description="The tax of a document's lines of one named rate (decision 0872). "
                                                "The rows add up to the document's subtotal and tax.")
class TaxSummaryType:
    name: str = strawberry.field(description="The rate's name as the lines keep it (\"Tax 15%\" for a typed "
                                             "percent).")
    rate: Decimal = strawberry.field(description="Percent.")
    taxable: Decimal = strawberry.field(description="The sum of the lines' net figures.")
    tax: Decimal


def tax_summary_of(document) -> list[TaxSummaryType]:
    """An invoice's or a quote's summary from its prefetched lines (``summary_lines``), else read now."""
    lines = getattr(document, "summary_lines", None)
    return [TaxSummaryType(name=row.name, rate=row.rate, taxable=row.taxable, tax=row.tax)
            for row in summary_of(lines if lines is not None else document.lines.all())]


@strawberry_django.type(PricedLine)
class PricedLineFields:
    """The fields of a quote's and an invoice's line (``core.sales.invoice_models.PricedLine``)."""

    kind: InvoiceLineKindEnum
    description: str
    quantity: Decimal
    unit_price: Decimal = strawberry_django.field(description="A discount line: the amount off.")
    tax_rate: Decimal
    tax_name: str = strawberry_django.field(description="The tax rate's name as priced (kept when the rate "
                                                        "changes); empty for a percent typed by hand.")
    tax_inclusive: bool = strawberry_django.field(description="Whether unitPrice includes tax (as priced).")
    discount_percent: Decimal = strawberry_django.field(description="Percent off an item line, before its tax.")
    position: int
    list_unit_price: Decimal | None = strawberry_django.field(
        description="The catalogue's price before an override; null for a typed line.")
    price_overridden_at: datetime | None
    price_overridden_by: UserNode | None

    @strawberry_django.field(only=["pricing"], description="The pricing rules that made the unit price, in order.")
    def pricing(self) -> list[PriceRuleType]:
        return rules_out(self.pricing)  # type: ignore[attr-defined]

    @strawberry_django.field(only=LINE_FIGURES, description="Taken off: the percent off, or a discount line's amount.")
    def discount(self) -> Decimal:
        return self.figures.discount  # type: ignore[attr-defined]

    @strawberry_django.field(only=LINE_FIGURES, description="Before tax (negative on a discount line).")
    def net(self) -> Decimal:
        return self.figures.net  # type: ignore[attr-defined]

    @strawberry_django.field(only=LINE_FIGURES)
    def tax(self) -> Decimal:
        return self.figures.tax  # type: ignore[attr-defined]

    @strawberry_django.field(only=LINE_FIGURES)
    def total(self) -> Decimal:
        return self.figures.total  # type: ignore[attr-defined]


@strawberry_django.type(InvoiceLine, name="InvoiceLine")
class InvoiceLineNode(relay.Node, PricedLineFields):
    _id_attr = PK

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(invoice_id__in=visible_invoices(actor).values("pk"))


@strawberry_django.type(Payment, name="Payment", description="Money received against an invoice.")
class PaymentNode(relay.Node):
    _id_attr = PK
    amount: Decimal
    method: PaymentMethodEnum
    paid_on: date
    reference: str
    created_at: datetime

    @strawberry_django.field(only=["recorded_by_id"], description="Staff only.")
    def recorded_by(self, info: Info) -> UserNode | None:
        return self.recorded_by if actor_from_info(info).is_staff else None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _scoped(queryset, info, visible_payments)


@strawberry_django.type(InvoiceEvent, name="InvoiceHistoryEntry", description="One change of an invoice (staff).")
class InvoiceHistoryNode(relay.Node):
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
        return _scoped(queryset, info, visible_history)


def _paid(invoice) -> Decimal:
    return paid_of(invoice)


@strawberry_django.type(Invoice, name="Invoice", description="A bill to a customer: its breakdown, payments and life.")
class InvoiceNode(relay.Node):
    _id_attr = PK
    number: str = strawberry_django.field(description="As printed: the trading name's prefix and number.")
    status: InvoiceStatusEnum
    source: InvoiceSourceEnum
    currency: str
    issue_date: date | None
    due_date: date | None
    notes: str
    subtotal: Decimal = strawberry_django.field(description="The sum of the lines' net figures.")
    discount_total: Decimal = strawberry_django.field(description="Percent off the items and discount lines.")
    tax_total: Decimal
    total: Decimal = strawberry_django.field(description="Counted as void in totals when the invoice is void.")
    issued_at: datetime | None
    voided_at: datetime | None
    void_reason: str
    created_at: datetime
    customer: CustomerNode
    booking: BookingNode | None = strawberry_django.field(description="Null when not for a booking or not yours.")
    owner: UserNode | None
    lines: list[InvoiceLineNode]
    payments: list[PaymentNode]

    @strawberry_django.field(prefetch_related=[Prefetch("lines", InvoiceLine.objects.only(
        "invoice_id", *SUMMARY_FIELDS).order_by(), to_attr="summary_lines")],
        description="Tax per rate name and percent (decision 0872): the rows add up to subtotal and taxTotal.")
    def tax_summary(self) -> list[TaxSummaryType]:
        return tax_summary_of(self)

    @strawberry_django.field(only=["total"], description="The sum of the payments (derived, never stored).")
    def paid(self) -> Decimal:
        return _paid(self)

    @strawberry_django.field(only=["total"], description="Total less paid; negative when overpaid.")
    def balance(self) -> Decimal:
        return self.total - _paid(self)  # type: ignore[attr-defined]

    @strawberry_django.field(only=["total"])
    def payment_status(self) -> PaymentStatusEnum:
        return PaymentStatusEnum(payment_status(self.total, _paid(self)))  # type: ignore[attr-defined]

    @strawberry_django.field(only=["status", "due_date", "total"],
                             description="Issued, past its due date (company's day), with a balance.")
    def overdue(self) -> bool:
        return (self.status == InvoiceStatus.ISSUED and self.due_date is not None  # type: ignore[attr-defined]
                and self.due_date < today() and self.total > _paid(self))  # type: ignore[attr-defined]

    @strawberry_django.field(only=["trading_name_id"], select_related=["trading_name"],
                             description="The trading name it is issued under.")
    def trading_name(self) -> str:
        return self.trading_name.name  # type: ignore[attr-defined]

    @strawberry_django.field(only=["terms_version_id"], select_related=["terms_version"],
                             description="The terms version printed on it (set when issued).")
    def terms_version(self) -> int | None:
        return self.terms_version.version if self.terms_version_id else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["number", "status"], description="A short-lived signed link of the PDF.")
    def pdf_url(self, info: Info) -> str | None:
        return invoice_pdf.download_url(actor_from_info(info), self)  # type: ignore[arg-type]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        from core.sales.invoice_selectors import with_paid

        actor = actor_from_info(info)
        if not actor.is_staff:
            queryset = queryset.filter(pk__in=visible_invoices(actor).values("pk"))
        return queryset if "paid_amount" in queryset.query.annotations else with_paid(queryset)


@strawberry_django.type(InvoiceSettings, name="InvoiceSettings", description="How the business invoices (staff).")
class InvoiceSettingsType:
    on_completion: AutoInvoiceEnum
    on_cancellation_fee: AutoInvoiceEnum
    payment_terms_days: int
    reminder_interval_days: int
    reminder_limit: int
    fieldworkers_see_prices: bool
