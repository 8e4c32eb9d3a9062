"""Trading names, terms versions and labels in the Django admin: saved by their services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.company.models import CompanyLog, Label, TermsVersion, TradingName
from core.company.selectors import default_trading_name

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db


def test_a_trading_name_is_added_and_changed_through_the_services(browser):
    response = submit(browser, "/admin/company/tradingname/add/", "tradingname_form", name="Sparkle Gutters",
                      phone="0412 345 678", quote_prefix="GQ-", invoice_prefix="GI-", number_start="2000")
    assert response.status_code == 302
    row = TradingName.objects.get(name="Sparkle Gutters")
    assert (row.phone, row.quote_prefix, row.number_start, row.is_default) == ("+61412345678", "GQ-", 2000, False)
    response = submit(browser, f"/admin/company/tradingname/{row.pk}/change/", "tradingname_form",
                      sender_name="Gutters")
    assert response.status_code == 302
    assert [log.action for log in CompanyLog.objects.filter(subject_id=row.pk)] == ["created", "updated"]


def test_a_refused_trading_name_shows_why_and_changes_nothing(browser):
    default = default_trading_name()
    before = whole_state()
    response = submit(browser, f"/admin/company/tradingname/{default.pk}/change/", "tradingname_form",
                      quote_prefix="X-", invoice_prefix="x-")
    assert errors_of(response) == {"invoice_prefix": ["Quotes and invoices need different prefixes."]}
    assert whole_state() == before


def test_terms_are_published_in_the_admin_and_never_edited(browser):
    default = default_trading_name()
    start = timezone.localtime() + timedelta(days=1)
    response = submit(browser, "/admin/company/termsversion/add/", "termsversion_form",
                      trading_name=str(default.pk), text="Pay in 14 days.",
                      in_force_from_0=start.strftime("%Y-%m-%d"), in_force_from_1=start.strftime("%H:%M:%S"))
    assert response.status_code == 302
    version = TermsVersion.objects.get()
    assert version.version == 1
    page = browser.get(f"/admin/company/termsversion/{version.pk}/change/")
    assert page.status_code == 200 and b'name="text"' not in page.content  # shown, not editable


def test_a_label_is_added_in_the_admin_through_the_service(browser):
    response = submit(browser, "/admin/company/label/add/", "label_form", name="VIP", colour="#AA0000",
                      applies_to=["quote", "customer"])
    assert response.status_code == 302
    assert Label.objects.get().applies_to == ["quote", "customer"]
    before = whole_state()
    response = submit(browser, "/admin/company/label/add/", "label_form", name="vip", colour="#000000",
                      applies_to=["invoice"])
    assert errors_of(response) == {"name": ["A label with that name exists."]}
    assert whole_state() == before
