"""The webhook receiver on 127.0.0.1 each test that sends gets, with short back-off settings."""

from __future__ import annotations

import pytest

from . import receiver as receivers


@pytest.fixture
def receiver(settings):
    settings.FIELDOPS_RETRY_BASE, settings.FIELDOPS_RETRY_CAP, settings.FIELDOPS_RETRY_ATTEMPTS = 30, 90, 3
    settings.FIELDOPS_WEBHOOK_TIMEOUT = 5
    found = receivers.start()
    yield found
    found.stop()
