from __future__ import annotations

import pytest

from core.notifications import backends

OUR_NUMBER = "+61400999999"


@pytest.fixture(autouse=True)
def _sms_settings(settings):
    settings.TWILIO_FROM_NUMBER = OUR_NUMBER
    settings.SMS_BACKEND = "core.notifications.backends.LocmemSmsBackend"
    backends.outbox.clear()
    backends.blocked.clear()
    yield
    backends.outbox.clear()
    backends.blocked.clear()
