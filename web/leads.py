"""The website lead capture form (decision 0161): the business's own site files leads into the inbox.

* ``GET /leads/form/``: a plain HTML page with the form (works without JavaScript);
  ``GET /leads/form/snippet.html``: the bare ``<form>`` markup to paste into the business's site;
  ``POST /leads/form/``: what that form posts (form-encoded); answers with an HTML page.
* ``POST /leads/api/`` (JSON in, JSON out) and its CORS preflight ``OPTIONS``.

Both POSTs come from other sites, so they carry no CSRF token: they are exempt, and instead a
request whose ``Origin`` is neither the site's own nor listed in ``LEAD_FORM_ALLOWED_ORIGINS`` is
refused (browsers always send ``Origin`` on a cross-site POST). CORS answers name the one allowed
origin, never ``*``, and never allow credentials: the endpoint needs no cookie. Then: the body size,
the honeypot (a hidden ``website`` field people leave empty: filled, the answer is the same success
and nothing is stored), the rate limits per client address and per e-mail address (or mobile), the
captcha adapter, and the one service call, ``core.crm.services.inquiry_create`` as an anonymous
actor, which files the lead with the website's lead source; the inbox hears of it after commit
(``InquiryOpened`` -> the ``inbox`` group, the dashboard's panel).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.actors import Actor, Channel
from core.catalog.models import Service
from core.company.selectors import get_company
from core.crm import services
from core.errors import DomainError
from core.ratelimit import hit

from .captcha import CaptchaUnavailable, get_adapter
from .ratelimit import client_ip

logger = logging.getLogger(__name__)

HONEYPOT = "website"
CAPTCHA_FIELDS = ("captcha", "h-captcha-response", "cf-turnstile-response", "g-recaptcha-response")
TEXT_FIELDS = ("name", "email", "mobile", "message", "address", "postcode", "city")
MAX_LIST = 20  # services or dates: the service refuses more than its own limits anyway


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _rate(value: str) -> tuple[int, int]:
    count, _, seconds = value.partition("/")
    return int(count), int(seconds or 3600)


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _origin_allowed(request: HttpRequest) -> str | None:
    """The request's Origin when it may post here ('' for none: not a browser's cross-site request);
    None when it may not."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return ""
    origin = origin.rstrip("/")
    if origin == _own_origin(request) or origin in settings.LEAD_FORM_ALLOWED_ORIGINS:
        return origin
    return None


def _cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    response["Vary"] = "Origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin  # the one origin, never "*"; no credentials
    return response


def _services() -> list[Service]:
    return list(Service.objects.filter(active=True).order_by("name", "pk").only("pk", "name"))


# --- reading a submission -----------------------------------------------------------------------


def _read_form(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {key: request.POST.get(key, "") for key in (*TEXT_FIELDS, HONEYPOT)}
    data["services"] = request.POST.getlist("services")[:MAX_LIST + 1]
    data["preferred_dates"] = [day for day in request.POST.getlist("preferred_dates") if day][:MAX_LIST + 1]
    data["captcha"] = next((request.POST.get(key, "") for key in CAPTCHA_FIELDS if request.POST.get(key)), "")
    return data


def _read_json(request: HttpRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise Refused(415, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "invalid_json", "The body is not JSON.")
    if not isinstance(body, dict):
        raise Refused(400, "invalid_json", "Send one JSON object.")
    data: dict[str, Any] = {}
    for key in (*TEXT_FIELDS, HONEYPOT, "captcha"):
        value = body.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise Refused(400, "invalid", f"{key} is text.", key)
        data[key] = value
    for key in ("services", "preferred_dates"):
        value = body.get(key) or []
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise Refused(400, "invalid", f"{key} is a short list.", key)
        data[key] = value
    return data


def _service_ids(values: list[Any]) -> list[int]:
    ids = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() \
                or len(str(value)) > 12:
            raise Refused(400, "invalid", "Services are ids from the form.", "services")
        ids.append(int(value))
    return ids


def _dates(values: list[Any]) -> list[str]:
    if any(not isinstance(value, str) for value in values):
        raise Refused(400, "invalid_date", "Dates are YYYY-MM-DD.", "preferred_dates")
    return values


# field names of the service -> the form's
FIELD_NAMES = {"prospectName": "name", "prospectEmail": "email", "prospectMobile": "mobile", "body": "message",
               "wantedServiceIds": "services", "preferredDates": "preferred_dates"}


def _submit(request: HttpRequest, data: dict[str, Any]) -> bool:
    """Check and file one submission; True when filed, False when the honeypot dropped it."""
    address = client_ip(request)
    per_address, per_email = _rate(settings.LEAD_FORM_RATE_PER_ADDRESS), _rate(settings.LEAD_FORM_RATE_PER_EMAIL)
    if not hit("lead-form-ip", address, limit=per_address[0], window=per_address[1]):
        raise Refused(429, "rate_limited", "Too many submissions from here; please try again later.")
    if data.get(HONEYPOT):
        logger.info("lead form: honeypot filled, submission dropped")
        return False
    if any("\x00" in (data.get(key) or "") for key in (*TEXT_FIELDS, "captcha")):
        raise Refused(400, "invalid_characters", "The text contains a NUL character.")
    service_ids, preferred = _service_ids(data["services"]), _dates(data["preferred_dates"])
    who = (data.get("email") or "").strip().lower()[:254] or (data.get("mobile") or "").strip()[:32]
    if who and not hit("lead-form-email", who, limit=per_email[0], window=per_email[1]):
        raise Refused(429, "rate_limited", "We already have your request; we will be in touch.")
    try:
        passed = get_adapter().verify(data.get("captcha") or "", address)
    except CaptchaUnavailable:
        raise Refused(503, "captcha_unavailable", "We could not check the captcha; please try again shortly.")
    if not passed:
        raise Refused(400, "captcha_failed", "Please complete the captcha.", "captcha")
    try:
        services.inquiry_create(actor=Actor.anonymous(), channel=Channel.PORTAL, prospect_name=data["name"],
                                prospect_email=data["email"], prospect_mobile=data["mobile"], body=data["message"],
                                wanted_service_ids=service_ids, preferred_dates=preferred,
                                address=data["address"], postcode=data["postcode"], city=data["city"])
    except DomainError as exc:
        raise Refused(400, exc.code, exc.message, FIELD_NAMES.get(exc.field or "", exc.field))
    return True


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.LEAD_FORM_MAX_BYTES


# --- the JSON endpoint ----------------------------------------------------------------------------


def _json_error(refused: Refused, origin: str | None) -> HttpResponse:
    body = {"ok": False, "errors": [{"code": refused.code, "field": refused.field, "message": refused.message}]}
    return _cors(JsonResponse(body, status=refused.status), origin)


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def lead_api(request: HttpRequest) -> HttpResponse:
    origin = _origin_allowed(request)
    if request.method == "OPTIONS":  # the CORS preflight
        if not origin:
            return _cors(HttpResponse(status=403), None)
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        return _cors(response, origin)
    if origin is None:
        return _json_error(Refused(403, "origin_not_allowed", "This site may not send leads here."), None)
    if _too_large(request):
        return _json_error(Refused(413, "too_large", "The request is too large."), origin)
    try:
        _submit(request, _read_json(request))
    except Refused as refused:
        return _json_error(refused, origin)
    return _cors(JsonResponse({"ok": True}, status=201), origin)


# --- the plain HTML form --------------------------------------------------------------------------


def _form_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"company": get_company(), "services": _services(),
            "action": request.build_absolute_uri(reverse("lead-form")), **extra}


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def lead_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "web/leads/form_page.html", _form_context(request, values={}))
    origin = _origin_allowed(request)
    refused: Refused | None = None
    data: dict[str, Any] = {}
    if origin is None:
        refused = Refused(403, "origin_not_allowed", "This site may not send leads here.")
    elif _too_large(request):
        refused = Refused(413, "too_large", "The request is too large.")
    else:
        data = _read_form(request)
        try:
            _submit(request, data)
        except Refused as exc:
            refused = exc
    if refused is not None:
        values = {key: value for key, value in data.items() if key in TEXT_FIELDS and "\x00" not in value}
        return render(request, "web/leads/form_page.html",
                      _form_context(request, values=values, error=refused), status=refused.status)
    return render(request, "web/leads/thanks.html", {"company": get_company()})


@require_http_methods(["GET", "HEAD"])
def lead_form_snippet(request: HttpRequest) -> HttpResponse:
    """The bare form markup to paste into the business's site (its origin must be allowed)."""
    return render(request, "web/leads/_form.html", _form_context(request, values={}))
