"""Invoices in the Django admin: shown, issued and claimed through the services; the invoice settings
saved by theirs, a refusal shown on its field."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.sales import invoices
from core.sales.invoice_models import Invoice, InvoiceEvent, InvoiceSettings
from core.sales.invoice_selectors import get_settings
from tests import factories

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db


def test_invoices_are_listed_and_issued_and_claimed_by_action(browser, root):
    staff = Actor.from_user(factories.staff_user())
    invoice = invoices.invoice_create(actor=staff, channel=Channel.SYSTEM, customer_id=factories.customer().pk,
                                      lines=[invoices.InvoiceLineInput(description="Work", unit_price="10")])
    page = browser.get("/admin/sales/invoice/")
    assert page.status_code == 200 and invoice.number in page.content.decode()
    assert browser.get(f"/admin/sales/invoice/{invoice.pk}/change/").status_code == 200
    for action in ("issue", "claim"):
        response = browser.post("/admin/sales/invoice/", {"action": action, "_selected_action": [invoice.pk]})
        assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.owner == root
    rows = InvoiceEvent.objects.filter(invoice_id=invoice.pk, channel="admin")
    assert sorted(rows.values_list("action", flat=True)) == ["claimed", "issued"]


def test_the_invoice_settings_are_saved_by_their_service(browser):
    row = get_settings()
    response = submit(browser, f"/admin/sales/invoicesettings/{row.pk}/change/", "invoicesettings_form",
                      on_completion="issue", payment_terms_days="30")
    assert response.status_code == 302
    row = InvoiceSettings.objects.get(pk=row.pk)
    assert (row.on_completion, row.payment_terms_days) == ("issue", 30)
    before = whole_state()
    response = submit(browser, f"/admin/sales/invoicesettings/{row.pk}/change/", "invoicesettings_form",
                      payment_terms_days="999")
    assert errors_of(response) == {"payment_terms_days": ["Between 0 and 365."]}
    assert whole_state() == before
    assert Invoice.objects.count() == 0
