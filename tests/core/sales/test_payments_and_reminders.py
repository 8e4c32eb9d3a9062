"""Payments and what they make: paid, balance and payment status derived from the rows; the overdue
reminders on their schedule, once each, held back by the pauses; the numbering race on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from core.actors import Channel
from core.company.selectors import get_company
from core.outreach.models import EmailMessage
from core.sales import invoice_tasks, invoices, payments
from core.sales.invoice_models import Invoice, InvoiceEvent, InvoiceSettings
from core.sales.invoice_selectors import overdue, paid_of, today, with_paid
from core.sales.invoice_totals import payment_status
from tests import factories
from tests.core.outreach.support import deliver

from .support import completed_booking
from .test_invoices import refused

G = Channel.GRAPHQL


@pytest.fixture
def staff(db):
    return factories.staff_actor()


@pytest.fixture
def issued(staff):
    booking = completed_booking(price="100.00")  # 110.00 with tax
    invoice = invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=booking.pk)
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    invoice.refresh_from_db()
    return invoice


def at(day) -> datetime:
    """Noon of ``day`` in the company's zone."""
    return datetime.combine(day, time(12), tzinfo=get_company().tz)


def status_of(invoice: Invoice) -> tuple[Decimal, Decimal, str]:
    paid = paid_of(Invoice.objects.get(pk=invoice.pk))
    return paid, invoice.total - paid, payment_status(invoice.total, paid)


@pytest.mark.django_db
def test_partial_payments_add_up_and_the_status_follows(staff, issued):
    assert status_of(issued) == (Decimal("0"), Decimal("110.00"), "unpaid")
    payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, amount="40", method="cash",
                            reference="counter")
    assert status_of(issued) == (Decimal("40.00"), Decimal("70.00"), "part_paid")
    second = payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, amount="70.00",
                                     method="bank_transfer")
    assert status_of(issued) == (Decimal("110.00"), Decimal("0.00"), "paid")
    third = payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, amount="0.005", method="card")
    assert third.amount == Decimal("0.01")  # half up to the cent (decision 0121)
    assert status_of(issued) == (Decimal("110.01"), Decimal("-0.01"), "overpaid")
    payments.payment_remove(actor=staff, channel=G, payment_id=third.pk, reason="typed twice")
    payments.payment_remove(actor=staff, channel=G, payment_id=second.pk, reason="bounced")
    assert status_of(issued) == (Decimal("40.00"), Decimal("70.00"), "part_paid")
    rows = InvoiceEvent.objects.filter(invoice_id=issued.pk, action__startswith="payment").order_by("pk")
    assert [row.action for row in rows] == ["payment_recorded"] * 3 + ["payment_removed"] * 2
    assert rows[1].changes["payment_status"] == ["part_paid", "paid"]
    assert rows[4].data["reason"] == "bounced"


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"amount": "0", "method": "cash"}, "invalid_amount", "amount"),
    ({"amount": "-5", "method": "cash"}, "invalid_amount", "amount"),
    ({"amount": "Infinity", "method": "cash"}, "invalid", "amount"),
    ({"amount": "5", "method": "cheque"}, "invalid", "method"),
    ({"amount": "5", "method": "cash", "reference": "x" * 101}, "too_long", "reference"),
])
def test_bad_payments_are_refused_and_change_nothing(staff, issued, kwargs, code, field):
    refused(lambda: payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, **kwargs), code, field)
    assert not issued.payments.exists()


@pytest.mark.django_db
def test_a_payment_in_the_future_and_void_with_payments_are_refused(staff, issued):
    refused(lambda: payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, amount="5", method="cash",
                                            paid_on=today() + timedelta(days=5)), "in_future", "paidOn")
    payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, amount="5", method="cash")
    refused(lambda: invoices.invoice_void(actor=staff, channel=G, invoice_id=issued.pk, reason="x"), "has_payments")
    assert Invoice.objects.get(pk=issued.pk).status == "issued" and issued.payments.count() == 1


@pytest.mark.django_db
def test_overdue_is_issued_past_due_with_a_balance(staff, issued):
    later = issued.due_date + timedelta(days=1)
    assert list(overdue(with_paid(Invoice.objects.all()), on=issued.due_date)) == []
    assert list(overdue(with_paid(Invoice.objects.all()), on=later)) == [issued]
    payments.payment_record(actor=staff, channel=G, invoice_id=issued.pk, amount="110", method="card")
    assert list(overdue(with_paid(Invoice.objects.all()), on=later)) == []


@pytest.mark.django_db
def test_reminders_go_once_per_interval_up_to_the_limit(staff, issued):
    InvoiceSettings.objects.filter(pk=1).update(reminder_interval_days=7, reminder_limit=2)
    deliver()
    mail.outbox = []
    due = issued.due_date
    assert invoice_tasks.send_overdue_reminders_now(now=at(due + timedelta(days=1))) == 1
    assert invoice_tasks.send_overdue_reminders_now(now=at(due + timedelta(days=1))) == 0  # the same day
    deliver()
    assert len(mail.outbox) == 1 and "overdue" in mail.outbox[0].subject
    assert mail.outbox[0].attachments[0][0] == f"invoice-{issued.number}.pdf"
    assert invoice_tasks.send_overdue_reminders_now(now=at(due + timedelta(days=4))) == 0  # within the interval
    assert invoice_tasks.send_overdue_reminders_now(now=at(due + timedelta(days=8))) == 1
    assert invoice_tasks.send_overdue_reminders_now(now=at(due + timedelta(days=30))) == 0  # the limit
    assert EmailMessage.objects.filter(kind="invoice_reminder").count() == 2


@pytest.mark.django_db
def test_reminders_respect_the_pause_and_skip_paid_invoices(staff, issued):
    cust = issued.customer
    cust.automated_email_paused = True
    cust.save()
    deliver()
    mail.outbox = []
    invoice_tasks.send_overdue_reminders_now(now=at(issued.due_date + timedelta(days=2)))
    deliver()
    assert mail.outbox == []
    assert EmailMessage.objects.get(kind="invoice_reminder").skip_reason == "paused_for_customer"
    other = completed_booking()
    paid = invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=other.pk)
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=paid.pk, send_email=False)
    paid.refresh_from_db()
    payments.payment_record(actor=staff, channel=G, invoice_id=paid.pk, amount=str(paid.total), method="cash")
    invoice_tasks.send_overdue_reminders_now(now=at(paid.due_date + timedelta(days=30)))
    assert not EmailMessage.objects.filter(kind="invoice_reminder", customer=paid.customer).exists()


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent row locks are tested on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_invoices_get_twenty_distinct_numbers():
    staff = factories.staff_actor()
    customer = factories.customer()
    invoices.invoice_create(actor=staff, channel=G, customer_id=customer.pk)  # the default trading name exists
    barrier = threading.Barrier(20)
    results: list[object] = [None] * 20

    def create(i: int) -> None:
        try:
            barrier.wait()
            results[i] = invoices.invoice_create(actor=staff, channel=G, customer_id=customer.pk,
                                                 lines=[invoices.InvoiceLineInput(description="x", unit_price="1")]
                                                 ).number
        except Exception as exc:  # collected and asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(number, str) for number in results), results
    assert len(set(results)) == 20
    assert Invoice.objects.count() == 21
