"""The pay figures, pure functions (nothing here reads the database).

* ``line_figure``: what one service line pays under a rate: an amount per unit (``amount x quantity``)
  or a commission (``percent`` of the line total), rounded half up to the cent once (decision 0121).
* ``split``: a figure split among ``n`` fieldworkers in whole cents that add up to it exactly; the
  cents left over go one each to the first shares, in the order the fieldworkers accepted the job
  (decision 0851).
"""

from __future__ import annotations

from decimal import Decimal

from core.money import percent_of, round_money

from .models import PayBasis


def line_figure(basis: str, *, amount: Decimal | None, percent: Decimal | None, quantity: Decimal,
                line_total: Decimal) -> Decimal:
    if basis == PayBasis.PER_SERVICE:
        return round_money(Decimal(amount or 0) * Decimal(quantity))
    if basis == PayBasis.COMMISSION:
        return percent_of(line_total, Decimal(percent or 0))
    raise ValueError(f"a {basis} agreement has no line figures")


def split(amount: Decimal, n: int) -> list[Decimal]:
    """``n`` shares of ``amount`` in cents, adding up to it exactly (the first ones a cent more)."""
    if n < 1:
        raise ValueError("split among at least one")
    cents = int(round_money(amount).scaleb(2))
    base, rest = divmod(cents, n)  # floor division: for a negative amount the extra cents still go first
    return [Decimal(base + (1 if place < rest else 0)).scaleb(-2) for place in range(n)]


def rate_label(basis: str, *, amount: Decimal | None = None, percent: Decimal | None = None) -> str:
    if basis == PayBasis.COMMISSION:
        return f"{format(Decimal(percent or 0).normalize(), 'f')}%"
    if basis == PayBasis.PER_SERVICE:
        return f"{round_money(Decimal(amount or 0))} per unit"
    return f"{round_money(Decimal(amount or 0))} per booking"
