"""The embedded lead form in headless Chromium: a page of the business's own site (another origin,
served on 127.0.0.1) carries the snippet; a visitor fills it in and sends it, lands on our thank-you
page, and the lead is in the inbox with the website's source. The same page's script posts JSON
through a real CORS preflight; a page of a foreign origin is stopped by the browser and nothing is
stored. Skips when Chromium or its driver is absent."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from core.crm.models import Inquiry
from tests import factories

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver (apt: chromium-driver)"),
    pytest.mark.django_db(transaction=True),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra")

SCRIPT = """<script>
async function sendJson() {
  const out = document.getElementById("json-result");
  try {
    const response = await fetch(%(api)s, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: "Jo Script", email: "jo@example.com", message: "By fetch"})});
    out.textContent = response.status + " " + JSON.stringify(await response.json());
  } catch (error) { out.textContent = "blocked " + error.name; }
}
</script><button id="send-json" type="button" onclick="sendJson()">JSON</button><p id="json-result"></p>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def shop_site(tmp_path: Path):
    """Two static sites on 127.0.0.1: the business's (allowed) and a stranger's (not)."""
    servers = []
    for name in ("shop", "stranger"):
        root = tmp_path / name
        root.mkdir()
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((root, f"http://127.0.0.1:{server.server_address[1]}", server))
    try:
        yield servers[0][:2], servers[1][:2]
    finally:
        for _, _, server in servers:
            server.shutdown()
            server.server_close()


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
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _page(root: Path, snippet: str, api: str) -> None:
    (root / "index.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head><body><h1>Our shop</h1>"
        f"{snippet}{SCRIPT % {'api': repr(api)}}</body></html>", encoding="utf-8")


def _wait(browser, predicate) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(predicate)


def test_a_visitor_sends_the_embedded_form_and_the_lead_is_filed(live_server, settings, shop_site, browser):
    from selenium.webdriver.common.by import By

    (shop_root, shop), (stranger_root, stranger) = shop_site
    settings.LEAD_FORM_ALLOWED_ORIGINS = [shop]
    factories.service(name="Gutter cleaning")
    snippet = httpx.get(f"{live_server.url}/leads/form/snippet.html").text
    api = f"{live_server.url}/leads/api/"
    _page(shop_root, snippet, api)
    _page(stranger_root, snippet, api)

    browser.get(f"{shop}/index.html")
    honeypot = browser.find_element(By.NAME, "website")
    assert not honeypot.is_displayed() or honeypot.location["x"] < 0  # out of sight, left empty
    browser.find_element(By.NAME, "name").send_keys("Pat Lee")
    browser.find_element(By.NAME, "email").send_keys("pat@example.com")
    browser.find_element(By.NAME, "mobile").send_keys("0412 555 111")
    browser.find_element(By.XPATH, "//label[contains(., 'Gutter cleaning')]/input").click()
    browser.find_element(By.NAME, "message").send_keys("Two storeys, before Friday.")
    browser.find_element(By.CSS_SELECTOR, "form.fieldops-lead-form button[type=submit]").click()
    _wait(browser, lambda b: b.find_elements(By.ID, "lead-thanks"))
    assert browser.current_url.startswith(live_server.url)

    inquiry = Inquiry.objects.get()
    assert (inquiry.prospect_name, inquiry.prospect_email, inquiry.prospect_mobile) == (
        "Pat Lee", "pat@example.com", "+61412555111")
    assert inquiry.lead_source.door == "website" and inquiry.body == "Two storeys, before Friday."
    assert [s.name for s in inquiry.wanted_services.all()] == ["Gutter cleaning"]

    # the shop's own script: a JSON post through the browser's CORS preflight
    browser.get(f"{shop}/index.html")
    browser.find_element(By.ID, "send-json").click()
    _wait(browser, lambda b: b.find_element(By.ID, "json-result").text)
    assert browser.find_element(By.ID, "json-result").text == '201 {"ok":true}'
    assert Inquiry.objects.filter(prospect_name="Jo Script").count() == 1

    # a stranger's page: the preflight is refused, the browser never sends the POST
    browser.get(f"{stranger}/index.html")
    browser.find_element(By.ID, "send-json").click()
    _wait(browser, lambda b: b.find_element(By.ID, "json-result").text)
    assert browser.find_element(By.ID, "json-result").text == "blocked TypeError"
    assert Inquiry.objects.count() == 2
