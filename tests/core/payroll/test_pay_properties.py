"""Properties (hypothesis): the pay of a booking split among N fieldworkers adds up to the computed
total exactly, whatever the figure, the basis and N; no share is more than a cent off another."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.money import ZERO
from core.payroll import figures
from core.payroll.models import PayBasis, PayEntry
from tests import factories

from .support import agreement, staffed_booking

amounts = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda n: Decimal(n) / 100)


@given(amount=amounts, n=st.integers(min_value=1, max_value=50))
@settings(max_examples=1000, deadline=None)
def test_a_split_adds_up_exactly_and_the_spare_cents_go_first(amount, n):
    shares = figures.split(amount, n)
    assert len(shares) == n
    assert sum(shares, ZERO) == amount
    assert all(share == share.quantize(Decimal("0.01")) for share in shares)
    assert max(shares) - min(shares) <= Decimal("0.01")
    assert shares == sorted(shares, reverse=True)  # the larger shares first: the first to accept


@given(quantity=st.integers(min_value=1, max_value=100_000).map(lambda n: Decimal(n) / 100),
       amount=st.integers(min_value=0, max_value=1_000_000).map(lambda n: Decimal(n) / 100),
       percent=st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100),
       total=st.integers(min_value=0, max_value=10_000_000).map(lambda n: Decimal(n) / 100))
@settings(max_examples=500, deadline=None)
def test_a_line_figure_is_in_cents_rounded_half_up_once(quantity, amount, percent, total):
    per_unit = figures.line_figure(PayBasis.PER_SERVICE, amount=amount, percent=None, quantity=quantity,
                                   line_total=total)
    assert per_unit == (amount * quantity).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    commission = figures.line_figure(PayBasis.COMMISSION, amount=None, percent=percent, quantity=quantity,
                                     line_total=total)
    assert commission == (total * percent / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


line = st.tuples(st.integers(min_value=1, max_value=99_999_99).map(lambda n: Decimal(n) / 100),  # price
                 st.integers(min_value=1, max_value=2_000).map(lambda n: Decimal(n) / 100),  # quantity
                 st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100))  # rate


@pytest.mark.django_db
@given(n=st.integers(min_value=1, max_value=5), basis=st.sampled_from(list(PayBasis.values)),
       lines=st.lists(line, min_size=1, max_size=4),
       fixed=st.integers(min_value=0, max_value=1_000_000).map(lambda n: Decimal(n) / 100))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_the_pay_of_a_booking_split_among_n_fieldworkers_adds_up_to_its_computed_total(n, basis, lines, fixed):
    workers = [factories.fieldworker() for _ in range(n)]
    services = [factories.service(price=price, tax_rate=Decimal("10")) for price, _q, _r in lines]
    rates = [(svc, rate if basis == PayBasis.PER_SERVICE else None, rate if basis == PayBasis.COMMISSION else None)
             for svc, (_p, _q, rate) in zip(services, lines, strict=True)]
    for fw in workers:  # the same agreement for all: the computed total is one figure
        if basis == PayBasis.FIXED:
            agreement(fw, basis, fixed=fixed)
        else:
            agreement(fw, basis, rates=rates)
    booking = staffed_booking(workers, lines=[(svc, str(qty)) for svc, (_p, qty, _r) in zip(services, lines,
                                                                                           strict=True)])
    if basis == PayBasis.FIXED:
        computed = fixed
    else:
        by_service = {svc.pk: (amount, percent) for svc, amount, percent in rates}
        computed = sum((figures.line_figure(basis, amount=by_service[row.service_id][0],
                                            percent=by_service[row.service_id][1], quantity=row.quantity,
                                            line_total=row.total) for row in booking.lines.all()), ZERO)
    paid = list(PayEntry.objects.filter(booking=booking).values_list("fieldworker_id", "amount"))
    assert sum((amount for _fw, amount in paid), ZERO) == computed
    per_worker = {fw.pk: sum((amount for who, amount in paid if who == fw.pk), ZERO) for fw in workers}
    assert max(per_worker.values()) - min(per_worker.values()) <= Decimal("0.01") * len(lines)
