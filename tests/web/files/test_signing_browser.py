"""Drawing a signature in headless Chromium against the live server: the customer on the portal, and
a customer on a fieldworker's phone through the bot's signing link. Skips without Chromium."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from core.files import links
from core.files.models import Signature
from tests import factories
from tests.core.files.conftest import accepted_job
from tests.web.portal.test_browser import CHROMIUM, DRIVER, _set_value, browser, site  # noqa: F401 (fixtures)
from web.portal import SESSION_KEY

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]


def draw(driver) -> None:
    """A stroke across the canvas with the mouse, as a finger would draw it."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    pad = driver.find_element(By.ID, "signature-pad")
    chain = ActionChains(driver).move_to_element_with_offset(pad, -200, 0).click_and_hold()
    for step in range(12):
        chain = chain.move_by_offset(30, 12 if step % 2 else -12)
    chain.release().perform()


def test_a_customer_draws_a_signature_on_the_portal(site, browser, media):  # noqa: F811
    from selenium.webdriver.common.by import By

    booking = factories.booking()
    session = SessionStore()
    session[SESSION_KEY] = booking.customer.pk
    session.save()
    browser.get(f"{site.url}/portal/login/")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "path": "/"})
    browser.get(f"{site.url}/portal/bookings/{booking.pk}/")
    browser.find_element(By.ID, "sign-booking").click()
    # saving without drawing is refused with a clear message and stores nothing
    browser.find_element(By.ID, "save-signature").click()
    assert "Draw your signature first." in browser.find_element(By.ID, "sign-error").text
    assert Signature.objects.count() == 0
    name = browser.find_element(By.ID, "signer-name")
    _set_value(browser, name, "Ada Lovelace")
    draw(browser)
    browser.find_element(By.ID, "save-signature").click()
    assert "the signature is saved" in browser.find_element(By.ID, "signed-notice").text
    signature = Signature.objects.select_related("file").get()
    assert (signature.signer_name, signature.file.booking_id, signature.file.width) == ("Ada Lovelace", booking.pk, 600)
    browser.get(f"{site.url}/portal/bookings/{booking.pk}/")
    figure = browser.find_element(By.CSS_SELECTOR, "figure.signature")
    assert "Signed by Ada Lovelace" in figure.text
    image = figure.find_element(By.TAG_NAME, "img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 600


def test_a_customer_signs_on_the_fieldworkers_phone_from_the_signing_link(site, browser, media):  # noqa: F811
    from selenium.webdriver.common.by import By

    booking, fieldworker = accepted_job()
    url = links.signing_url(fieldworker_id=fieldworker.pk, booking_id=booking.pk)
    browser.get(url)
    _set_value(browser, browser.find_element(By.ID, "signer-name"), "Grace Hopper")
    draw(browser)
    browser.find_element(By.ID, "clear-signature").click()  # a wrong start, cleared
    draw(browser)
    browser.find_element(By.ID, "save-signature").click()
    assert "the signature is saved" in browser.find_element(By.ID, "signed-notice").text
    signature = Signature.objects.select_related("file").get()
    assert (signature.signer_name, signature.signer_kind, signature.file.channel) == (
        "Grace Hopper", "fieldworker", "telegram")
