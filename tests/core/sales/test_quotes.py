"""Quote services: lines priced by the engine, the life of a quote (every illegal move refused and
changing nothing), numbers, owners, labels, history and events, the e-mail with its PDF, accepting
into a booking or an appointment request, expiry and follow-ups once, invoices and inquiries."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings.models import Booking
from core.company import services as company_services
from core.company.models import IssuedNumber
from core.crm import services as crm_services
from core.crm.models import Inquiry
from core.errors import DomainError
from core.outreach.models import BookingRequest, EmailMessage
from core.sales import quote_pdf, quote_tasks, quotes
from core.sales.invoice_models import Invoice
from core.sales.quote_models import Quote, QuoteEvent, QuoteStatus
from core.sales.quote_selectors import visible_quotes
from core.sales.quotes import QuoteLineInput as Line
from tests import factories
from tests.core.outreach.support import deliver

from .support import db_state, pdf_amount, pdf_text

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


def draft(staff, *, customer=None, price: str = "120.00", quantity: str = "2", **kw) -> Quote:
    svc = factories.service(price=Decimal(price), tax_rate=Decimal("10"))
    return quotes.quote_create(actor=staff, channel=G, customer_id=(customer or factories.customer()).pk,
                               lines=[Line(service_id=svc.pk, quantity=quantity)], **kw)


def sent(staff, **kw) -> Quote:
    quote = draft(staff, **kw)
    return quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)


def test_a_draft_is_numbered_from_the_quote_sequence_and_priced_by_the_engine(staff, quote_events):
    svc = factories.service(price=Decimal("99.99"), tax_rate=Decimal("10"))
    quote = quotes.quote_create(actor=staff, channel=G, customer_id=factories.customer().pk, lines=[
        Line(service_id=svc.pk, quantity="3"), Line(service_id=svc.pk, unit_price="80.00"),
        Line(kind="discount", description="Loyalty", unit_price="10.00")])
    assert quote.number.startswith("Q-") and quote.status == QuoteStatus.DRAFT and quote.owner_id == staff.user_id
    first, override, discount = quote.lines.all()
    assert (first.unit_price, first.list_unit_price, first.price_overridden_by_id) == (
        Decimal("99.99"), Decimal("99.99"), None)
    assert (override.unit_price, override.list_unit_price, override.price_overridden_by_id) == (
        Decimal("80.00"), Decimal("99.99"), staff.user_id)
    assert quote.subtotal == Decimal("299.97") + Decimal("80.00") - Decimal("10.00")
    assert quote.total == sum((line.figures.total for line in (first, override, discount)), Decimal("0"))
    assert quote_events.actions == ["created"]


def test_life_draft_sent_accepted_with_history_and_events(staff, quote_events):
    quote = draft(staff)
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)
    customer_actor = Actor.for_customer(quote.customer)
    quotes.quote_accept(actor=customer_actor, channel=Channel.PORTAL, quote_id=quote.pk)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.decided_channel == "portal"
    assert quote_events.actions == ["created", "sent", "accepted"]
    rows = list(QuoteEvent.objects.filter(quote_id=quote.pk).values_list("action", "channel", "actor_kind"))
    assert rows == [("created", "graphql", "staff"), ("sent", "graphql", "staff"),
                    ("accepted", "portal", "customer")]


@pytest.mark.parametrize("status,move,code", [
    ("draft", "accept", "illegal_transition"),
    ("draft", "decline", "illegal_transition"),
    ("sent", "send", "illegal_transition"),
    ("accepted", "send", "illegal_transition"),
    ("accepted", "decline", "illegal_transition"),
    ("accepted", "accept", "illegal_transition"),
    ("declined", "accept", "illegal_transition"),
    ("expired", "accept", "illegal_transition"),
    ("expired", "decline", "illegal_transition"),
    ("sent", "delete", "quote_not_draft"),
    ("accepted", "delete", "quote_not_draft"),
    ("sent", "set_lines", "quote_not_draft"),
])
def test_illegal_moves_are_refused_and_change_nothing(staff, status, move, code):
    quote = draft(staff)
    if status != "draft":
        quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)
    if status == "accepted":
        quotes.quote_accept(actor=staff, channel=G, quote_id=quote.pk)
    elif status == "declined":
        quotes.quote_decline(actor=staff, channel=G, quote_id=quote.pk)
    elif status == "expired":
        Quote.objects.filter(pk=quote.pk).update(valid_until=quotes.today() - timedelta(days=1))
        assert quotes.quote_expire_due(actor=Actor.system(), channel=Channel.SYSTEM) == 1
    deliver()
    calls = {
        "accept": lambda: quotes.quote_accept(actor=staff, channel=G, quote_id=quote.pk),
        "decline": lambda: quotes.quote_decline(actor=staff, channel=G, quote_id=quote.pk),
        "send": lambda: quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk),
        "delete": lambda: quotes.quote_delete(actor=staff, channel=G, quote_id=quote.pk),
        "set_lines": lambda: quotes.quote_set_lines(actor=staff, channel=G, quote_id=quote.pk,
                                                    lines=[Line(description="x", unit_price="1")]),
    }
    refused(calls[move], code)
    assert Quote.objects.get(pk=quote.pk).status == status


def test_a_quote_past_its_validity_is_not_accepted(staff):
    quote = sent(staff)
    Quote.objects.filter(pk=quote.pk).update(valid_until=quotes.today() - timedelta(days=1))
    refused(lambda: quotes.quote_accept(actor=Actor.for_customer(quote.customer), channel=Channel.PORTAL,
                                        quote_id=quote.pk), "quote_expired")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SENT


def test_another_customers_quote_answers_as_missing_and_drafts_are_the_offices(staff):
    quote = sent(staff)
    stranger = Actor.for_customer(factories.customer())
    refused(lambda: quotes.quote_accept(actor=stranger, channel=Channel.PORTAL, quote_id=quote.pk), "not_found")
    refused(lambda: quotes.quote_decline(actor=stranger, channel=Channel.PORTAL, quote_id=quote.pk), "not_found")
    other = draft(staff)
    refused(lambda: quotes.quote_accept(actor=Actor.for_customer(other.customer), channel=Channel.PORTAL,
                                        quote_id=other.pk), "not_found")
    assert list(visible_quotes(Actor.for_customer(other.customer))) == []
    assert list(visible_quotes(Actor.for_customer(quote.customer))) == [quote]
    assert list(visible_quotes(Actor.for_fieldworker(factories.fieldworker()))) == []


def test_customers_and_fieldworkers_do_not_write_quotes(staff):
    customer = factories.customer()
    refused(lambda: quotes.quote_create(actor=Actor.for_customer(customer), channel=Channel.PORTAL,
                                        customer_id=customer.pk), "forbidden")
    refused(lambda: quotes.quote_create(actor=Actor.anonymous(), channel=Channel.PORTAL,
                                        customer_id=customer.pk), "unauthenticated")
    assert not Quote.objects.filter(customer=customer).exists()


def test_accepting_with_an_agreed_time_books_the_job_with_the_quotes_lines(staff):
    customer = factories.customer()
    prop = factories.property_for(customer)
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    quote = draft(staff, customer=customer, property_id=prop.pk, agreed_start=start, price="50.00", quantity="3")
    company_services.terms_publish(actor=staff, channel=G, trading_name_id=quote.trading_name_id,
                                   text="Quotes hold 30 days.")
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)
    quotes.quote_accept(actor=Actor.for_customer(customer), channel=Channel.EMAIL_LINK, quote_id=quote.pk)
    quote.refresh_from_db()
    booking = Booking.objects.get(pk=quote.booking_id)
    assert booking.customer_id == customer.pk and booking.property_id == prop.pk
    assert booking.scheduled_start == start
    line = booking.lines.get()
    assert (line.quantity, line.unit_price) == (Decimal("3.00"), Decimal("50.00"))
    assert booking.total == quote.total
    assert booking.owner_id == staff.user_id
    assert quote.accepted_terms_version is not None and quote.accepted_terms_version.version == 1
    assert QuoteEvent.objects.get(quote_id=quote.pk, action="accepted").data["terms_version"] == 1
    assert BookingRequest.objects.count() == 0


def test_accepting_without_a_time_files_an_appointment_request_with_the_lines(staff):
    quote = sent(staff, price="70.00", quantity="2")
    quotes.quote_accept(actor=Actor.for_customer(quote.customer), channel=Channel.SMS, quote_id=quote.pk)
    quote.refresh_from_db()
    request = BookingRequest.objects.get(pk=quote.booking_request_id)
    assert request.customer_id == quote.customer_id and request.channel == "sms"
    assert quote.number in request.notes and "2 x " in request.notes
    assert quote.booking_id is None and Booking.objects.count() == 0


def test_a_departed_owner_does_not_stop_the_booking(staff):
    quote = draft(staff, agreed_start=timezone.now() + timedelta(days=2))
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)
    staff.user.is_active = False
    staff.user.save()
    quotes.quote_accept(actor=Actor.for_customer(quote.customer), channel=Channel.PORTAL, quote_id=quote.pk)
    quote.refresh_from_db()
    assert quote.status == "accepted" and Booking.objects.get(pk=quote.booking_id).owner_id is None


def test_a_failing_booking_leaves_the_quote_sent(staff):
    """One service call: when the booking cannot be made, nothing is accepted."""
    start = timezone.now() + timedelta(days=2)
    quote = draft(staff, agreed_start=start)
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_email=False)
    deliver()
    quote.lines.first().service.__class__.objects.update(active=False)
    before = db_state()
    with pytest.raises(DomainError):
        quotes.quote_accept(actor=Actor.for_customer(quote.customer), channel=Channel.PORTAL, quote_id=quote.pk)
    assert db_state() == before
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SENT


def test_sending_emails_the_quote_with_its_pdf_and_a_signed_link(staff):
    quote = draft(staff, price="80.00", quantity="1")
    deliver()
    mail.outbox = []
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk)
    deliver()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [quote.customer.email] and quote.number in message.subject
    (filename, data, mimetype), = message.attachments
    assert filename == f"quote-{quote.number}.pdf" and mimetype == "application/pdf"
    text = pdf_text(data)
    assert f"Quote {quote.number}" in text and pdf_amount(text, "Total") == Decimal("88.00") == quote.total
    assert "https://fieldops.example/q/" in message.body
    assert EmailMessage.objects.get(kind="quote").status == "sent"


def test_the_quote_email_comes_from_its_trading_name(staff, settings):
    from core.company.models import TradingName

    settings.DEFAULT_FROM_EMAIL = "Fieldops <sales@fieldops.example>"
    quote = draft(staff)
    TradingName.objects.filter(pk=quote.trading_name_id).update(sender_name="SparkleCo", email="quotes@sparkle.example")
    deliver()
    mail.outbox = []
    quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk)
    deliver()
    [message] = mail.outbox
    assert message.from_email == "SparkleCo <sales@fieldops.example>"
    assert message.reply_to == ["quotes@sparkle.example"]  # a quote is about no booking yet


def test_the_pdf_prints_every_figure_the_database_holds(staff):
    svc = factories.service(price=Decimal("33.33"), tax_rate=Decimal("10"))
    quote = quotes.quote_create(actor=staff, channel=G, customer_id=factories.customer().pk, lines=[
        Line(service_id=svc.pk, quantity="3", discount_percent="12.5"),
        Line(description="Call-out", kind="fee", unit_price="15.55", tax_rate="0"),
        Line(kind="discount", description="Voucher", unit_price="5")])
    text = pdf_text(quote_pdf.render(quote_pdf.loaded(quote.pk, staff)))
    assert "DRAFT Quote" in text
    assert pdf_amount(text, "Subtotal") == quote.subtotal
    assert pdf_amount(text, "Tax") == quote.tax_total
    assert pdf_amount(text, "Total") == quote.total


def test_sending_by_sms_needs_a_mobile_and_keeps_the_number(staff):
    customer = factories.customer(mobile="")
    quote = draft(staff, customer=customer)
    deliver()
    refused(lambda: quotes.quote_send(actor=staff, channel=G, quote_id=quote.pk, send_sms=True), "no_mobile",
            "sendSms")
    other = draft(staff)
    quotes.quote_send(actor=staff, channel=G, quote_id=other.pk, send_email=False, send_sms=True)
    other.refresh_from_db()
    assert other.sms_to == other.customer.mobile


def test_expiry_runs_once_and_skips_answered_quotes(staff, quote_events):
    old, answered, current = sent(staff), sent(staff), sent(staff)
    yesterday = quotes.today() - timedelta(days=1)
    Quote.objects.filter(pk__in=[old.pk, answered.pk]).update(valid_until=yesterday)
    quotes.quote_decline(actor=staff, channel=G, quote_id=answered.pk, reason="too dear")
    assert quote_tasks.expire_quotes_now() == 1
    assert quote_tasks.expire_quotes_now() == 0
    assert [Quote.objects.get(pk=q.pk).status for q in (old, answered, current)] == ["expired", "declined", "sent"]
    assert quote_events.actions.count("expired") == 1


def test_the_follow_up_reminder_goes_to_the_owner_once_per_date(staff):
    quote = draft(staff, follow_up_date=quotes.today())
    deliver()
    mail.outbox = []
    assert quote_tasks.send_follow_up_reminders_now() == 1
    deliver()
    assert quote_tasks.send_follow_up_reminders_now() == 0
    deliver()
    assert [message.to for message in mail.outbox] == [[staff.user.email]]
    assert quote.number in mail.outbox[0].subject
    quotes.quote_update(actor=staff, channel=G, quote_id=quote.pk, follow_up_date=quotes.today())
    assert quote_tasks.send_follow_up_reminders_now() == 0  # the same date: reminded already
    tomorrow = quotes.today() + timedelta(days=1)
    quotes.quote_update(actor=staff, channel=G, quote_id=quote.pk, follow_up_date=tomorrow)
    assert quote_tasks.send_follow_up_reminders_now() == 0  # not yet


def test_deleting_a_draft_retires_its_number_for_good(staff, quote_events):
    quote = draft(staff)
    number, issued = quote.number, quote.issued_number_id
    assert quotes.quote_delete(actor=staff, channel=G, quote_id=quote.pk) == quote.pk
    assert IssuedNumber.objects.get(pk=issued).status == "retired"
    again = draft(staff)
    assert again.number != number
    assert list(QuoteEvent.objects.filter(quote_id=quote.pk).values_list("action", flat=True)) == [
        "created", "deleted"]
    refused(lambda: quotes.quote_change_number(actor=staff, channel=G, quote_id=again.pk,
                                               number=int(number.removeprefix("Q-"))), "number_used")


def test_change_number_claim_and_labels(staff):
    quote = draft(staff)
    quotes.quote_change_number(actor=staff, channel=G, quote_id=quote.pk, number=7001)
    quote.refresh_from_db()
    assert quote.number == "Q-7001"
    other = factories.staff_actor()
    quotes.quote_claim(actor=other, channel=G, quote_id=quote.pk)
    assert Quote.objects.get(pk=quote.pk).owner_id == other.user_id
    label = company_services.label_create(actor=staff, channel=G, name="Hot", applies_to=["quote"])
    invoice_only = company_services.label_create(actor=staff, channel=G, name="Billing", applies_to=["invoice"])
    quotes.quote_update(actor=staff, channel=G, quote_id=quote.pk, label_ids=[label.pk])
    assert list(quote.labels.all()) == [label]
    refused(lambda: quotes.quote_update(actor=staff, channel=G, quote_id=quote.pk, label_ids=[invoice_only.pk]),
            "label_not_for_quotes", "labelIds.0")
    assert list(QuoteEvent.objects.filter(quote_id=quote.pk).values_list("action", flat=True)) == [
        "created", "renumbered", "claimed", "updated"]


def test_an_accepted_quote_is_invoiced_once_with_its_lines(staff):
    quote = sent(staff, price="45.50", quantity="2")
    refused(lambda: quotes.quote_invoice(actor=staff, channel=G, quote_id=quote.pk), "quote_not_accepted")
    quotes.quote_accept(actor=staff, channel=G, quote_id=quote.pk)
    invoice = quotes.quote_invoice(actor=staff, channel=G, quote_id=quote.pk)
    assert invoice.quote_id == quote.pk and invoice.source == "quote" and invoice.total == quote.total
    assert [(line.quantity, line.unit_price) for line in invoice.lines.all()] == [(Decimal("2.00"), Decimal("45.50"))]
    refused(lambda: quotes.quote_invoice(actor=staff, channel=G, quote_id=quote.pk), "quote_invoiced")
    assert Invoice.objects.count() == 1


def test_an_inquiry_becomes_a_quote_in_one_call(staff):
    customer = factories.customer()
    svc = factories.service(price=Decimal("60.00"))
    inquiry = crm_services.inquiry_create(actor=staff, channel=G, body="Gutters please", customer_id=customer.pk)
    inquiry.wanted_services.add(svc)
    quote = quotes.quote_create_from_inquiry(actor=staff, channel=G, inquiry_id=inquiry.pk)
    assert quote.customer_id == customer.pk and quote.inquiry_id == inquiry.pk and quote.notes == "Gutters please"
    assert [line.service_id for line in quote.lines.all()] == [svc.pk]
    assert Inquiry.objects.get(pk=inquiry.pk).lead_status == "quoted"
    refused(lambda: quotes.quote_create_from_inquiry(actor=staff, channel=G, inquiry_id=inquiry.pk),
            "already_quoted")


def test_an_inquiry_without_a_customer_is_refused(staff):
    inquiry = crm_services.inquiry_create(actor=staff, channel=G, body="Hello", prospect_name="Ann",
                                          prospect_email="ann@example.com")
    refused(lambda: quotes.quote_create_from_inquiry(actor=staff, channel=G, inquiry_id=inquiry.pk),
            "no_customer", "inquiryId")
    assert not Quote.objects.exists()


def test_bad_input_is_refused_with_its_field_and_changes_nothing(staff):
    customer = factories.customer()
    refused(lambda: quotes.quote_create(actor=staff, channel=G, customer_id=customer.pk,
                                        lines=[Line(description="x", unit_price="-1")]), "invalid_price",
            "lines.0.unitPrice")
    refused(lambda: quotes.quote_create(actor=staff, channel=G, customer_id=customer.pk,
                                        agreed_start=datetime(1900, 1, 1)), "invalid_datetime", "agreedStart")
    other_property = factories.property_for(factories.customer())
    refused(lambda: quotes.quote_create(actor=staff, channel=G, customer_id=customer.pk,
                                        property_id=other_property.pk), "not_found", "propertyId")
    quote = sent(staff)
    refused(lambda: quotes.quote_update(actor=staff, channel=G, quote_id=quote.pk,
                                        valid_until=quotes.today() - timedelta(days=1)), "in_past", "validUntil")
    assert list(Quote.objects.values_list("pk", flat=True)) == [quote.pk]
