"""Payments against issued invoices: amount, method, date, reference. Partial payments add up; what
was paid, the balance and the payment status (unpaid, part paid, paid, overpaid) are derived from
the payment rows whenever they are read, never stored (decision 0831). Staff only; each recording or
removal is on the invoice's history with who and through what, and publishes its event."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, ValidationFailed
from core.money import ZERO

from . import invoice_history, invoice_totals
from .invoice_events import PaymentRecorded, PaymentRemoved
from .invoice_models import Invoice, InvoiceStatus, Payment, PaymentMethod
from .invoice_selectors import paid_of, today
from .invoices import _date, _decimal, _locked, _text, ensure_staff

MAX_PAYMENT = Decimal("9999999999.99")


def payment_record(*, actor: Actor, channel: Channel, invoice_id: int, amount: Any, method: str,
                   paid_on: date | None = None, reference: str = "") -> Payment:
    ensure_staff(actor)
    amount = _decimal(amount, "amount", lo=Decimal("0.01"), hi=MAX_PAYMENT, code="invalid_amount")
    if method not in PaymentMethod.values:
        raise ValidationFailed("method", "Cash, card, bank transfer or other.", code="invalid")
    reference = _text(reference, "reference", limit=100)
    with transaction.atomic():
        invoice = _locked(invoice_id)
        paid_on = today() if paid_on is None else _date(paid_on, "paidOn")
        if paid_on > today() + timedelta(days=1):
            raise ValidationFailed("paidOn", "A payment is not dated in the future.", code="in_future")
        if invoice.status != InvoiceStatus.ISSUED:
            raise DomainError("not_issued", f"Invoice {invoice.number} is {invoice.status}: payments are recorded "
                                            "against issued invoices.")
        before = paid_of(invoice)
        payment = Payment.objects.create(invoice=invoice, amount=amount, method=method, paid_on=paid_on,
                                         reference=reference, recorded_by=actor.user)
        after = before + amount
        invoice_history.record(
            invoice, actor=actor, channel=channel, action="payment_recorded",
            changes={"paid": (str(before), str(after)),
                     "payment_status": (invoice_totals.payment_status(invoice.total, before),
                                        invoice_totals.payment_status(invoice.total, after))},
            data={"payment_id": payment.pk, "amount": str(amount), "method": method, "paid_on": paid_on.isoformat(),
                  "reference": reference},
            event=PaymentRecorded, payment_id=payment.pk, amount=str(amount))
    return payment


def payment_remove(*, actor: Actor, channel: Channel, payment_id: int, reason: str) -> Invoice:
    """Take back a payment recorded in error (or refunded); the invoice's history keeps it."""
    ensure_staff(actor)
    reason = _text(reason, "reason", limit=2000, required=True)
    with transaction.atomic():
        found = Payment.objects.filter(pk=payment_id).values_list("invoice_id", flat=True).first()
        if found is None:
            raise NotFound("payment")
        invoice = _locked(found)
        payment = Payment.objects.filter(pk=payment_id, invoice_id=invoice.pk).first()
        if payment is None:
            raise NotFound("payment")
        if invoice.status == InvoiceStatus.VOID:
            raise DomainError("illegal_transition", "A void invoice has no payments to change.")
        before = paid_of(invoice)
        after = before - payment.amount
        payment.delete()
        invoice_history.record(
            invoice, actor=actor, channel=channel, action="payment_removed",
            changes={"paid": (str(before), str(after)),
                     "payment_status": (invoice_totals.payment_status(invoice.total, before),
                                        invoice_totals.payment_status(invoice.total, max(after, ZERO)))},
            data={"payment_id": payment_id, "amount": str(payment.amount), "method": payment.method,
                  "paid_on": payment.paid_on.isoformat(), "reference": payment.reference, "reason": reason},
            event=PaymentRemoved, payment_id=payment_id, amount=str(payment.amount))
    return invoice
