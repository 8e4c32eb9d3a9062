from __future__ import annotations

import pytest

from tests.conftest import OUR_NUMBER  # noqa: F401 (imported from here by other tests)


@pytest.fixture(autouse=True)
def _sms_settings(twilio_sms):
    return twilio_sms
