"""A quote's page for its customer (the signed link and the portal) shows the attachments marked for
them behind links made for them, and their complaints about the quote with a form to raise one;
refused complaints write nothing (decisions 0940, 0943)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core.actors import Actor, Channel
from core.complaints.models import Complaint
from core.files import services as file_services
from core.sales import quote_pdf, quotes
from tests import factories
from tests.core.files.conftest import jpeg_with_gps, pdf_bytes
from tests.core.sales.support import db_state

from .support import portal_client

SYSTEM = Channel.SYSTEM
pytestmark = pytest.mark.django_db


def sent_with_files(customer):
    staff = Actor.from_user(factories.staff_user())
    quote = quotes.quote_create(actor=staff, channel=SYSTEM, customer_id=customer.pk, lines=[
        quotes.QuoteLineInput(description="Gutter repair", unit_price="150")])
    file_services.file_upload_to_quote(actor=staff, channel=SYSTEM, quote_id=quote.pk, upload=pdf_bytes(),
                                       name="scope.pdf", customer_visible=True)
    file_services.file_upload_to_quote(actor=staff, channel=SYSTEM, quote_id=quote.pk, upload=jpeg_with_gps(),
                                       name="internal.jpg")
    return quotes.quote_send(actor=staff, channel=SYSTEM, quote_id=quote.pk, send_email=False)


def test_the_signed_link_shows_the_marked_attachments_and_takes_a_complaint(media):
    customer = factories.customer()
    quote = sent_with_files(customer)
    url = f"/q/{quote_pdf.link_token(quote)}/"
    page = Client().get(url).content.decode()
    assert "scope.pdf" in page and "internal.jpg" not in page
    link = re.search(r'<a href="(/files/[^"]+/)" rel="nofollow">scope\.pdf', page).group(1)
    download = Client().get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert 'action="' + url + 'complaint"' in page

    answer = Client().post(url + "complaint", {"description": "The scope misses the downpipes"})
    assert answer.status_code == 303 and answer["Location"] == url + "?complained=1#complaints"
    complaint = Complaint.objects.get()
    assert (complaint.quote_id, complaint.booking_id, complaint.customer_id, complaint.channel,
            complaint.raised_by_kind, complaint.visible_to_customer) == (
        quote.pk, None, customer.pk, "email_link", "customer", True)
    again = Client().get(url + "?complained=1").content.decode()
    assert "The scope misses the downpipes" in again and "Thank you for telling us" in again


def test_the_portal_takes_a_complaint_and_refusals_write_nothing(media):
    customer, stranger = factories.customer(), factories.customer()
    quote = sent_with_files(customer)
    client = portal_client(customer)
    page = client.get(f"/portal/quotes/{quote.pk}/").content.decode()
    assert "scope.pdf" in page and 'id="complaint-description"' in page

    before = db_state()
    empty = client.post(f"/portal/quotes/{quote.pk}/complaint", {"description": "   "})
    assert empty.status_code == 400 and "Please tell us what went wrong." in empty.content.decode()
    foreign = portal_client(stranger).post(f"/portal/quotes/{quote.pk}/complaint", {"description": "Mine now"})
    assert foreign.status_code == 404
    assert db_state() == before
    assert not Complaint.objects.exists()

    done = client.post(f"/portal/quotes/{quote.pk}/complaint", {"description": "Too dear"})
    assert done.status_code == 303
    assert list(Complaint.objects.values_list("quote_id", "channel", "description")) == [
        (quote.pk, "portal", "Too dear")]


def test_the_quote_page_shows_times_in_the_zone_of_the_quotes_property(media, settings):
    from datetime import UTC, datetime

    from core.company.selectors import get_company

    company = get_company()
    company.time_zone = "Australia/Brisbane"
    company.save()
    customer = factories.customer()
    perth = factories.property_for(customer, time_zone="Australia/Perth")
    staff = Actor.from_user(factories.staff_user())
    quote = quotes.quote_create(actor=staff, channel=SYSTEM, customer_id=customer.pk, property_id=perth.pk,
                                lines=[quotes.QuoteLineInput(description="Gutter repair", unit_price="150")])
    quote = quotes.quote_send(actor=staff, channel=SYSTEM, quote_id=quote.pk, send_email=False)
    url = f"/q/{quote_pdf.link_token(quote)}/"
    assert Client().post(url + "complaint", {"description": "Late"}).status_code == 303
    Complaint.objects.update(created_at=datetime(2026, 3, 2, 4, 0, tzinfo=UTC))  # 12:00 in Perth, 14:00 in Brisbane
    for page in (Client().get(url), portal_client(customer).get(f"/portal/quotes/{quote.pk}/")):
        text = page.content.decode()
        assert "Mon 2 Mar 2026, 12:00 PM" in text and "2026, 2:00 PM" not in text

