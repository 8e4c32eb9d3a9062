"""Customers answer their quotes: the signed link of the quote e-mail (a GET only shows, a POST with
its CSRF token accepts or declines), a forged or expired link, the portal's list and pages with the
PDF; another customer's quote, a draft and a missing one all answer "not found". And the portal in
headless Chromium: a customer accepts a quote."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail, signing
from django.test import Client

from core.actors import Actor, Channel
from core.outreach.models import BookingRequest
from core.sales import quote_pdf, quotes
from core.sales.quote_models import Quote, QuoteEvent
from tests import factories
from tests.core.outreach.support import deliver
from tests.core.sales.support import db_state, pdf_amount, pdf_text
from web.portal import SESSION_KEY

from .support import portal_client
from .test_browser import CHROMIUM, DRIVER, browser, site  # noqa: F401 (fixtures)
from .test_portal import csrf_from

SYSTEM = Channel.SYSTEM


def sent(customer, price: str = "200.00", **kw) -> Quote:
    staff = Actor.from_user(factories.staff_user())
    quote = quotes.quote_create(actor=staff, channel=SYSTEM, customer_id=customer.pk, lines=[
        quotes.QuoteLineInput(description="Deep clean", unit_price=price, tax_rate="10")])
    return quotes.quote_send(actor=staff, channel=SYSTEM, quote_id=quote.pk, **kw)


def emailed_link(customer) -> tuple[Quote, str]:
    quote = sent(customer)
    deliver()
    url = re.search(r"https://fieldops\.example(/q/\S+/)", mail.outbox[-1].body).group(1)
    return quote, url


@pytest.mark.django_db
def test_the_links_get_shows_the_quote_and_never_changes_anything():
    quote, url = emailed_link(factories.customer())
    before = db_state()
    for _ in range(2):  # a link scanner, then the customer
        page = Client().get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert quote.number in body and "AUD 220.00" in body and 'name="answer" value="accept"' in body
    assert Client().head(url).status_code == 200
    assert Client().get(f"{url}pdf")["Content-Type"] == "application/pdf"
    assert db_state() == before
    assert Quote.objects.get(pk=quote.pk).status == "sent"


@pytest.mark.django_db
def test_a_post_with_csrf_accepts_and_records_the_email_link_channel():
    quote, url = emailed_link(factories.customer())
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    before = db_state()
    assert client.post(url, {"answer": "accept"}).status_code == 403  # no CSRF token: refused
    assert db_state() == before
    answer = client.post(url, {"answer": "accept", "csrfmiddlewaretoken": csrf_from(page)})
    assert answer.status_code == 303
    assert "accepted" in client.get(answer["Location"]).content.decode()
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.decided_channel == "email_link"
    assert BookingRequest.objects.get(pk=quote.booking_request_id).customer_id == quote.customer_id
    again = client.post(url, {"answer": "decline", "csrfmiddlewaretoken": csrf_from(page)})
    assert again.status_code == 409 and "accepted already" in again.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == "accepted"


@pytest.mark.django_db
def test_a_post_declines_with_a_reason():
    quote, url = emailed_link(factories.customer())
    response = Client().post(url, {"answer": "decline", "reason": "Found someone closer"})
    assert response.status_code == 303
    quote.refresh_from_db()
    assert quote.status == "declined"
    assert QuoteEvent.objects.get(quote_id=quote.pk, action="declined").data == {"reason": "Found someone closer"}


@pytest.mark.django_db
def test_forged_expired_and_renumbered_links_do_not_open(settings):
    quote, url = emailed_link(factories.customer())
    token = url.split("/")[2]
    before = db_state()
    assert Client().get(f"/q/{token[:-3]}xyz/").status_code == 404
    assert Client().post(f"/q/{token[:-3]}xyz/", {"answer": "accept"}).status_code == 404
    forged = signing.dumps({"q": quote.pk, "n": quote.number}, salt="another.salt", compress=True)
    assert Client().get(f"/q/{forged}/").status_code == 404
    settings.SALES_QUOTE_LINK_DAYS = -1  # every link is past its age
    assert Client().get(url).status_code == 410
    assert Client().post(url, {"answer": "accept"}).status_code == 410
    assert db_state() == before
    assert quote_pdf.read_link("garbage").code == "invalid"


@pytest.mark.django_db
def test_the_portal_lists_shows_and_answers_a_customers_own_quotes():
    customer, other = factories.customer(), factories.customer()
    mine = sent(customer, send_email=False)
    theirs = sent(other, send_email=False)
    staff = Actor.from_user(factories.staff_user())
    draft = quotes.quote_create(actor=staff, channel=SYSTEM, customer_id=customer.pk)
    client = portal_client(customer)
    before = db_state()
    page = client.get("/portal/quotes/").content.decode()
    assert mine.number in page and "AUD 220.00" in page
    assert theirs.number not in page and draft.number not in page
    assert pdf_amount(pdf_text(client.get(f"/portal/quotes/{mine.pk}/pdf").content), "Total") == Decimal("220.00")
    for hidden in (theirs.pk, draft.pk, 999999):
        assert client.get(f"/portal/quotes/{hidden}/").status_code == 404
        assert client.get(f"/portal/quotes/{hidden}/pdf").status_code == 404
        assert client.post(f"/portal/quotes/{hidden}/", {"answer": "accept"}).status_code == 404
    assert db_state() == before
    assert client.post(f"/portal/quotes/{mine.pk}/", {"answer": "decline"}).status_code == 303
    assert Quote.objects.get(pk=mine.pk).decided_channel == "portal"
    assert Client().get("/portal/quotes/").status_code == 302


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)")
@pytest.mark.django_db(transaction=True)
def test_a_customer_accepts_a_quote_in_the_browser(site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    customer = factories.customer()
    quote = sent(customer, price="99.50", send_email=False)
    session = SessionStore()
    session[SESSION_KEY] = customer.pk
    session.save()
    browser.get(f"{site.url}/portal/login/")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "path": "/"})
    browser.get(f"{site.url}/portal/")
    browser.find_element(By.ID, "my-quotes").click()
    row = browser.find_element(By.CSS_SELECTOR, "#quotes .quote-row")
    assert quote.number in row.text and "AUD 109.45" in row.find_element(By.CLASS_NAME, "total").text
    row.find_element(By.LINK_TEXT, quote.number).click()
    assert browser.find_element(By.ID, "total").text == "AUD 109.45"
    browser.find_element(By.ID, "accept").click()
    assert "accepted" in browser.find_element(By.ID, "notice").text
    assert browser.find_element(By.ID, "status").text == "Accepted"
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.decided_channel == "portal"
    assert browser.find_elements(By.ID, "accept") == []

