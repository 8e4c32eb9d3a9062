"""Customers see and download their invoices: the portal's list and pages, the signed link of the
invoice e-mail, the PDF; another customer's invoice, a draft and a missing one all answer "not
found"; every view is a GET and changes nothing. And the portal in headless Chromium."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.test import Client

from core.actors import Actor, Channel
from core.sales import invoice_pdf, invoices, payments
from tests import factories
from tests.core.sales.support import db_state, pdf_amount, pdf_text
from web.portal import SESSION_KEY

from .support import portal_client
from .test_browser import CHROMIUM, DRIVER, browser, site  # noqa: F401 (fixtures)

SYSTEM = Channel.SYSTEM


def issued(customer, price: str = "200.00", **kw):
    staff = Actor.from_user(factories.staff_user())
    invoice = invoices.invoice_create(actor=staff, channel=SYSTEM, customer_id=customer.pk, lines=[
        invoices.InvoiceLineInput(description="Deep clean", unit_price=price, tax_rate="10")])
    invoice = invoices.invoice_issue(actor=staff, channel=SYSTEM, invoice_id=invoice.pk, **kw)
    return invoice, staff


@pytest.mark.django_db
def test_the_portal_lists_and_shows_a_customers_own_invoices_and_their_pdf():
    customer, other = factories.customer(), factories.customer()
    mine, staff = issued(customer, send_email=False)
    payments.payment_record(actor=staff, channel=SYSTEM, invoice_id=mine.pk, amount="20", method="card")
    theirs, _ = issued(other, send_email=False)
    draft = invoices.invoice_create(actor=staff, channel=SYSTEM, customer_id=customer.pk)
    client = portal_client(customer)
    before = db_state()
    page = client.get("/portal/invoices/").content.decode()
    assert mine.number in page and "AUD 220.00" in page and "AUD 200.00" in page and "Part paid" in page
    assert theirs.number not in page and draft.number not in page
    detail = client.get(f"/portal/invoices/{mine.pk}/")
    assert detail.status_code == 200 and "Download the PDF" in detail.content.decode()
    summary = re.search(r'<table class="tax-summary" id="tax-summary">.*?</table>', detail.content.decode(), re.S)
    assert summary is not None and "10%" in summary.group() and "AUD 200.00" in summary.group()  # taxable
    assert "AUD 20.00" in summary.group()  # the tax at that rate (decision 0872)
    pdf = client.get(f"/portal/invoices/{mine.pk}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert pdf_amount(text, "Total") == Decimal("220.00") and pdf_amount(text, "Balance due") == Decimal("200.00")
    for hidden in (theirs.pk, draft.pk, 999999):
        assert client.get(f"/portal/invoices/{hidden}/").status_code == 404
        assert client.get(f"/portal/invoices/{hidden}/pdf").status_code == 404
    assert db_state() == before  # reading changes nothing
    assert Client().get("/portal/invoices/").status_code == 302  # signed out: to the sign-in page


@pytest.mark.django_db
def test_the_emailed_link_opens_the_invoice_and_its_pdf_and_dies_with_a_renumbering(settings):
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    customer = factories.customer()
    invoice, staff = issued(customer)
    from tests.core.outreach.support import deliver

    deliver()
    url = re.search(r"https://fieldops\.example(/i/\S+/)", mail.outbox[-1].body).group(1)
    assert Client().get(url).status_code == 200 and invoice.number in Client().get(url).content.decode()
    assert pdf_amount(pdf_text(Client().get(f"{url}pdf").content), "Total") == invoice.total
    assert Client().get(f"{url[:-5]}xyz/").status_code == 404  # a forged token
    invoices.invoice_to_draft(actor=staff, channel=SYSTEM, invoice_id=invoice.pk)
    invoices.invoice_change_number(actor=staff, channel=SYSTEM, invoice_id=invoice.pk, number=777)
    assert Client().get(url).status_code == 404
    assert invoice_pdf.read_link("garbage").code == "invalid"


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)")
@pytest.mark.django_db(transaction=True)
def test_a_customer_finds_and_downloads_an_invoice_in_the_browser(site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    customer = factories.customer()
    invoice, _ = issued(customer, price="99.50", send_email=False)
    session = SessionStore()
    session[SESSION_KEY] = customer.pk
    session.save()
    browser.get(f"{site.url}/portal/login/")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "path": "/"})
    browser.get(f"{site.url}/portal/")
    browser.find_element(By.ID, "my-invoices").click()
    row = browser.find_element(By.CSS_SELECTOR, "#invoices .invoice-row")
    assert invoice.number in row.text and "AUD 109.45" in row.find_element(By.CLASS_NAME, "total").text
    row.find_element(By.LINK_TEXT, invoice.number).click()
    assert browser.find_element(By.ID, "total").text == "AUD 109.45"
    href = browser.find_element(By.ID, "download").get_attribute("href")
    assert href.endswith(f"/portal/invoices/{invoice.pk}/pdf")
    # the download as the browser's session makes it
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = browser.get_cookie(settings.SESSION_COOKIE_NAME)["value"]
    response = client.get(href.removeprefix(site.url))
    assert response["Content-Type"] == "application/pdf"
    assert pdf_amount(pdf_text(response.content), "Total") == Decimal("109.45")
