from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.phones import normalise_phone


@pytest.mark.parametrize(("raw", "e164"), [
    ("0412 345 678", "+61412345678"),  # national format, default region AU
    ("+61 412 345 678", "+61412345678"),
    ("(02) 9374 4000", "+61293744000"),
    ("+1 650-253-0000", "+16502530000"),
    ("  +44 20 7946 0958 ", "+442079460958"),
    ("", ""),
    (None, ""),
])
def test_normalise(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["hello", "12", "+61 4", "0412 345 678 999 999", "+99912345678", "1" * 33])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(ValidationFailed) as caught:
        normalise_phone(raw, field="phone")
    assert (caught.value.code, caught.value.field) == ("invalid_phone", "phone")


def test_region_decides_national_numbers():
    assert normalise_phone("020 7946 0958", region="GB") == "+442079460958"
