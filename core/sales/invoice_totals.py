"""An invoice's arithmetic, pure: a line's figures and the sums of them (decisions 0121, 0800, 0830).

A line's face is ``quantity x unit price`` rounded half up once (``core.catalog.pricing.line_amounts``,
the one rule); an item line's percent off is taken from that face, rounded once; tax comes from what
is left, added on top or the part of it by the line's mode. A discount line counts against the
invoice (its figures are negative). Totals are sums of the line figures and never rounded again, so
the list, the PDF and the database agree to the cent; what was paid and the balance are sums and
differences of cents too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.catalog.pricing import line_amounts, plain
from core.money import ZERO, percent_of, round_money

DISCOUNT = "discount"


@dataclass(frozen=True)
class LineFigures:
    face: Decimal  # quantity x unit price (signed: negative on a discount line)
    discount: Decimal  # taken off this line (never negative): its percent off, or a discount line's face
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class TaxSummary:
    """One row of a document's tax summary: the lines of one named rate (decision 0872)."""

    name: str  # the lines' rate name, or "Tax 12.5%" for lines whose percent was typed without one
    rate: Decimal
    taxable: Decimal  # the sum of those lines' net figures
    tax: Decimal  # the sum of their tax


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal  # the sum of the lines' net figures
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    taxes: tuple[tuple[Decimal, Decimal], ...] = ()  # (rate, tax) per rate, by rate
    summary: tuple[TaxSummary, ...] = ()  # per rate name and percent, by percent then name


def line_figures(*, kind: str, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, tax_inclusive: bool,
                 discount_percent: Decimal = ZERO) -> LineFigures:
    face = round_money(Decimal(quantity) * Decimal(unit_price))
    off = percent_of(face, discount_percent) if kind != DISCOUNT and discount_percent else ZERO
    amounts = line_amounts(Decimal(1), face - off, tax_rate, tax_inclusive=tax_inclusive)
    if kind == DISCOUNT:
        return LineFigures(face=-face, discount=face, net=-amounts.net, tax=-amounts.tax, total=-amounts.total)
    return LineFigures(face=face, discount=off, net=amounts.net, tax=amounts.tax, total=amounts.total)


def totals(lines: Iterable[tuple[Decimal, LineFigures] | tuple[Decimal, LineFigures, str]]) -> Totals:
    """``lines``: (tax rate, figures) or (tax rate, figures, tax name) of each line. The summary adds
    the same line figures by name and percent, so its sums are the totals' exactly."""
    subtotal = discount = tax = total = ZERO
    by_rate: dict[Decimal, Decimal] = {}
    by_name: dict[tuple[Decimal, str], tuple[Decimal, Decimal]] = {}
    for rate, figures, *named in lines:
        subtotal += figures.net
        discount += figures.discount
        tax += figures.tax
        total += figures.total
        key = Decimal(rate).normalize()
        by_rate[key] = by_rate.get(key, ZERO) + figures.tax
        group = (round_money(rate), tax_label(named[0] if named else "", key))
        taxable, taxed = by_name.get(group, (ZERO, ZERO))
        by_name[group] = (taxable + figures.net, taxed + figures.tax)
    summary = tuple(TaxSummary(name=name, rate=rate, taxable=taxable, tax=taxed)
                    for (rate, name), (taxable, taxed) in sorted(by_name.items()))
    return Totals(subtotal=subtotal, discount_total=discount, tax_total=tax, total=total,
                  taxes=tuple(sorted(by_rate.items())), summary=summary)


def tax_label(name: str, rate: Decimal) -> str:
    """A line's tax as documents print it: its rate's name, or "Tax 12.5%" for a typed percent."""
    return name or f"Tax {plain(rate)}%"


def payment_status(total: Decimal, paid: Decimal) -> str:
    """unpaid, part_paid, paid or overpaid (an invoice of nothing is paid)."""
    if paid > total:
        return "overpaid"
    if paid == total:
        return "paid"
    return "part_paid" if paid > 0 else "unpaid"
