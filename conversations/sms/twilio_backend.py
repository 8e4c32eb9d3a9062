"""The production SMS transport: the real ``twilio.rest.Client``.

Selected with ``SMS_BACKEND=conversations.sms.twilio_backend.TwilioSmsBackend``. It lives in the
SMS front (the domain imports no transport library) and ``core`` loads it by name.
``TWILIO_API_BASE_URL`` points the client at another API root (tests: a fake Twilio on
127.0.0.1); blank means Twilio itself.
"""

from __future__ import annotations

from django.conf import settings
from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core.sms.backends import BaseSmsBackend, SendResult, SmsSendError
from core.sms.models import PERMANENT_ERRORS

TWILIO_API_ROOT = "https://api.twilio.com"


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to another API root."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API_ROOT):
            url = self.base_url + url[len(TWILIO_API_ROOT):]
        return super().request(method, url, *args, **kwargs)


class TwilioSmsBackend(BaseSmsBackend):
    def __init__(self, http_client=None) -> None:
        if http_client is None:
            http_client = (BaseUrlHttpClient(settings.TWILIO_API_BASE_URL, timeout=10)
                           if settings.TWILIO_API_BASE_URL else TwilioHttpClient(timeout=10))
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        options: dict[str, str] = {"to": to, "body": body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            options["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            options["from_"] = settings.TWILIO_FROM_NUMBER
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as exc:
            code = int(exc.code) if exc.code else None
            raise SmsSendError(str(exc.msg)[:255], code=code, permanent=code in PERMANENT_ERRORS)
        except (TwilioException, RequestException) as exc:
            raise SmsSendError(f"Twilio unreachable: {exc}"[:255])
        return SendResult(sid=message.sid, status=str(message.status or "queued"), from_number=message.from_ or "")
