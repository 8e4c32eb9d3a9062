"""The whole flow in headless Chromium against the live server: open the cancel link from the
e-mail in the outbox, confirm with a comment, see Cancelled and the schedule button, submit a
request. And the portal's in-page <dialog>. Skips when Chromium or its driver is absent."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.bookings.models import Booking
from core.outreach.models import BookingRequest
from tests import factories

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra")


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fieldops-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER, env={**os.environ}), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)  # elements of the next page: wait for the navigation a click started
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def site(live_server, settings):
    settings.FIELDOPS_PUBLIC_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return live_server


def _wait_for_text(browser, text: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda b: text in b.page_source)


def _wait_for_element_text(browser, element_id: str, text: str) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.find_element(By.ID, element_id).text == text)


def _set_value(browser, element, value: str) -> None:
    browser.execute_script("arguments[0].value = arguments[1];", element, value)


def test_cancel_from_the_email_link_then_schedule_a_new_appointment(site, browser):
    from selenium.webdriver.common.by import By

    svc = factories.service(name="Gutter cleaning")
    booking = factories.booking(svc=svc, start=timezone.now() + timedelta(days=4))  # autocommit: e-mail sent
    assert len(mail.outbox) == 1
    cancel_url = re.search(r"http://\S+/b/\S+/cancel", mail.outbox[0].body).group(0)

    browser.get(cancel_url)
    assert "Cancel booking #" in browser.find_element(By.TAG_NAME, "h1").text
    assert Booking.objects.get(pk=booking.pk).status == "pending"  # opening the link changed nothing
    browser.find_element(By.ID, "reason").send_keys("We are moving house")
    browser.find_element(By.CSS_SELECTOR, "form.cancel-form button[type=submit]").click()

    assert browser.find_element(By.ID, "booking-status").text == "Cancelled"
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_channel, booking.cancel_reason) == (
        "cancelled", "email_link", "We are moving house")
    assert any("is cancelled" in m.subject for m in mail.outbox)

    browser.find_element(By.ID, "schedule-appointment").click()
    _wait_for_text(browser, "Send request")
    browser.find_element(By.CSS_SELECTOR, "select[name=service]").send_keys("Gutter cleaning")
    _set_value(browser, browser.find_element(By.NAME, "preferred_date"),
               (timezone.localdate() + timedelta(days=10)).isoformat())
    _set_value(browser, browser.find_element(By.NAME, "preferred_time"), "10:30")
    browser.find_element(By.NAME, "notes").send_keys("Mornings are best")
    browser.find_element(By.CSS_SELECTOR, "#request-form button[type=submit]").click()

    assert browser.find_element(By.ID, "request-done").is_displayed()
    request = BookingRequest.objects.get()
    assert (request.service, request.follows_booking_id, request.notes, request.channel, request.status) == (
        svc, booking.pk, "Mornings are best", "email_link", "pending")


def test_portal_sign_in_and_cancel_in_the_dialog(site, browser):
    from selenium.webdriver.common.by import By

    customer = factories.customer(email="dialog@example.com")
    booking = factories.booking(cust=customer, start=timezone.now() + timedelta(days=4))
    mail.outbox = []
    browser.get(f"{site.url}/portal/login/")
    browser.find_element(By.ID, "email").send_keys("dialog@example.com")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait_for_text(browser, "Check your e-mail")
    login_url = re.search(r"http://\S+/portal/login/\S+/", mail.outbox[-1].body).group(0)
    browser.get(login_url)
    browser.find_element(By.ID, "sign-in").click()
    browser.find_element(By.LINK_TEXT, f"#{booking.number}").click()

    browser.find_element(By.ID, "cancel-booking").click()
    dialog = browser.find_element(By.ID, "cancel-dialog")
    assert dialog.get_attribute("open") is not None  # JavaScript opened the dialog instead of a new page
    dialog.find_element(By.TAG_NAME, "textarea").send_keys("Found another date")
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    # the form posts and the page reloads: read the status from the new page, not mid-navigation
    _wait_for_element_text(browser, "booking-status", "Cancelled")
    assert browser.find_element(By.ID, "schedule-appointment").is_displayed()
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_channel) == ("cancelled", "portal")
