"""The booking job sheet as its users get it: a short-lived link from GraphQL (Booking.pdfUrl), the
PDF behind it read back with pypdf, and the link on the portal's booking page."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pypdf
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from core.actors import Channel
from core.bookings import services as booking_services
from core.company import services as company_services
from core.company.selectors import default_trading_name
from core.outreach import links
from core.pdf import document_token
from graphql_api.ids import encode_id
from tests import factories
from tests.core.company.images import png
from tests.web.portal.support import link, portal_client

from ..over_http import gql

PDF_URL = "query ($id: ID!) { node(id: $id) { ... on Booking { number total pdfUrl } } }"


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def images_in(data: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def job_brand():
    return default_trading_name()


def path_of(url: str) -> str:
    assert url.startswith(settings.FIELDOPS_PUBLIC_URL + "/documents/"), url
    return url[len(settings.FIELDOPS_PUBLIC_URL):]


@pytest.fixture
def job(db, media):
    """A booking with three priced lines, a branded default trading name with a logo, and terms in force."""
    staff = factories.staff_actor()
    brand = default_trading_name()
    company_services.trading_name_update(actor=staff, channel=Channel.GRAPHQL, trading_name_id=brand.pk,
                                         name="Sparkle Windows", phone="0290001234", email="hi@sparkle.test",
                                         logo=png(240, 80))
    company_services.terms_publish(actor=staff, channel=Channel.GRAPHQL, trading_name_id=brand.pk,
                                   text="Payment is due within 14 days of the job.")
    customer = factories.customer(with_login=True)
    windows = factories.service(name="Window clean", price=Decimal("120.00"), tax_rate=Decimal("10"))
    gutters = factories.service(name="Gutter clean", price=Decimal("85.50"), tax_rate=Decimal("10"))
    booking = factories.booking(cust=customer, svc=windows, start=timezone.now() + timedelta(days=2))
    booking_services.booking_update(
        actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
        lines=[booking_services.LineInput(service_id=windows.pk, quantity=Decimal("2")),
               booking_services.LineInput(service_id=gutters.pk, quantity=Decimal("1")),
               booking_services.LineInput(description="Screen repair", unit_price=Decimal("33.33"),
                                          quantity=Decimal("3"), tax_rate=Decimal("0"))])
    booking.refresh_from_db()
    return booking


def test_staff_get_a_link_and_the_pdf_has_the_number_lines_totals_brand_and_terms(job):
    staff = factories.staff_user()
    data = gql(staff, PDF_URL, id=encode_id("Booking", job.pk))["node"]
    # 2 x 120.00 + 85.50 + 3 x 33.33 = 425.49; tax 10% of 325.50 = 32.55; total 458.04
    assert (data["number"], Decimal(data["total"])) == (job.number, Decimal("458.04"))
    response = Client().get(path_of(data["pdfUrl"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = text_of(response.content)
    assert f"booking {job.number}" in text
    assert "Sparkle Windows" in text and "+61290001234" in text
    assert re.search(r"Subtotal\s+AUD 425\.49", text), text
    assert re.search(r"Tax\s+AUD 32\.55", text), text
    assert re.search(r"Total\s+AUD 458\.04", text), text
    assert "Screen repair" in text and "Gutter clean" in text
    assert "Terms and conditions (version 1)" in text and "within 14 days" in text
    assert images_in(response.content) == 1  # the trading name's logo


def test_without_a_logo_the_sheet_prints_the_name(job):
    staff = factories.staff_actor()
    company_services.trading_name_update(actor=staff, channel=Channel.GRAPHQL, trading_name_id=job_brand().pk,
                                         remove_logo=True)
    url = gql(factories.staff_user(), PDF_URL, id=encode_id("Booking", job.pk))["node"]["pdfUrl"]
    data = Client().get(path_of(url)).content
    assert images_in(data) == 0 and text_of(data).startswith("Sparkle Windows")


def test_the_booking_customer_gets_a_link_and_nobody_else_does(job):
    owner = job.customer.user
    other = factories.customer(with_login=True).user
    fieldworker = factories.fieldworker().user
    gid = encode_id("Booking", job.pk)
    url = gql(owner, PDF_URL, id=gid)["node"]["pdfUrl"]
    assert Client().get(path_of(url)).status_code == 200
    assert gql(other, PDF_URL, id=gid)["node"] is None  # another customer's booking does not exist for them
    booking_services.booking_assign(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=job.pk,
                                    fieldworker_id=fieldworker.fieldworker.pk)
    seen = gql(fieldworker, PDF_URL, id=gid)["node"]
    assert seen["number"] == job.number and seen["pdfUrl"] is None


def test_an_expired_forged_or_stale_link_is_refused_and_leaks_nothing(job, settings):
    token = document_token("booking", job.pk, job.number)
    forged = document_token("booking", job.pk, job.number)[:-3] + "AAA"
    other_row = document_token("booking", job.pk, job.number + 1)  # signed, but for a number it no longer has
    wrong_salt = link(job).split("/")[2]  # a valid booking link's token is no document token
    for bad, status in ((forged, 404), (other_row, 404), (wrong_salt, 404), ("x" * 500, 404)):
        response = Client().get(f"/documents/{bad}/")
        assert response.status_code == status, bad
        assert response["Content-Type"].startswith("text/plain")
        assert str(job.number) not in response.content.decode() and b"%PDF" not in response.content
    settings.FIELDOPS_PDF_LINK_SECONDS = 0
    import time

    time.sleep(1.1)  # signing timestamps are whole seconds
    response = Client().get(f"/documents/{token}/")
    assert response.status_code == 410
    assert str(job.number) not in response.content.decode() and b"%PDF" not in response.content


def test_the_portal_booking_page_links_the_job_sheet(job):
    client = portal_client(job.customer)
    page = client.get(f"/portal/bookings/{job.pk}/")
    assert page.status_code == 200
    href = re.search(r'id="booking-pdf" href="([^"]+)"', page.content.decode()).group(1)
    assert href == f"/portal/bookings/{job.pk}/pdf"
    response = client.get(href)
    assert response.status_code == 200 and re.search(r"Total\s+AUD 458\.04", text_of(response.content))
    stranger = portal_client(factories.customer(with_login=True))
    refused = stranger.get(href)
    assert refused.status_code == 404 and b"%PDF" not in refused.content
    assert Client().get(href).status_code == 302  # not signed in: to the sign-in page


def test_the_booking_link_page_links_the_job_sheet(job):
    page = Client().get(link(job))
    href = re.search(r'id="booking-pdf" href="([^"]+)"', page.content.decode()).group(1)
    # the link is signed with a timestamp: compare the booking it names, not the bytes of a second link
    token = re.fullmatch(r"/b/([^/]+)/pdf", href).group(1)
    assert links.read_booking_token(token).pk == job.pk
    response = Client().get(href)
    assert response.status_code == 200 and f"booking {job.number}" in text_of(response.content)
