"""System checks for the SMS front's configuration (``manage.py check --deploy`` shows them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

TWILIO_BACKEND = "conversations.sms.twilio_backend.TwilioSmsBackend"


@register()
def twilio_settings(app_configs, **kwargs):
    problems = []
    if settings.SMS_BACKEND == TWILIO_BACKEND:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            problems.append(Error("SMS_BACKEND is Twilio but TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not set.",
                                  id="sms.E001"))
        if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
            problems.append(Error("Set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send SMS.",
                                  id="sms.E002"))
    return problems
