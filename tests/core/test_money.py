from __future__ import annotations

from decimal import Decimal

import pytest

from core.money import percent_of, round_money


@pytest.mark.parametrize(("raw", "rounded"), [
    ("0.125", "0.13"), ("0.135", "0.14"), ("2.675", "2.68"), ("-0.125", "-0.13"), ("10", "10.00"),
    ("0.124999", "0.12"), ("1.005", "1.01"),
])
def test_round_half_up_to_cents(raw, rounded):
    result = round_money(Decimal(raw))
    assert isinstance(result, Decimal)
    assert str(result) == rounded


@pytest.mark.parametrize(("amount", "percent", "expected"), [
    ("110.00", "10", "11.00"), ("12.25", "10", "1.23"), ("110.00", "33.33", "36.66"), ("0.05", "50", "0.03"),
    ("99.99", "0", "0.00"), ("99.99", "100", "99.99"),
])
def test_percent_of(amount, percent, expected):
    assert str(percent_of(Decimal(amount), Decimal(percent))) == expected
