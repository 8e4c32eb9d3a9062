"""The only writers of invoices. Keyword-only, with ``actor`` and ``channel``; staff write (the system
too, for the automatic invoices); every change appends to the invoice's history and publishes its
event (``invoice_history.record``).

Life: ``draft`` -> ``issued`` (numbered from creation, e-mailed with its PDF) -> ``void`` (keeps its
number, stays in every list and total as void); ``issued`` -> ``draft`` again to correct it
("convert to draft", recorded). Only drafts are edited and only drafts are deleted; a deleted
draft's number is retired, never given out again (``core.company.numbers``). Lines are priced by the
catalogue's engine; a price typed over the list price is an override kept with who and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor, Channel, ensure_office
from core.bookings.models import Booking, BookingStatus
from core.catalog import pricing, quoting
from core.company import numbers
from core.company.models import DocumentKind, TradingName
from core.company.selectors import default_trading_name, get_company, terms_in_force
from core.crm.models import Customer
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.money import ZERO, round_money
from core.text import refuse_nul

from . import documents, invoice_history, invoice_totals
from .invoice_events import InvoiceIssued
from .invoice_models import (
    Invoice,
    InvoiceLine,
    InvoiceSettings,
    InvoiceSource,
    InvoiceStatus,
    LineKind,
)
from .invoice_selectors import get_settings, paid_of, today

MAX_LINES = 200
MAX_TEXT = 5000
MAX_QUANTITY = Decimal("10000")
MAX_PRICE = Decimal("99999999")
MAX_TERMS_DAYS = 365
ITEM_INACTIVE = {"service": "service_inactive", "product": "product_inactive", "package": "package_inactive"}


@dataclass(frozen=True)
class InvoiceLineInput:
    """A line as staff send it. ``kind``: item, fee or discount. An item names a catalogue service,
    product or package (priced by the engine; a ``unit_price`` that differs is an override) or is
    typed by hand with its price; a fee or a discount is typed (a discount's price is the amount off)."""

    kind: str = LineKind.ITEM
    description: str = ""
    quantity: Any = Decimal("1")
    unit_price: Any = None
    tax_rate: Any = None
    discount_percent: Any = None
    service_id: int | None = None
    product_id: int | None = None
    package_id: int | None = None
    tax_rate_id: int | None = None  # a named rate (decision 0870); else ``tax_rate``, else the item's rate


# --- input cleaning -----------------------------------------------------------------------------


def _text(value: str | None, field: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    value = refuse_nul((value or "").strip(), field)
    if required and not value:
        raise ValidationFailed(field, "This is required.", code="reason_required" if field == "reason" else "required")
    if len(value) > limit:
        raise ValidationFailed(field, f"At most {limit} characters.", code="too_long")
    return value


def _decimal(value: Any, field: str, *, lo: Decimal, hi: Decimal, code: str = "out_of_range") -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field, "Not a number.", code="invalid")
    if not number.is_finite():
        raise ValidationFailed(field, "Not a number.", code="invalid")
    number = round_money(number)  # every amount is kept to the cent (decision 0121)
    if number < lo or number > hi:
        raise ValidationFailed(field, f"Must be between {lo} and {hi}.", code=code)
    return number


def _date(value: Any, field: str) -> date:
    if not isinstance(value, date) or not 2000 <= value.year <= 2999:
        raise ValidationFailed(field, "Not a date between the years 2000 and 2999.", code="invalid_date")
    return value


def ensure_staff(actor: Actor) -> None:
    ensure_office(actor, "invoices")


def _locked(invoice_id: int) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound("invoice")
    return invoice


def _ensure_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise DomainError("not_draft", f"Invoice {invoice.number} is {invoice.status}: only drafts are changed. "
                                       "Convert it to a draft first.")


# --- lines --------------------------------------------------------------------------------------


def _item_ref(line: InvoiceLineInput, field: str) -> quoting.ItemRef | None:
    refs = [(kind, pk) for kind, pk in (("service", line.service_id), ("product", line.product_id),
                                        ("package", line.package_id)) if pk is not None]
    if len(refs) > 1:
        raise ValidationFailed(f"{field}.serviceId", "A line sells one service, product or package.", code="invalid")
    if refs and line.kind != LineKind.ITEM:
        raise ValidationFailed(f"{field}.kind", "Only an item line sells from the catalogue.", code="invalid")
    return quoting.ItemRef(*refs[0]) if refs else None


def build_lines(lines: Sequence[InvoiceLineInput], *, place: pricing.Place | None, actor: Actor) -> list[InvoiceLine]:
    """Priced, unsaved lines; refuses the first bad one with its field (``lines.3.quantity``)."""
    if len(lines) > MAX_LINES:
        raise ValidationFailed("lines", f"At most {MAX_LINES} lines.", code="too_many")
    refs = [_item_ref(line, f"lines.{position}") for position, line in enumerate(lines)]
    found = quoting.load_items(ref for ref in refs if ref is not None)
    pricer = quoting.Pricer() if lines else None
    taxes = quoting.LineTax()
    now = timezone.now()
    built = []
    for position, (line, ref) in enumerate(zip(lines, refs, strict=True)):
        field = f"lines.{position}"
        if line.kind not in LineKind.values:
            raise ValidationFailed(f"{field}.kind", "A line is an item, a fee or a discount.", code="invalid")
        obj = found.get(ref) if ref is not None else None
        if ref is not None:
            if obj is None:
                raise NotFound(ref.kind, field=f"{field}.{ref.kind}Id")
            if not obj.active:
                raise DomainError(ITEM_INACTIVE[ref.kind], f"{obj.name} is not offered.", field=f"{field}.{ref.kind}Id")
        quantity = _decimal(line.quantity, f"{field}.quantity", lo=Decimal("0.01"), hi=MAX_QUANTITY,
                            code="invalid_quantity")
        price = None
        if line.unit_price is None and obj is None:
            raise ValidationFailed(f"{field}.unitPrice", "A line without a catalogue item needs a price.",
                                   code="required")
        if line.unit_price is not None:
            price = _decimal(line.unit_price, f"{field}.unitPrice", lo=ZERO, hi=MAX_PRICE, code="invalid_price")
        if line.tax_rate_id is not None:
            rate = taxes.chosen(line.tax_rate_id, field=field, percent_given=line.tax_rate is not None)
            tax, tax_name = rate.percent, rate.name
        elif line.tax_rate is None and obj is not None:
            rate = quoting.tax_rate_of(obj)
            tax, tax_name = rate.percent, rate.name
        else:
            tax = _decimal(line.tax_rate if line.tax_rate is not None else ZERO, f"{field}.taxRate", lo=ZERO,
                           hi=Decimal(100))
            tax_name = taxes.name(obj, tax)
        off = ZERO
        if line.discount_percent is not None:
            if line.kind != LineKind.ITEM:
                raise ValidationFailed(f"{field}.discountPercent", "Only an item line takes a percent off.",
                                       code="invalid")
            off = _decimal(line.discount_percent, f"{field}.discountPercent", lo=ZERO, hi=Decimal(100))
        default = obj.name if obj is not None else {"fee": "Fee", "discount": "Discount"}.get(line.kind, "")
        description = _text(line.description or default, f"{field}.description", limit=200, required=True)
        if obj is None:
            item = pricing.Item(kind="custom", id=None, name=description, unit_price=price,  # type: ignore[arg-type]
                                tax_rate=tax, tax_name=tax_name)
            priced = pricer.price(item, quantity, field_name=f"{field}.quantity")  # type: ignore[union-attr]
        else:
            item = quoting.as_item(obj, tax=(tax, tax_name))
            priced = pricer.price(item, quantity, place=place, field_name=f"{field}.quantity")  # type: ignore[union-attr]
            if price is not None and price != priced.unit_price:
                priced = pricer.price(item, quantity, place=place, override_unit_price=price,  # type: ignore[union-attr]
                                      field_name=f"{field}.quantity")
        overridden = obj is not None and priced.overridden
        built.append(InvoiceLine(
            kind=line.kind, description=description, quantity=priced.quantity, unit_price=priced.unit_price,
            tax_rate=priced.tax_rate, tax_name=priced.tax_name, tax_inclusive=priced.tax_inclusive,
            discount_percent=off, position=position,
            service=obj if ref is not None and ref.kind == "service" else None,
            product=obj if ref is not None and ref.kind == "product" else None,
            package=obj if ref is not None and ref.kind == "package" else None,
            list_unit_price=priced.list_unit_price if obj is not None else None,
            pricing=priced.explanation() if obj is not None else [],
            price_overridden_by=actor.user if overridden else None,
            price_overridden_at=now if overridden else None))
    return built


def figures(lines: Sequence[InvoiceLine]) -> invoice_totals.Totals:
    return invoice_totals.totals((line.tax_rate, line.figures, line.tax_name) for line in lines)


def _store_lines(invoice: Invoice, lines: list[InvoiceLine]) -> invoice_totals.Totals:
    """Replace the lines and write the sums beside them: the one writer of the stored totals."""
    found = figures(lines)
    if found.total < 0:
        raise ValidationFailed("lines", "The discounts come to more than the invoice.", code="negative_total")
    invoice.lines.all().delete()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    invoice.subtotal, invoice.discount_total = found.subtotal, found.discount_total
    invoice.tax_total, invoice.total = found.tax_total, found.total
    invoice.save(update_fields=["subtotal", "discount_total", "tax_total", "total", "updated_at"])
    return found


def _place_of(invoice_booking: Booking | None) -> pricing.Place | None:
    return quoting.place_of(invoice_booking.property) if invoice_booking is not None else None


def _summary(invoice: Invoice) -> dict[str, str]:
    return {"subtotal": str(invoice.subtotal), "tax_total": str(invoice.tax_total), "total": str(invoice.total)}


# --- create -------------------------------------------------------------------------------------


def _trading_name(trading_name_id: int | None) -> TradingName:
    if trading_name_id is None:
        found = default_trading_name()
        if found.pk is None:  # no trading name stored at all (a flushed database): the company's, saved
            found.save()
        return found
    found = TradingName.objects.filter(pk=trading_name_id).first()
    if found is None:
        raise NotFound("trading name", field="tradingNameId")
    if not found.active:
        raise DomainError("inactive", f"{found.name} is no longer in use.", field="tradingNameId")
    return found


def _create(*, actor: Actor, channel: Channel, customer: Customer, trading_name: TradingName,
            booking: Booking | None, source: str, lines: list[InvoiceLine], notes: str = "",
            due_date: date | None = None, data: dict | None = None, quote_id: int | None = None) -> Invoice:
    issued = numbers.allocate_number(trading_name, DocumentKind.INVOICE)
    invoice = Invoice.objects.create(
        trading_name=trading_name, issued_number=issued, number=issued.text, customer=customer, booking=booking,
        source=source, quote_id=quote_id, currency=get_company().currency, notes=notes, due_date=due_date,
        owner=actor.user if actor.is_staff else None)
    _store_lines(invoice, lines)
    invoice_history.record(invoice, actor=actor, channel=channel, action="created",
                           data={"source": source, "booking_id": booking.pk if booking else None,
                                 "lines": len(lines), **_summary(invoice), **(data or {})})
    return invoice


def invoice_create(*, actor: Actor, channel: Channel, customer_id: int, trading_name_id: int | None = None,
                   lines: Sequence[InvoiceLineInput] = (), notes: str = "", due_date: date | None = None,
                   booking_id: int | None = None) -> Invoice:
    """A draft invoice made by hand, for any work (``booking_id``: the job it is for, if one)."""
    ensure_staff(actor)
    notes = _text(notes, "notes")
    if due_date is not None:
        due_date = _date(due_date, "dueDate")
    with transaction.atomic():
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("customer", field="customerId")
        booking = None
        if booking_id is not None:
            booking = Booking.objects.select_related("property").filter(pk=booking_id).first()
            if booking is None:
                raise NotFound("booking", field="bookingId")
            if booking.customer_id != customer.pk:
                raise DomainError("other_customer", "The booking belongs to another customer.", field="bookingId")
        built = build_lines(lines, place=_place_of(booking), actor=actor)
        return _create(actor=actor, channel=channel, customer=customer, trading_name=_trading_name(trading_name_id),
                       booking=booking, source=InvoiceSource.MANUAL, lines=built, notes=notes, due_date=due_date)


def _booking_for_invoice(booking_id: int, source: str) -> Booking:
    booking = (Booking.objects.select_for_update(of=("self",)).select_related("customer", "property")
               .filter(pk=booking_id).first())
    if booking is None:
        raise NotFound("booking", field="bookingId")
    if Invoice.objects.filter(booking_id=booking.pk, source=source,
                              status__in=(InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)).exists():
        raise DomainError("already_invoiced", f"Booking #{booking.number} has an invoice already.", field="bookingId")
    return booking


def _save_new(work) -> Invoice:
    """The one-live-invoice-per-booking constraint as a typed refusal when two callers race."""
    try:
        with transaction.atomic():
            return work()
    except IntegrityError as exc:
        if "sales_one_invoice_per_booking" in str(exc) or "UNIQUE" in str(exc).upper():
            raise DomainError("already_invoiced", "The booking has an invoice already.", field="bookingId")
        raise


def invoice_create_from_booking(*, actor: Actor, channel: Channel, booking_id: int,
                                trading_name_id: int | None = None) -> Invoice:
    """A draft invoice of a completed booking: its lines as they were priced on the booking."""
    ensure_staff(actor)

    def work() -> Invoice:
        booking = _booking_for_invoice(booking_id, InvoiceSource.BOOKING)
        if booking.status != BookingStatus.COMPLETED:
            raise DomainError("not_completed", f"Booking #{booking.number} is {booking.status}, not completed.",
                              field="bookingId")
        lines = [InvoiceLine(
            kind=LineKind.ITEM, description=line.description, quantity=line.quantity, unit_price=line.unit_price,
            tax_rate=line.tax_rate, tax_name=line.tax_name, tax_inclusive=line.tax_inclusive, position=position,
            service_id=line.service_id,
            product_id=line.product_id, package_id=line.package_id, list_unit_price=line.list_unit_price,
            pricing=line.pricing, price_overridden_by_id=line.price_overridden_by_id,
            price_overridden_at=line.price_overridden_at)
            for position, line in enumerate(booking.lines.all())]
        return _create(actor=actor, channel=channel, customer=booking.customer,
                       trading_name=_trading_name(trading_name_id), booking=booking, source=InvoiceSource.BOOKING,
                       lines=lines, data={"booking_number": booking.number})

    return _save_new(work)


def invoice_create_for_cancellation_fee(*, actor: Actor, channel: Channel, booking_id: int,
                                        trading_name_id: int | None = None) -> Invoice:
    """A draft invoice of one line: the fee charged when the booking was cancelled, with its reason."""
    ensure_staff(actor)

    def work() -> Invoice:
        booking = _booking_for_invoice(booking_id, InvoiceSource.CANCELLATION_FEE)
        if booking.status != BookingStatus.CANCELLED or booking.cancellation_fee <= 0:
            raise DomainError("no_fee", f"Booking #{booking.number} was not cancelled with a fee.", field="bookingId")
        reason = (booking.cancel_reason or "").strip()
        description = f"Cancellation fee, booking #{booking.number}" + (f": {reason}" if reason else "")
        line = InvoiceLine(kind=LineKind.FEE, description=description[:200], quantity=Decimal("1"),
                           unit_price=booking.cancellation_fee, tax_rate=ZERO, position=0)
        return _create(actor=actor, channel=channel, customer=booking.customer,
                       trading_name=_trading_name(trading_name_id), booking=booking,
                       source=InvoiceSource.CANCELLATION_FEE, lines=[line],
                       notes=f"Booking #{booking.number} cancelled" + (f": {reason[:2000]}" if reason else "."),
                       data={"booking_number": booking.number, "fee": str(booking.cancellation_fee),
                             "reason": reason[:2000]})

    return _save_new(work)


# Accepted quotes: the quotes app (core.sales quotes) calls ``invoice_create_from_lines`` with the
# quote's id and its priced lines; nothing here reads a quote (decision 0838).
def invoice_create_from_lines(*, actor: Actor, channel: Channel, customer_id: int, lines: Sequence[InvoiceLine],
                              source: str, trading_name_id: int | None = None, booking_id: int | None = None,
                              quote_id: int | None = None, notes: str = "") -> Invoice:
    ensure_staff(actor)
    if source not in InvoiceSource.values:
        raise ValidationFailed("source", "Unknown source.", code="invalid")
    with transaction.atomic():
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("customer", field="customerId")
        booking = Booking.objects.filter(pk=booking_id).first() if booking_id is not None else None
        copied = [replace_line(line, position) for position, line in enumerate(lines)]
        return _create(actor=actor, channel=channel, customer=customer, trading_name=_trading_name(trading_name_id),
                       booking=booking, source=source, lines=copied, notes=_text(notes, "notes"), quote_id=quote_id)


def replace_line(line: InvoiceLine, position: int) -> InvoiceLine:
    line.pk, line.id, line.position = None, None, position
    return line


# --- edit while draft ---------------------------------------------------------------------------


def invoice_set_lines(*, actor: Actor, channel: Channel, invoice_id: int,
                      lines: Sequence[InvoiceLineInput]) -> Invoice:
    """Replace a draft's breakdown: items (priced by the engine at the booking's property, overrides
    kept), fees and discounts, each with its tax rate."""
    ensure_staff(actor)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        _ensure_draft(invoice)
        booking = Booking.objects.select_related("property").filter(pk=invoice.booking_id).first() \
            if invoice.booking_id else None
        before = _summary(invoice)
        built = build_lines(lines, place=_place_of(booking), actor=actor)
        _store_lines(invoice, built)
        after = _summary(invoice)
        invoice_history.record(invoice, actor=actor, channel=channel, action="lines_set",
                               changes={key: (before[key], after[key]) for key in before if before[key] != after[key]},
                               data={"lines": len(built)})
    return invoice


def invoice_update(*, actor: Actor, channel: Channel, invoice_id: int, **changes: Any) -> Invoice:
    """A draft's due date and notes; ``trading_name_id`` moves a draft to another trading name (a new
    number from its sequence; the old one retired)."""
    ensure_staff(actor)
    allowed = {"due_date", "notes", "trading_name_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "Not a field of an invoice.", code="invalid")
    clean: dict[str, Any] = {}
    if "notes" in changes:
        clean["notes"] = _text(changes["notes"], "notes")
    if "due_date" in changes:
        clean["due_date"] = None if changes["due_date"] is None else _date(changes["due_date"], "dueDate")
    with transaction.atomic():
        invoice = _locked(invoice_id)
        _ensure_draft(invoice)
        diff: dict[str, tuple[Any, Any]] = {}
        if changes.get("trading_name_id") is not None and changes["trading_name_id"] != invoice.trading_name_id:
            trading_name = _trading_name(changes["trading_name_id"])
            old_number = invoice.number
            numbers.retire_number(invoice.issued_number_id)
            issued = numbers.allocate_number(trading_name, DocumentKind.INVOICE)
            diff["trading_name"] = (invoice.trading_name_id, trading_name.pk)
            diff["number"] = (old_number, issued.text)
            invoice.trading_name, invoice.issued_number, invoice.number = trading_name, issued, issued.text
        for key, value in clean.items():
            if getattr(invoice, key) != value:
                diff[key] = (getattr(invoice, key), value)
                setattr(invoice, key, value)
        if not diff:
            return invoice
        invoice.save()
        invoice_history.record(invoice, actor=actor, channel=channel, action="updated", changes=diff)
    return invoice


# --- life ---------------------------------------------------------------------------------------


def invoice_issue(*, actor: Actor, channel: Channel, invoice_id: int, send_email: bool = True) -> Invoice:
    """Draft -> issued: dated today (the company's day) unless it was issued before, due after the
    payment terms unless a due date is set, under the terms in force now; e-mailed to the customer
    with its PDF (``send_email``) by the handler of ``InvoiceIssued``."""
    ensure_staff(actor)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        if invoice.status != InvoiceStatus.DRAFT:
            raise DomainError("illegal_transition", f"Invoice {invoice.number} is {invoice.status}; "
                                                    "only a draft is issued.")
        if not invoice.lines.exists():
            raise DomainError("no_lines", "An invoice needs at least one line.", field="lines")
        settings = get_settings()
        issue_date = invoice.issue_date or today()
        due = invoice.due_date or issue_date + timedelta(days=settings.payment_terms_days)
        if due < issue_date:
            raise ValidationFailed("dueDate", "The due date is before the issue date.", code="due_before_issue")
        terms = terms_in_force(invoice.trading_name)
        changes = {"status": (invoice.status, InvoiceStatus.ISSUED)}
        if invoice.due_date != due:
            changes["due_date"] = (invoice.due_date, due)
        invoice.status, invoice.issue_date, invoice.due_date = InvoiceStatus.ISSUED, issue_date, due
        invoice.terms_version, invoice.issued_at = terms, timezone.now()
        invoice.save()
        invoice_history.record(invoice, actor=actor, channel=channel, action="issued", changes=changes,
                               data={**_summary(invoice), "terms_version": terms.version if terms else None,
                                     "send_email": send_email}, event=InvoiceIssued, send_email=send_email)
    return invoice


def invoice_to_draft(*, actor: Actor, channel: Channel, invoice_id: int, reason: str = "") -> Invoice:
    """Issued -> draft to correct it ("Convert Invoice to Draft"); its number, dates and payments stay."""
    ensure_staff(actor)
    reason = _text(reason, "reason", limit=2000)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        if invoice.status != InvoiceStatus.ISSUED:
            raise DomainError("illegal_transition", f"Invoice {invoice.number} is {invoice.status}; "
                                                    "only an issued invoice goes back to draft.")
        invoice.status = InvoiceStatus.DRAFT
        invoice.save(update_fields=["status", "updated_at"])
        invoice_history.record(invoice, actor=actor, channel=channel, action="to_draft",
                               changes={"status": (InvoiceStatus.ISSUED, InvoiceStatus.DRAFT)},
                               data={"reason": reason})
    return invoice


def invoice_void(*, actor: Actor, channel: Channel, invoice_id: int, reason: str) -> Invoice:
    """Issued -> void, for good: it keeps its number and stays listed (its total counted as void).
    An invoice with payments is not voided: remove (refund) them first."""
    ensure_staff(actor)
    reason = _text(reason, "reason", limit=2000, required=True)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        if invoice.status != InvoiceStatus.ISSUED:
            raise DomainError("illegal_transition", f"Invoice {invoice.number} is {invoice.status}; "
                                                    "only an issued invoice is voided (a draft is deleted).")
        if paid_of(invoice) > 0:
            raise DomainError("has_payments", "Payments are recorded on this invoice: remove them first.")
        invoice.status, invoice.voided_at, invoice.void_reason = InvoiceStatus.VOID, timezone.now(), reason
        invoice.save(update_fields=["status", "voided_at", "void_reason", "updated_at"])
        invoice_history.record(invoice, actor=actor, channel=channel, action="voided",
                               changes={"status": (InvoiceStatus.ISSUED, InvoiceStatus.VOID)},
                               data={"reason": reason})
    return invoice


def invoice_delete(*, actor: Actor, channel: Channel, invoice_id: int) -> int:
    """Delete a draft; its number is retired, never given out again. Returns the deleted id."""
    ensure_staff(actor)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        if invoice.status != InvoiceStatus.DRAFT:
            raise DomainError("not_draft", f"Invoice {invoice.number} is {invoice.status}: only drafts are deleted "
                                           "(void an issued invoice).")
        if paid_of(invoice) > 0:
            raise DomainError("has_payments", "Payments are recorded on this invoice: remove them first.")
        pk, issued_id = invoice.pk, invoice.issued_number_id
        invoice_history.record(invoice, actor=actor, channel=channel, action="deleted",
                               changes={"status": (invoice.status, "deleted")}, data=_summary(invoice))
        invoice.delete()
        numbers.retire_number(issued_id)
    return pk


def invoice_change_number(*, actor: Actor, channel: Channel, invoice_id: int, number: int) -> Invoice:
    """Give the invoice another number of its trading name's sequence, one never used; the old one is
    retired (``core.company.numbers.change_number``)."""
    ensure_staff(actor)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        if invoice.status == InvoiceStatus.VOID:
            raise DomainError("illegal_transition", "A void invoice keeps its number.")
        documents.renumber(invoice, number, record=lambda **change: invoice_history.record(
            invoice, actor=actor, channel=channel, **change))
    return invoice


def invoice_claim(*, actor: Actor, channel: Channel, invoice_id: int) -> Invoice:
    """The staff member calling becomes the invoice's owner."""
    if not actor.is_staff:
        ensure_staff(actor)
        raise PermissionDenied("Only staff own invoices.")
    with transaction.atomic():
        invoice = _locked(invoice_id)
        documents.claim(invoice, actor, record=lambda **change: invoice_history.record(
            invoice, actor=actor, channel=channel, **change))
    return invoice


# --- settings -----------------------------------------------------------------------------------

SETTING_LIMITS = {"payment_terms_days": MAX_TERMS_DAYS, "reminder_interval_days": 90, "reminder_limit": 20}


def settings_update(*, actor: Actor, channel: Channel, **changes: Any) -> InvoiceSettings:
    if not actor.is_staff:
        ensure_staff(actor)
        raise PermissionDenied("Only staff change the invoice settings.")
    from .invoice_models import AutoInvoice

    row = get_settings()
    for key, value in changes.items():
        if key in ("on_completion", "on_cancellation_fee"):
            if value not in AutoInvoice.values:
                raise ValidationFailed(key, "Off, draft or issue.", code="invalid")
        elif key in SETTING_LIMITS:
            if not isinstance(value, int) or not 0 <= value <= SETTING_LIMITS[key]:
                raise ValidationFailed(key, f"Between 0 and {SETTING_LIMITS[key]}.", code="out_of_range")
        elif key != "fieldworkers_see_prices":
            raise ValidationFailed(key, "Not an invoice setting.", code="invalid")
    with transaction.atomic():
        row = InvoiceSettings.objects.select_for_update().get(pk=row.pk)
        for key, value in changes.items():
            setattr(row, key, bool(value) if key == "fieldworkers_see_prices" else value)
        row.save()
    return row
