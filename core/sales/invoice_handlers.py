"""Subscribers, registered in ``SalesConfig.ready``. All durable (decision 0030): what they write (an
invoice, an e-mail log row and its task row) commits with the change that caused it, or not at all.

* A booking completed: an invoice, when the invoice settings say so (a draft, or issued at once).
* A booking cancelled with a fee charged: an invoice of the fee, likewise.
* An invoice issued: its e-mail, with the PDF, once per issue (the history row's id is the key).
"""

from __future__ import annotations

import logging

from django.db import transaction

from core import events
from core.actors import Actor, Channel
from core.bookings.models import BookingStatus
from core.errors import DomainError

from . import invoice_mail, invoices
from .invoice_events import InvoiceIssued
from .invoice_models import AutoInvoice, Invoice, InvoiceEmailKind, InvoiceSource, InvoiceStatus
from .invoice_selectors import get_settings

logger = logging.getLogger(__name__)
SYSTEM = Channel.SYSTEM


def _auto(mode: str, make) -> None:
    if mode == AutoInvoice.OFF:
        return
    try:
        invoice = make()
    except DomainError as exc:  # invoiced already by hand, or nothing to invoice: nothing to do
        logger.info("no automatic invoice: %s", exc.code)
        return
    if mode == AutoInvoice.ISSUE:
        try:
            with transaction.atomic():
                invoices.invoice_issue(actor=Actor.system(), channel=SYSTEM, invoice_id=invoice.pk)
        except DomainError as exc:  # a booking without lines: the draft waits for staff
            logger.info("automatic invoice %s left in draft: %s", invoice.number, exc.code)


def _completed(event: events.BookingStatusChanged) -> bool:
    return event.new_status == BookingStatus.COMPLETED


def on_booking_status_changed(event: events.BookingStatusChanged) -> None:
    # every confirmation and cancellation passes here: the settings are read only for a completion
    if _completed(event):
        _auto(get_settings().on_completion, lambda: invoices.invoice_create_from_booking(
            actor=Actor.system(), channel=SYSTEM, booking_id=event.booking_id))


def _fee_charged(event: events.BookingCancelled) -> bool:
    try:
        return float(event.fee) > 0
    except ValueError:
        return False


def on_booking_cancelled(event: events.BookingCancelled) -> None:
    if _fee_charged(event):
        _auto(get_settings().on_cancellation_fee, lambda: invoices.invoice_create_for_cancellation_fee(
            actor=Actor.system(), channel=SYSTEM, booking_id=event.booking_id))


def on_invoice_issued(event: InvoiceIssued) -> None:
    if not event.send_email:
        return
    invoice = Invoice.objects.filter(pk=event.invoice_id, status=InvoiceStatus.ISSUED).first()
    if invoice is not None:
        invoice_mail.queue(invoice, InvoiceEmailKind.ISSUED, dedupe_key=f"invoice:{event.event_id}")


def register() -> None:
    events.subscribe(events.BookingStatusChanged, on_booking_status_changed, durable=True, when=_completed)
    events.subscribe(events.BookingCancelled, on_booking_cancelled, durable=True, when=_fee_charged)
    events.subscribe(InvoiceIssued, on_invoice_issued, durable=True)


__all__ = ["InvoiceSource", "register"]
