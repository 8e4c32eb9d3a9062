"""Invoice services: from a booking and a cancellation fee, the breakdown, the life of an invoice
(including every illegal move), numbers, owners, history and events; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.company import services as company_services
from core.company.models import FeeType, IssuedNumber
from core.errors import DomainError
from core.outreach import replies
from core.outreach import services as outreach
from core.outreach.models import EmailMessage
from core.sales import invoices, payments
from core.sales.invoice_models import Invoice, InvoiceEmail, InvoiceEvent, InvoiceSettings, InvoiceStatus
from core.sales.invoice_selectors import visible_invoices
from core.sales.invoices import InvoiceLineInput as Line
from tests import factories
from tests.core.outreach.support import deliver, set_company

from .support import completed_booking, db_state, pdf_amount, pdf_text

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def staff():
    return factories.staff_actor()


def refused(call, code: str, field: str | None = None) -> DomainError:
    """``call`` raises ``code`` and leaves every table as it was (decision 0124)."""
    before = db_state()
    with pytest.raises(DomainError) as caught:
        call()
    after = db_state()
    assert caught.value.code == code, caught.value.message
    assert field is None or caught.value.field == field
    assert after == before
    return caught.value


def draft(staff, **kw) -> Invoice:
    booking = completed_booking(**kw)
    return invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=booking.pk)


def test_invoice_from_a_completed_booking_copies_its_priced_lines(staff, invoice_events):
    booking = completed_booking(price="99.99", quantity="3")
    invoice = invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=booking.pk)
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.tax_rate) == (Decimal("3.00"), Decimal("99.99"), Decimal("10.00"))
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (Decimal("299.97"), Decimal("30.00"),
                                                                    Decimal("329.97"))
    assert invoice.total == booking.total
    assert invoice.number.startswith("INV-") and invoice.status == InvoiceStatus.DRAFT
    assert invoice.owner == staff.user and invoice.booking == booking and invoice.source == "booking"
    row = InvoiceEvent.objects.get(invoice_id=invoice.pk)
    assert (row.action, row.actor_user, row.channel) == ("created", staff.user, "graphql")
    assert invoice_events.actions == ["created"]


def test_an_open_booking_is_not_invoiced_and_nothing_changes(staff):
    booking = factories.booking()
    refused(lambda: invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=booking.pk),
            "not_completed", "bookingId")
    assert not Invoice.objects.filter(booking=booking).exists()


def test_a_booking_is_invoiced_once_while_its_invoice_lives(staff):
    invoice = draft(staff)
    refused(lambda: invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=invoice.booking_id),
            "already_invoiced", "bookingId")
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    invoices.invoice_void(actor=staff, channel=G, invoice_id=invoice.pk, reason="wrong customer")
    again = invoices.invoice_create_from_booking(actor=staff, channel=G, booking_id=invoice.booking_id)
    assert again.pk != invoice.pk and again.number != invoice.number


def test_cancellation_fee_invoice_has_one_line_with_the_booking_and_reason(staff):
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("45.00"),
                cancellation_notice_hours=24 * 30)
    booking = factories.booking()
    booking_services.booking_cancel(actor=staff, channel=G, booking_id=booking.pk, reason="Customer away",
                                    fee_override=Decimal("45.00"))
    invoice = invoices.invoice_create_for_cancellation_fee(actor=staff, channel=G, booking_id=booking.pk)
    line = invoice.lines.get()
    assert line.kind == "fee" and line.unit_price == Decimal("45.00")
    assert f"#{booking.number}" in line.description and "Customer away" in line.description
    assert invoice.total == Decimal("45.00") and invoice.source == "cancellation_fee"


def test_no_fee_no_fee_invoice(staff):
    booking = factories.booking()
    booking_services.booking_cancel(actor=staff, channel=G, booking_id=booking.pk, reason="x")
    refused(lambda: invoices.invoice_create_for_cancellation_fee(actor=staff, channel=G, booking_id=booking.pk),
            "no_fee", "bookingId")
    assert not Invoice.objects.filter(booking=booking).exists()


def test_breakdown_prices_items_by_the_engine_keeps_overrides_and_adds_fees_and_discounts(staff):
    invoice = draft(staff)
    svc = factories.service(price=Decimal("50.00"), tax_rate=Decimal("10"))
    invoices.invoice_set_lines(actor=staff, channel=G, invoice_id=invoice.pk, lines=[
        Line(service_id=svc.pk, quantity="2"),
        Line(service_id=svc.pk, quantity="1", unit_price="40", discount_percent="12.5"),
        Line(kind="fee", description="Call-out", unit_price="15", tax_rate="10"),
        Line(kind="discount", description="Loyalty", unit_price="5.55", tax_rate="10"),
    ])
    invoice.refresh_from_db()
    first, second, _fee, discount = invoice.lines.all()
    assert first.unit_price == Decimal("50.00") and first.pricing[0]["code"] == "base"
    assert first.price_overridden_at is None
    assert second.unit_price == Decimal("40.00") and second.price_overridden_by == staff.user
    assert second.list_unit_price == Decimal("50.00") and second.pricing[-1]["code"] == "override"
    assert second.figures.discount == Decimal("5.00") and second.figures.net == Decimal("35.00")
    assert discount.figures.net == Decimal("-5.55") and discount.figures.tax == Decimal("-0.56")
    # 100 + 35 + 15 - 5.55 net; tax 10 + 3.50 + 1.50 - 0.56
    assert invoice.subtotal == Decimal("144.45") and invoice.tax_total == Decimal("14.44")
    assert invoice.total == Decimal("158.89") and invoice.discount_total == Decimal("10.55")
    assert InvoiceEvent.objects.filter(invoice_id=invoice.pk, action="lines_set").exists()


@pytest.mark.parametrize(("line", "code", "field"), [
    (Line(kind="item", unit_price="-1", description="x"), "invalid_price", "lines.0.unitPrice"),
    (Line(kind="item", unit_price="1", description="x", quantity="0"), "invalid_quantity", "lines.0.quantity"),
    (Line(kind="item", unit_price="1", description="x", tax_rate="101"), "out_of_range", "lines.0.taxRate"),
    (Line(kind="fee", unit_price="1", discount_percent="5"), "invalid", "lines.0.discountPercent"),
    (Line(kind="item", description="x"), "required", "lines.0.unitPrice"),
    (Line(kind="gift", unit_price="1", description="x"), "invalid", "lines.0.kind"),
    (Line(kind="item", unit_price="NaN", description="x"), "invalid", "lines.0.unitPrice"),
    (Line(kind="item", unit_price="1", description="a\x00b"), "invalid_characters", "lines.0.description"),
    (Line(kind="discount", unit_price="500"), "negative_total", "lines"),
    (Line(service_id=999999), "not_found", "lines.0.serviceId"),
])
def test_bad_lines_are_refused_and_change_nothing(staff, line, code, field):
    invoice = draft(staff)
    kept = list(invoice.lines.values_list("pk", "unit_price"))
    lines = [Line(description="Work", unit_price="100"), line] if code == "negative_total" else [line]
    refused(lambda: invoices.invoice_set_lines(actor=staff, channel=G, invoice_id=invoice.pk, lines=lines),
            code, field)
    assert list(invoice.lines.values_list("pk", "unit_price")) == kept


def test_life_draft_issued_draft_issued_void_with_history(staff, invoice_events):
    invoice = draft(staff)
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.issue_date is not None
    assert invoice.due_date == invoice.issue_date + timedelta(days=14)
    invoices.invoice_to_draft(actor=staff, channel=G, invoice_id=invoice.pk, reason="wrong quantity")
    invoices.invoice_set_lines(actor=staff, channel=G, invoice_id=invoice.pk,
                               lines=[Line(description="Work", unit_price="10")])
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    invoices.invoice_void(actor=staff, channel=G, invoice_id=invoice.pk, reason="duplicate")
    invoice.refresh_from_db()
    assert invoice.status == "void" and invoice.number.startswith("INV-") and invoice.void_reason == "duplicate"
    actions = list(InvoiceEvent.objects.filter(invoice_id=invoice.pk).values_list("action", flat=True))
    assert actions == ["created", "issued", "to_draft", "lines_set", "issued", "voided"]
    to_draft = InvoiceEvent.objects.get(invoice_id=invoice.pk, action="to_draft")
    assert to_draft.data["reason"] == "wrong quantity" and to_draft.changes["status"] == ["issued", "draft"]
    assert invoice_events.actions == actions
    assert Invoice.objects.filter(pk=invoice.pk).exists()  # a void invoice stays in every list


ILLEGAL = {
    "draft": [("to_draft", "illegal_transition"), ("void", "illegal_transition"), ("pay", "not_issued")],
    "issued": [("issue", "illegal_transition"), ("delete", "not_draft"), ("lines", "not_draft"),
               ("update", "not_draft")],
    "void": [("issue", "illegal_transition"), ("to_draft", "illegal_transition"), ("void", "illegal_transition"),
             ("delete", "not_draft"), ("lines", "not_draft"), ("pay", "not_issued"), ("renumber", "illegal_transition")],
}


def _move(staff, invoice_id: int, move: str):
    calls = {
        "issue": lambda: invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice_id),
        "to_draft": lambda: invoices.invoice_to_draft(actor=staff, channel=G, invoice_id=invoice_id),
        "void": lambda: invoices.invoice_void(actor=staff, channel=G, invoice_id=invoice_id, reason="x"),
        "delete": lambda: invoices.invoice_delete(actor=staff, channel=G, invoice_id=invoice_id),
        "lines": lambda: invoices.invoice_set_lines(actor=staff, channel=G, invoice_id=invoice_id, lines=[]),
        "update": lambda: invoices.invoice_update(actor=staff, channel=G, invoice_id=invoice_id, notes="n"),
        "pay": lambda: payments.payment_record(actor=staff, channel=G, invoice_id=invoice_id, amount="1",
                                               method="cash"),
        "renumber": lambda: invoices.invoice_change_number(actor=staff, channel=G, invoice_id=invoice_id,
                                                           number=777777),
    }
    return calls[move]()


@pytest.mark.parametrize(("status", "move", "code"), [(s, m, c) for s, moves in ILLEGAL.items() for m, c in moves])
def test_illegal_moves_are_refused_and_change_nothing(staff, status, move, code):
    invoice = draft(staff)
    if status != "draft":
        invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    if status == "void":
        invoices.invoice_void(actor=staff, channel=G, invoice_id=invoice.pk, reason="x")
    refused(lambda: _move(staff, invoice.pk, move), code)
    assert Invoice.objects.get(pk=invoice.pk).status == status


def test_an_invoice_without_lines_is_not_issued(staff):
    invoice = invoices.invoice_create(actor=staff, channel=G, customer_id=factories.customer().pk)
    refused(lambda: invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk), "no_lines", "lines")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT


def test_deleting_a_draft_retires_its_number_for_good(staff):
    invoice = draft(staff)
    number, issued_id = invoice.number, invoice.issued_number_id
    assert invoices.invoice_delete(actor=staff, channel=G, invoice_id=invoice.pk) == invoice.pk
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert IssuedNumber.objects.get(pk=issued_id).status == "retired"
    assert InvoiceEvent.objects.filter(invoice_id=invoice.pk, action="deleted", number=number).exists()
    following = draft(staff)
    assert following.number != number
    value = int(number.removeprefix("INV-"))
    refused(lambda: invoices.invoice_change_number(actor=staff, channel=G, invoice_id=following.pk, number=value),
            "number_used", "number")


def test_change_number_moves_to_an_unused_number_and_retires_the_old(staff):
    invoice = draft(staff)
    other = draft(staff)
    old = invoice.number
    invoices.invoice_change_number(actor=staff, channel=G, invoice_id=invoice.pk, number=5000)
    invoice.refresh_from_db()
    assert invoice.number == "INV-5000"
    assert InvoiceEvent.objects.get(invoice_id=invoice.pk, action="renumbered").changes["number"] == [old, "INV-5000"]
    taken = int(other.number.removeprefix("INV-"))
    refused(lambda: invoices.invoice_change_number(actor=staff, channel=G, invoice_id=invoice.pk, number=taken),
            "number_used", "number")
    refused(lambda: invoices.invoice_change_number(actor=staff, channel=G, invoice_id=invoice.pk,
                                                   number=int(old.removeprefix("INV-"))), "number_used", "number")


def test_prefix_per_trading_name(staff):
    brand = company_services.trading_name_create(actor=staff, channel=G, name="Green Co", invoice_prefix="GRN-",
                                                 quote_prefix="GQ-", number_start=1)
    invoice = invoices.invoice_create(actor=staff, channel=G, customer_id=factories.customer().pk,
                                      trading_name_id=brand.pk, lines=[Line(description="Work", unit_price="10")])
    assert invoice.number == "GRN-1"


def test_claim_makes_the_caller_the_owner(staff):
    invoice = draft(staff)
    other = factories.staff_actor()
    invoices.invoice_claim(actor=other, channel=G, invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.owner == other.user
    assert InvoiceEvent.objects.get(invoice_id=invoice.pk, action="claimed").actor_user == other.user


def test_customers_and_fieldworkers_write_nothing(staff):
    invoice = draft(staff)
    cust = Actor.for_customer(invoice.customer)
    worker = Actor.for_fieldworker(factories.fieldworker())
    for actor in (cust, worker):
        refused(lambda actor=actor: invoices.invoice_issue(actor=actor, channel=G, invoice_id=invoice.pk), "forbidden")
        refused(lambda actor=actor: invoices.invoice_claim(actor=actor, channel=G, invoice_id=invoice.pk), "forbidden")
        refused(lambda actor=actor: payments.payment_record(actor=actor, channel=G, invoice_id=invoice.pk,
                                                            amount="1", method="cash"), "forbidden")
    refused(lambda: invoices.invoice_issue(actor=Actor.anonymous(), channel=G, invoice_id=invoice.pk),
            "unauthenticated")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT and not invoice.payments.exists()


def test_who_sees_invoices(staff):
    invoice = draft(staff)
    mine = Actor.for_customer(invoice.customer)
    other = Actor.for_customer(factories.customer())
    assert list(visible_invoices(mine)) == []  # a draft is the office's
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    assert list(visible_invoices(mine)) == [invoice] and list(visible_invoices(other)) == []
    worker = factories.fieldworker()
    from core.bookings.models import BookingAssignment

    BookingAssignment.objects.create(booking_id=invoice.booking_id, fieldworker=worker, status="accepted")
    as_worker = Actor.for_fieldworker(worker)
    assert list(visible_invoices(as_worker)) == []
    InvoiceSettings.objects.filter(pk=1).update(fieldworkers_see_prices=True)
    assert list(visible_invoices(as_worker)) == [invoice]


def test_issuing_emails_the_invoice_with_its_pdf_and_a_signed_link(staff):
    invoice = draft(staff, price="80.00")
    deliver()
    mail.outbox = []
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk)
    deliver()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invoice.customer.email] and invoice.number in message.subject
    (filename, data, mimetype), = message.attachments
    assert filename == f"invoice-{invoice.number}.pdf" and mimetype == "application/pdf"
    text = pdf_text(data)
    assert invoice.number in text and pdf_amount(text, "Total") == invoice.total == Decimal("88.00")
    assert "https://fieldops.example/i/" in message.body


def test_the_invoice_email_comes_from_its_trading_name(staff, settings):
    from core.company.models import TradingName

    settings.DEFAULT_FROM_EMAIL = "Fieldops <billing@fieldops.example>"
    invoice = draft(staff, price="80.00")
    TradingName.objects.filter(pk=invoice.trading_name_id).update(sender_name="SparkleCo", email="accounts@sparkle.example")
    deliver()
    mail.outbox = []
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk)
    deliver()
    [message] = mail.outbox
    # its display name on the business's own sending address; an answer about the booking's invoice
    # joins the booking's discussion (decision 0614)
    assert message.from_email == "SparkleCo <billing@fieldops.example>"
    assert message.reply_to == [replies.reply_address(invoice.booking_id)]
    # an invoice about no booking: answers go to the trading name's own address
    Invoice.objects.filter(pk=invoice.pk).update(booking=None)  # test set-up: an invoice made by hand
    message = EmailMessage.objects.create(kind="invoice", to_address="jo@example.com", customer=invoice.customer)
    InvoiceEmail.objects.create(invoice=invoice, email_message=message, kind="issued")
    outreach.email_deliver(actor=Actor.system(), channel=Channel.SYSTEM, message_id=message.pk, claim="test")
    assert mail.outbox[-1].reply_to == ["accounts@sparkle.example"]


def test_issuing_to_a_paused_customer_logs_the_email_as_skipped(staff):
    from core.outreach.models import EmailMessage

    invoice = draft(staff)
    invoice.customer.automated_email_paused = True
    invoice.customer.save()
    deliver()
    mail.outbox = []
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk)
    deliver()
    assert mail.outbox == []
    row = EmailMessage.objects.get(kind="invoice")
    assert row.status == "skipped" and row.skip_reason == "paused_for_customer"


@pytest.mark.parametrize("mode", ["draft", "issue"])
def test_completing_a_booking_invoices_it_when_the_setting_says_so(mode):
    InvoiceSettings.objects.update_or_create(pk=1, defaults={"on_completion": mode})
    booking = completed_booking()
    deliver()
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.status == ("draft" if mode == "draft" else "issued")
    assert invoice.total == booking.total
    assert InvoiceEvent.objects.get(invoice_id=invoice.pk, action="created").actor_kind == "system"
    assert len([m for m in mail.outbox if "invoice" in m.subject.lower()]) == (1 if mode == "issue" else 0)


def test_completing_a_booking_with_the_setting_off_makes_no_invoice():
    booking = completed_booking()
    assert not Invoice.objects.filter(booking=booking).exists()


def test_a_charged_fee_invoices_itself_when_the_setting_says_so(staff):
    InvoiceSettings.objects.update_or_create(pk=1, defaults={"on_cancellation_fee": "draft"})
    booking = factories.booking()
    booking_services.booking_cancel(actor=staff, channel=G, booking_id=booking.pk, reason="late",
                                    fee_override=Decimal("30"))
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.total == Decimal("30.00") and invoice.source == "cancellation_fee"


def test_update_a_draft_due_date_and_notes_and_refuse_bad_dates(staff):
    invoice = draft(staff)
    due = timezone.now().date() + timedelta(days=30)
    invoices.invoice_update(actor=staff, channel=G, invoice_id=invoice.pk, due_date=due, notes="Thanks")
    invoice.refresh_from_db()
    assert invoice.due_date == due and invoice.notes == "Thanks"
    from datetime import date

    refused(lambda: invoices.invoice_update(actor=staff, channel=G, invoice_id=invoice.pk, due_date=date(1999, 1, 1)),
            "invalid_date", "dueDate")


def test_a_failed_invoice_email_is_sent_again_by_staff_with_its_pdf(staff):
    from core.outreach import services as outreach
    from core.outreach.models import EmailMessage

    invoice = invoices.invoice_create(actor=staff, channel=G, customer_id=factories.customer().pk,
                                      lines=[Line(description="Work", unit_price="10")])
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk)
    row = EmailMessage.objects.get(kind="invoice")
    assert row.booking_id is None
    deliver()
    EmailMessage.objects.filter(pk=row.pk).update(status="failed", error="SMTPServerDisconnected")
    mail.outbox = []
    outreach.email_retry(actor=staff, channel=G, message_id=row.pk)
    deliver()
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][0] == f"invoice-{invoice.number}.pdf"
    assert EmailMessage.objects.get(pk=row.pk).status == "sent"


def test_an_invoice_voided_before_its_email_went_is_not_sent(staff):
    from core.outreach.models import EmailMessage

    invoice = invoices.invoice_create(actor=staff, channel=G, customer_id=factories.customer().pk,
                                      lines=[Line(description="Work", unit_price="10")])
    # issued and voided in one transaction: the e-mail's task runs after, and finds it void
    from django.db import transaction

    with transaction.atomic():
        invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk)
        invoices.invoice_void(actor=staff, channel=G, invoice_id=invoice.pk, reason="wrong customer")
    deliver()
    assert mail.outbox == []
    assert EmailMessage.objects.get(kind="invoice").status == "failed"


def test_the_pdf_is_branded_and_prints_the_terms_version_it_was_issued_under(staff):
    brand = company_services.trading_name_create(actor=staff, channel=G, name="Harbour Windows", invoice_prefix="HW-",
                                                 quote_prefix="HQ-", tax_number="ABN 12 345 678 901")
    company_services.terms_publish(actor=staff, channel=G, trading_name_id=brand.pk, text="Pay within 14 days.")
    invoice = invoices.invoice_create(actor=staff, channel=G, customer_id=factories.customer().pk,
                                      trading_name_id=brand.pk, lines=[Line(description="Glass", unit_price="300")])
    invoices.invoice_issue(actor=staff, channel=G, invoice_id=invoice.pk, send_email=False)
    later = timezone.now() + timedelta(seconds=1)
    company_services.terms_publish(actor=staff, channel=G, trading_name_id=brand.pk, text="Pay within 7 days.",
                                   in_force_from=later)
    from core.sales import invoice_pdf

    text = pdf_text(invoice_pdf.render(invoice_pdf.loaded(invoice.pk, staff)))
    assert "Harbour Windows" in text and "ABN 12 345 678 901" in text and invoice.number in text
    assert "Terms and conditions (version 1)" in text and "Pay within 14 days." in text
    assert pdf_amount(text, "Total") == Decimal("300.00")
    invoices.invoice_void(actor=staff, channel=G, invoice_id=invoice.pk, reason="glass broke")
    assert "VOID Invoice" in pdf_text(invoice_pdf.render(invoice_pdf.loaded(invoice.pk, staff)))


def test_moving_a_draft_to_another_trading_name_renumbers_it_and_retires_the_old_number(staff):
    invoice = draft(staff)
    old_issued = invoice.issued_number_id
    brand = company_services.trading_name_create(actor=staff, channel=G, name="Other Co", invoice_prefix="OC-",
                                                 quote_prefix="OQ-", number_start=500)
    invoices.invoice_update(actor=staff, channel=G, invoice_id=invoice.pk, trading_name_id=brand.pk)
    invoice.refresh_from_db()
    assert invoice.number == "OC-500" and invoice.trading_name == brand
    assert IssuedNumber.objects.get(pk=old_issued).status == "retired"
    row = InvoiceEvent.objects.get(invoice_id=invoice.pk, action="updated")
    assert row.changes["number"][1] == "OC-500"
