"""Trading names, terms versions and labels in the Django admin: saved by their services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.company.models import CompanyLog, Label, TermsVersion, TradingName
from core.company.selectors import default_trading_name
from tests.media import stored_files

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


# --- the logo page: the service called once, for real ------------------------------------------


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_change_page_links_to_the_logo_page_which_stores_a_checked_logo(browser, media, published):
    from tests.core.company.images import png

    row = default_trading_name()
    page = browser.get(f"/admin/company/tradingname/{row.pk}/change/")
    assert f'href="/admin/company/tradingname/{row.pk}/logo/"'.encode() in page.content
    assert b"Add a logo" in page.content
    form = browser.get(f"/admin/company/tradingname/{row.pk}/logo/")
    assert form.status_code == 200 and b'enctype="multipart/form-data"' in form.content
    response = browser.post(f"/admin/company/tradingname/{row.pk}/logo/", {"logo": _upload("brand.png", png())})
    assert response.status_code == 302 and response["Location"] == f"/admin/company/tradingname/{row.pk}/change/"
    row.refresh_from_db()
    assert row.logo.name and stored_files(media) == [row.logo.name]
    log = CompanyLog.objects.filter(subject="trading_name", subject_id=row.pk).latest("pk")
    assert (log.action, log.channel, log.actor_label) == ("updated", "admin", "Root Admin")
    assert "logo" in log.changes
    assert b"Change the logo" in browser.get(f"/admin/company/tradingname/{row.pk}/change/").content

    response = browser.post(f"/admin/company/tradingname/{row.pk}/logo/", {"remove_logo": "on"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.logo
    published.all()  # the commit's callbacks: the old file is deleted once the change committed
    assert stored_files(media) == []


@pytest.mark.parametrize(("name", "content", "message"), [
    ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image"),
    ("logo.gif", None, "PNG, JPEG or WebP"),
])
def test_a_refused_logo_shows_why_and_changes_and_stores_nothing(browser, media, name, content, message):
    from tests.core.company.images import gif

    row = default_trading_name()
    before = whole_state()
    response = browser.post(f"/admin/company/tradingname/{row.pk}/logo/",
                            {"logo": _upload(name, content if content is not None else gif())})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'class="errorlist' in text and message.lower() in text.lower()
    assert whole_state() == before
    assert stored_files(media) == []


def test_the_logo_page_refuses_an_empty_form_a_double_ask_and_a_missing_row(browser, media):
    from tests.core.company.images import png

    row = default_trading_name()
    before = whole_state()
    empty = browser.post(f"/admin/company/tradingname/{row.pk}/logo/", {})
    assert "Choose a logo to upload, or tick the box to remove the logo." in empty.content.decode()
    both = browser.post(f"/admin/company/tradingname/{row.pk}/logo/",
                        {"logo": _upload("a.png", png()), "remove_logo": "on"})
    assert "Send a new logo or remove the logo, not both." in both.content.decode()
    assert browser.get("/admin/company/tradingname/999999/logo/").status_code == 404
    assert whole_state() == before
    assert stored_files(media) == []


def test_the_logo_page_is_for_staff_signed_in_to_the_admin(db, media):
    from django.test import Client

    from tests.core.company.images import png

    row = default_trading_name()
    before = whole_state()
    response = Client().post(f"/admin/company/tradingname/{row.pk}/logo/", {"logo": _upload("a.png", png())})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert whole_state() == before
    assert stored_files(media) == []
