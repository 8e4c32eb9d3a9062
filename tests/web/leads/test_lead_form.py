"""The website lead capture form from outside: real HTTP requests to the live server, as the
business's web page and a visitor's browser make them (CORS preflights from an allowed and a foreign
origin, the plain form's cross-site POST, the honeypot, the rate limits, bad input refused with 400
and nothing stored), and the captcha adapter against a fake verifying server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from core.crm.models import Inquiry, InquiryEntry
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

SHOP = "https://shop.example.com"
FOREIGN = "https://evil.example.net"


@pytest.fixture
def site(live_server, settings):
    settings.LEAD_FORM_ALLOWED_ORIGINS = [SHOP]
    settings.LEAD_FORM_RATE_PER_ADDRESS = "10/3600"
    settings.LEAD_FORM_RATE_PER_EMAIL = "3/3600"
    settings.LEAD_FORM_CAPTCHA = "web.captcha.NoCaptcha"
    return live_server


def _api(site, body, *, origin: str | None = SHOP, raw: bytes | None = None, **headers) -> httpx.Response:
    if origin:
        headers["Origin"] = origin
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(f"{site.url}/leads/api/", content=content,
                      headers={"Content-Type": "application/json", **headers}, timeout=10)


def _lead(**extra) -> dict:
    return {"name": "Pat Lee", "email": "pat@example.com", "mobile": "0412 555 111", "message": "Gutters please",
            **extra}


def _stored() -> list[tuple]:
    return list(Inquiry.objects.order_by("pk").values_list("prospect_name", "lead_source__door"))


def test_the_preflight_answers_an_allowed_origin_only_and_never_with_a_wildcard(site):
    allowed = httpx.options(f"{site.url}/leads/api/", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert "Origin" in allowed.headers["Vary"]
    foreign = httpx.options(f"{site.url}/leads/api/", headers={"Origin": FOREIGN,
                                                               "Access-Control-Request-Method": "POST"})
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers


def test_an_allowed_origin_files_a_lead_with_the_website_source_and_every_field(site):
    svc = factories.service(name="Gutter cleaning")
    soon = (date.today() + timedelta(days=4)).isoformat()
    response = _api(site, _lead(services=[svc.pk], preferred_dates=[soon], address="1 Main St", postcode="2000",
                                city="Sydney"))
    assert response.status_code == 201, response.text
    assert response.json() == {"ok": True}
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Credentials" not in response.headers
    inquiry = Inquiry.objects.get()
    assert (inquiry.prospect_name, inquiry.prospect_email, inquiry.prospect_mobile) == ("Pat Lee", "pat@example.com",
                                                                                       "+61412555111")
    assert inquiry.lead_source.door == "website" and inquiry.preferred_dates == [soon]
    assert [s.name for s in inquiry.wanted_services.all()] == ["Gutter cleaning"]
    assert (inquiry.address, inquiry.city, inquiry.body, inquiry.status) == ("1 Main St", "Sydney", "Gutters please",
                                                                              "open")
    assert InquiryEntry.objects.get().actor_kind == "anonymous"


def test_a_foreign_origin_is_refused_and_nothing_is_stored(site):
    response = _api(site, _lead(), origin=FOREIGN)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _stored() == []


def test_the_honeypot_is_answered_like_a_success_and_dropped(site):
    response = _api(site, _lead(website="http://spam.example"))
    assert response.status_code == 201 and response.json() == {"ok": True}
    assert _stored() == []


@pytest.mark.parametrize(("body", "raw", "status", "code"), [
    (_lead(name=""), None, 400, "required"),
    (_lead(email="", mobile=""), None, 400, "required"),
    (_lead(email="not-an-address"), None, 400, "invalid_email"),
    (_lead(mobile="12"), None, 400, "invalid_phone"),
    (_lead(message="a\x00b"), None, 400, "invalid_characters"),
    (_lead(name="x" * 151), None, 400, "too_long"),
    (_lead(message="x" * 5001), None, 400, "too_long"),
    (_lead(name=["x"]), None, 400, "invalid"),
    (_lead(services=["1; drop"]), None, 400, "invalid"),
    (_lead(services=[987654]), None, 400, "not_found"),
    (_lead(preferred_dates=["2001-01-01"]), None, 400, "in_past"),
    (_lead(preferred_dates=["soon"]), None, 400, "invalid_date"),
    (None, b"{not json", 400, "invalid_json"),
    (None, b"[1, 2]", 400, "invalid_json"),
    (None, b"\xff\xfe", 400, "invalid_json"),
    (None, json.dumps(_lead(message="x" * 20000)).encode(), 413, "too_large"),
])
def test_bad_input_is_refused_with_its_code_and_nothing_is_stored(site, body, raw, status, code):
    response = _api(site, body, raw=raw)
    assert response.status_code == status, response.text
    assert response.json()["ok"] is False and response.json()["errors"][0]["code"] == code
    assert response.headers["Access-Control-Allow-Origin"] == SHOP  # so the shop's page can read why
    assert _stored() == []


def test_rate_limits_per_address_and_per_email(site, settings):
    for n in range(3):
        assert _api(site, _lead(name=f"P{n}")).status_code == 201
    fourth = _api(site, _lead(name="P3"))
    assert fourth.status_code == 429 and fourth.json()["errors"][0]["code"] == "rate_limited"
    assert len(_stored()) == 3
    # other addresses go on until the client address has used its ten attempts
    for n in range(6):
        assert _api(site, _lead(name=f"Q{n}", email=f"q{n}@example.com", mobile="")).status_code == 201
    assert _api(site, _lead(name="R", email="r@example.com", mobile="")).status_code == 429
    assert len(_stored()) == 9


def test_the_plain_form_posts_across_sites_and_answers_with_pages(site):
    page = httpx.get(f"{site.url}/leads/form/")
    assert page.status_code == 200 and 'name="website"' in page.text
    snippet = httpx.get(f"{site.url}/leads/form/snippet.html")
    assert snippet.text.lstrip().startswith("<form") and f'action="{site.url}/leads/form/"' in snippet.text
    posted = httpx.post(f"{site.url}/leads/form/", data={"name": "Vi", "email": "vi@example.com", "message": "Hi",
                                                         "website": ""}, headers={"Origin": SHOP})
    assert posted.status_code == 200 and 'id="lead-thanks"' in posted.text
    bad = httpx.post(f"{site.url}/leads/form/", data={"name": "", "email": "vi@example.com", "message": "Hi"},
                     headers={"Origin": SHOP})
    assert bad.status_code == 400 and 'data-code="required"' in bad.text
    foreign = httpx.post(f"{site.url}/leads/form/", data={"name": "X", "email": "x@example.com", "message": "Hi"},
                         headers={"Origin": FOREIGN})
    assert foreign.status_code == 403
    assert _stored() == [("Vi", "website")]


class _FakeVerifier(BaseHTTPRequestHandler):
    seen: list[dict] = []
    answer: bytes = b'{"success": true}'

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        type(self).seen.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def verifier(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeVerifier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeVerifier.seen = []
    settings.LEAD_FORM_CAPTCHA = "web.captcha.SiteVerifyCaptcha"
    settings.LEAD_FORM_CAPTCHA_VERIFY_URL = f"http://127.0.0.1:{server.server_address[1]}/siteverify"
    settings.LEAD_FORM_CAPTCHA_SECRET = "shh"
    try:
        yield _FakeVerifier
    finally:
        server.shutdown()
        server.server_close()


def test_the_verifying_captcha_adapter_asks_the_service_and_refuses_what_it_refuses(site, verifier):
    verifier.answer = b'{"success": false}'
    refused = _api(site, _lead(captcha="bad-token"))
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "captcha_failed"
    assert verifier.seen[-1]["secret"] == ["shh"] and verifier.seen[-1]["response"] == ["bad-token"]
    assert verifier.seen[-1]["remoteip"] == ["127.0.0.1"]
    missing = _api(site, _lead(email="other@example.com"))
    assert missing.status_code == 400 and len(verifier.seen) == 1  # no token: not even asked
    assert _stored() == []
    verifier.answer = b'{"success": true}'
    assert _api(site, _lead(email="good@example.com", captcha="good-token")).status_code == 201
    assert _stored() == [("Pat Lee", "website")]


def test_an_unreachable_captcha_service_fails_closed(site, settings):
    settings.LEAD_FORM_CAPTCHA = "web.captcha.SiteVerifyCaptcha"
    settings.LEAD_FORM_CAPTCHA_VERIFY_URL = "http://127.0.0.1:9/siteverify"  # discard port: nothing listens
    settings.LEAD_FORM_CAPTCHA_SECRET = "shh"
    response = _api(site, _lead(captcha="token"))
    assert response.status_code == 503 and response.json()["errors"][0]["code"] == "captcha_unavailable"
    assert _stored() == []
