from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _outreach_env(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    mail.outbox = []
    cache.clear()
    yield
    cache.clear()
