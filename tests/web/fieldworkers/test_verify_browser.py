"""The verification link in headless Chromium: a new fieldworker opens the link from their e-mail,
chooses a password (a weak one is refused on the page, nothing changes), is verified, and the link
is spent. Skips when Chromium or its driver is absent."""

from __future__ import annotations

import os
import re
import shutil
import tempfile

import pytest
from django.core import mail

from core.actors import Actor, Channel
from core.workforce import services
from core.workforce.models import Fieldworker
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
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER, env={**os.environ}), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _fill(browser, password: str) -> None:
    from selenium.webdriver.common.by import By

    for name in ("password", "password2"):
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(password)
    browser.find_element(By.ID, "confirm").click()


def test_a_new_fieldworker_sets_a_password_through_the_link(live_server, settings, browser):
    from selenium.webdriver.common.by import By

    settings.FIELDOPS_PUBLIC_URL = live_server.url
    made = services.fieldworker_create(actor=Actor.from_user(factories.staff_user()), channel=Channel.GRAPHQL,
                                       name="Vic Verify", email="vic@example.com")
    link = re.search(r"http\S+/fieldworker/verify/\S+/", mail.outbox[-1].body).group(0)
    browser.get(link)
    _fill(browser, "123")
    assert browser.find_element(By.ID, "error").text
    assert Fieldworker.objects.get(pk=made.pk).email_verified_at is None
    _fill(browser, "Correct horse battery 9")
    assert browser.find_element(By.ID, "verified").text == "Your e-mail address is confirmed"
    fresh = Fieldworker.objects.select_related("user").get(pk=made.pk)
    assert fresh.email_verified_at is not None and fresh.user.check_password("Correct horse battery 9")
    browser.get(link)
    assert browser.find_element(By.ID, "invalid").text.startswith("This link is used")
