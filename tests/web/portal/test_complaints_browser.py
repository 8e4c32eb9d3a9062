"""Raising a complaint from the booking page in headless Chromium against the live server: the
customer opens the signed link, picks a kind of problem, writes what went wrong and sends it; the page
thanks them and lists it. Skips when Chromium or its driver is absent."""

from __future__ import annotations

import pytest

from core.complaints.defaults import ensure_lists
from core.complaints.models import Complaint
from tests import factories

from .support import link
from .test_browser import CHROMIUM, DRIVER, _wait_for_text, browser, site  # noqa: F401  the shared fixtures

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_customer_raises_a_complaint_from_the_signed_link(site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    ensure_lists()
    booking = factories.booking(cust=factories.customer(name="Pat Page"))
    browser.get(f"{site.url}{link(booking)}")
    assert browser.find_element(By.ID, "complaints-title").text == "Report a problem"
    Select(browser.find_element(By.ID, "complaint-type")).select_by_visible_text("Damage")
    browser.find_element(By.ID, "complaint-description").send_keys("The <b>door</b> frame is chipped")
    browser.find_element(By.ID, "complaint-send").click()

    _wait_for_text(browser, "Thank you for telling us.")
    listed = browser.find_element(By.CSS_SELECTOR, "#complaints li.complaint")
    assert "The <b>door</b> frame is chipped" in listed.text and "Damage" in listed.text and "Open" in listed.text
    complaint = Complaint.objects.get()
    assert (complaint.booking_id, complaint.type.name, complaint.channel, complaint.raised_by_kind) == (
        booking.pk, "Damage", "email_link", "customer")
