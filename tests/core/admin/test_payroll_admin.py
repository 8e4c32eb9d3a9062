"""Payroll in the Django admin: it shows; its actions call the services (history with channel admin),
and a refused action changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.actors import Actor, Channel
from core.payroll import services as pay
from core.payroll.models import PaymentAgreement, PayrollEvent, PayrollRun, RunStatus
from tests import factories
from tests.core.payroll.support import agreement, staffed_booking, this_period

from .support import whole_state

pytestmark = pytest.mark.django_db


def test_run_actions_go_through_the_services(browser, root):
    fw = factories.fieldworker(name="Alice Able")
    agreement(fw, "fixed", fixed="60")
    staffed_booking([fw])
    start, end = this_period()
    run = pay.payroll_run_create(actor=Actor.system(), channel=Channel.SYSTEM, period_start=start, period_end=end)
    page = browser.get(f"/admin/payroll/payrollrun/{run.pk}/change/")
    assert page.status_code == 200 and "Alice Able" in page.content.decode()
    assert browser.get("/admin/payroll/payentry/").status_code == 200
    response = browser.post("/admin/payroll/payrollrun/", {"action": "mark_paid", "_selected_action": [run.pk]})
    assert response.status_code == 302
    assert PayrollRun.objects.get().status == RunStatus.DRAFT  # refused: not finalised
    for action in ("finalise", "mark_paid"):
        assert browser.post("/admin/payroll/payrollrun/", {"action": action,
                                                           "_selected_action": [run.pk]}).status_code == 302
    run.refresh_from_db()
    assert (run.status, run.paid_by, run.total) == (RunStatus.PAID, root, Decimal("60.00"))
    assert list(PayrollEvent.objects.filter(run_id=run.pk).values_list("action", "channel")) == [
        ("created", "system"), ("finalised", "admin"), ("paid", "admin")]


def test_an_agreement_in_use_is_not_deleted_from_the_admin(browser):
    fw = factories.fieldworker()
    used = agreement(fw, "fixed", fixed="60")
    staffed_booking([fw])
    before = whole_state()
    response = browser.post("/admin/payroll/paymentagreement/", {"action": "delete_unused",
                                                                 "_selected_action": [used.pk]})
    assert response.status_code == 302
    assert PaymentAgreement.objects.filter(pk=used.pk).exists()
    assert whole_state() == before
