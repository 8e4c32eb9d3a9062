"""Two payroll runs racing on PostgreSQL: for the same pay, the unique entry of a run item lets one run
have it and the other is refused with ``already_in_run``, whole; for overlapping periods with no pay,
the exclusion constraint on the periods refuses the second with ``run_overlap`` (decision 0853).

The first run is held open, its items written and not yet committed, by a durable subscriber of its
own history event (it runs inside the run's transaction); the second starts then and is seen waiting
on the first's lock in ``pg_stat_activity`` before the first is let go, so the constraint, not the
timing, decides."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from core import events
from core.actors import Actor, Channel
from core.errors import DomainError
from core.payroll import services as pay
from core.payroll.events import PayrollChanged
from core.payroll.models import PayEntry, PayrollRun, PayrollRunItem, PayrollStatement
from tests import factories

from .support import agreement, staffed_booking, this_period

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _someone_waits_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def race(first_period, second_period) -> tuple[dict[str, object], bool]:
    """Run A is held open after writing everything; run B starts and is seen waiting on A's lock;
    then A commits. (outcome per run: its pk or its refusal code, whether B was seen waiting)."""
    first_holds, let_go = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold(event: PayrollChanged) -> None:
        if event.subject == "run" and event.action == "created" and threading.current_thread().name == "first":
            first_holds.set()
            let_go.wait(30)

    def run(name: str, period) -> None:
        try:
            outcome[name] = pay.payroll_run_create(actor=Actor.system(), channel=Channel.SYSTEM,
                                                   period_start=period[0], period_end=period[1]).pk
        except DomainError as exc:
            outcome[name] = exc.code
        finally:
            connections.close_all()

    events.subscribe(PayrollChanged, hold, durable=True)
    try:
        first = threading.Thread(target=run, args=("first", first_period), name="first")
        first.start()
        assert first_holds.wait(30)
        second = threading.Thread(target=run, args=("second", second_period), name="second")
        second.start()
        for _ in range(600):  # until the second run waits on the first's uncommitted rows
            if _someone_waits_on_a_lock():
                break
            second.join(0.05)
        waited = _someone_waits_on_a_lock()
        let_go.set()
        first.join(30)
        second.join(30)
    finally:
        let_go.set()
        events.unsubscribe(PayrollChanged, hold)
    return outcome, waited


def test_two_runs_racing_for_the_same_pay_pay_it_once():
    a, b = factories.fieldworker(), factories.fieldworker()
    agreement(a, "fixed", fixed="90")
    agreement(b, "fixed", fixed="90")
    staffed_booking([a, b])
    staffed_booking([a])
    assert PayEntry.objects.count() == 3
    start, end = this_period()
    outcome, waited = race((start, end), (start, end))
    assert waited
    assert outcome["second"] == "already_in_run"  # the entries are checked before the periods
    run_pk = outcome["first"]
    assert list(PayrollRun.objects.values_list("pk", flat=True)) == [run_pk]  # the refused one left nothing
    assert PayrollStatement.objects.filter(run_id=run_pk).count() == 2
    assert sorted(PayrollRunItem.objects.values_list("entry_id", flat=True)) == sorted(
        PayEntry.objects.values_list("pk", flat=True))
    assert PayrollRun.objects.get().total == Decimal("180.00")


def test_two_runs_of_overlapping_periods_made_at_once_one_stands():
    outcome, waited = race((date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 1, 15), date(2026, 2, 14)))
    assert waited
    assert outcome["second"] == "run_overlap"
    assert list(PayrollRun.objects.values_list("pk", flat=True)) == [outcome["first"]]
