from __future__ import annotations

from conversations.sms.checks import TWILIO_BACKEND, twilio_settings


def ids(settings) -> list[str]:
    return [problem.id for problem in twilio_settings(None)]


def test_the_twilio_backend_needs_credentials_and_a_sender(settings):
    settings.SMS_BACKEND = TWILIO_BACKEND
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    assert ids(settings) == ["sms.E001", "sms.E002"]
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    assert ids(settings) == []


def test_the_local_backends_need_no_twilio_settings(settings):
    settings.SMS_BACKEND = "core.sms.backends.ConsoleSmsBackend"
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM_NUMBER = ""
    assert ids(settings) == []
