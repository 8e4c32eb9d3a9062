"""A customer fills the booking fields meant for them on the portal's appointment request, in
headless Chromium against the live server. Skips when Chromium or its driver is absent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from core.actors import Actor, Channel
from core.jobdata import services
from core.jobdata.models import CustomFieldValue
from core.outreach.models import BookingRequest
from tests import factories
from web.portal import SESSION_KEY

from .test_browser import CHROMIUM, DRIVER, _set_value, browser, site  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_customer_fills_the_fields_meant_for_them(site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    staff = Actor.from_user(factories.staff_user())
    carpets = factories.service(name="Carpets")
    make = lambda **kw: services.field_create(actor=staff, channel=Channel.ADMIN, target="booking", **kw)  # noqa: E731
    make(label="Parking", field_type="dropdown", options=["street", "drive"], visible_to_customer=True, required=True)
    make(label="Rooms", field_type="increment", min_value=1, max_value=9, step=1, visible_to_customer=True)
    make(label="Pets", field_type="checkbox_multi", options=["dog", "cat"], visible_to_customer=True)
    make(label="Internal code", field_type="short_text")
    customer = factories.customer()
    session = SessionStore()
    session[SESSION_KEY] = customer.pk
    session.save()

    browser.get(f"{site.url}/portal/login/")
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "path": "/"})
    browser.get(f"{site.url}/portal/request/")
    assert not browser.find_elements(By.NAME, "cf_internal_code")
    Select(browser.find_element(By.NAME, "service")).select_by_visible_text("Carpets")
    _set_value(browser, browser.find_element(By.NAME, "preferred_date"),
               (timezone.localdate() + timedelta(days=6)).isoformat())
    # first without the required field: the page says so and keeps what was typed
    browser.find_element(By.NAME, "cf_rooms").send_keys("4")
    browser.find_element(By.CSS_SELECTOR, "input[name=cf_pets][value=cat]").click()
    form = browser.find_element(By.ID, "request-form")
    browser.find_element(By.CSS_SELECTOR, "#request-form button[type=submit]").click()
    # the answer is a new page with the same form in it: wait until the old one is gone
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(form))
    assert "Parking is required." in browser.find_element(By.ID, "custom-cf_parking").text
    assert not BookingRequest.objects.exists()

    Select(browser.find_element(By.NAME, "cf_parking")).select_by_visible_text("drive")
    browser.find_element(By.CSS_SELECTOR, "#request-form button[type=submit]").click()
    assert browser.find_element(By.ID, "request-done").is_displayed()
    request = BookingRequest.objects.get()
    kept = {row.field.key: row for row in CustomFieldValue.objects.filter(target="booking_request",
                                                                          object_id=request.pk)}
    assert (kept["parking"].text, kept["rooms"].number, kept["pets"].choices) == ("drive", 4, ["cat"])
    assert request.service == carpets
