"""The signing page the bot links to, in headless Chromium against the live server: a drawing on
the canvas is saved as the form's signature answer; an empty canvas is not sent. Skips when
Chromium or its driver is absent."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.jobdata import forms_services
from core.jobdata.forms_links import SigningLink, signing_token
from core.jobdata.forms_models import FormSubmission
from core.jobdata.models import CustomField
from core.jobdata.values import clean
from tests import factories

from .test_browser import CHROMIUM, DRIVER, browser, site  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_drawing_on_the_signing_page_becomes_the_forms_signature(site, browser):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    staff = Actor.from_user(factories.staff_user())
    booking = factories.booking()
    worker = factories.fieldworker()
    booking_services.booking_assign(actor=staff, channel=Channel.ADMIN, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)
    tpl = forms_services.form_template_create(actor=staff, channel=Channel.ADMIN, name="Sign-off",
                                              elements=[{"kind": "signature", "label": "Customer signature"}],
                                              booking_id=booking.pk)
    token = signing_token(SigningLink(booking_id=booking.pk, template_id=tpl.pk, key="customer_signature",
                                      fieldworker_id=worker.pk))
    browser.get(f"{site.url}/forms/sign/{token}/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Customer signature"
    browser.find_element(By.ID, "save-signature").click()  # nothing drawn: refused with a message, nothing saved
    assert browser.find_element(By.ID, "sign-error").text == "Draw your signature first."
    assert not FormSubmission.objects.exists()

    pad = browser.find_element(By.ID, "signature-pad")
    ActionChains(browser).move_to_element_with_offset(pad, -100, 0).click_and_hold().move_by_offset(60, 20) \
        .move_by_offset(60, -30).move_by_offset(40, 25).release().perform()
    browser.find_element(By.ID, "save-signature").click()
    WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "message")))
    assert "Signed." in browser.find_element(By.ID, "message").text
    saved = FormSubmission.objects.get().answers["customer_signature"]
    assert clean(CustomField(key="s", field_type="signature"), saved).value == saved  # a readable PNG
