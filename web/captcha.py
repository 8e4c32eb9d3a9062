"""Captcha adapters for the website lead form, chosen by dotted path (``LEAD_FORM_CAPTCHA``).

An adapter has one method, ``verify(token, remote_ip) -> bool``, and may raise
``CaptchaUnavailable`` when it cannot tell (the form then refuses, fail-closed). ``NoCaptcha`` (the
default) accepts everything: the honeypot and the rate limits stay. ``SiteVerifyCaptcha`` speaks the
"siteverify" protocol hCaptcha, Cloudflare Turnstile and reCAPTCHA share: POST ``secret``,
``response`` and ``remoteip`` form-encoded; the answer is JSON with a boolean ``success``.
"""

from __future__ import annotations

import logging
from typing import Protocol

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class CaptchaUnavailable(Exception):
    """The verifying service could not be asked (network, timeout, a non-JSON answer)."""


class CaptchaAdapter(Protocol):
    def verify(self, token: str, remote_ip: str) -> bool: ...


class NoCaptcha:
    def verify(self, token: str, remote_ip: str) -> bool:
        return True


class SiteVerifyCaptcha:
    def __init__(self, url: str | None = None, secret: str | None = None, timeout: float | None = None) -> None:
        self.url = url or settings.LEAD_FORM_CAPTCHA_VERIFY_URL
        self.secret = secret or settings.LEAD_FORM_CAPTCHA_SECRET
        self.timeout = timeout if timeout is not None else settings.LEAD_FORM_CAPTCHA_TIMEOUT
        if not self.url or not self.secret:
            raise ValueError("SiteVerifyCaptcha needs LEAD_FORM_CAPTCHA_VERIFY_URL and LEAD_FORM_CAPTCHA_SECRET.")

    def verify(self, token: str, remote_ip: str) -> bool:
        if not token:
            return False
        try:
            response = httpx.post(self.url, data={"secret": self.secret, "response": token, "remoteip": remote_ip},
                                  timeout=self.timeout)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("captcha verification unavailable: %s", type(exc).__name__)
            raise CaptchaUnavailable(str(exc)) from exc
        return isinstance(answer, dict) and answer.get("success") is True


def get_adapter() -> CaptchaAdapter:
    """The configured adapter, built for each submission (cheap; follows settings as they are)."""
    return import_string(settings.LEAD_FORM_CAPTCHA)()
