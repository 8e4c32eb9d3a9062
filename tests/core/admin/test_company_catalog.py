"""The company record, the catalogue and the chat's decline reasons in the Django admin: saved by
their services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.catalog.models import Service, ServiceCategory
from core.chat.models import DeclineReason
from core.company.models import Company
from core.company.selectors import get_company

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db

COMPANY = "/admin/company/company/1/change/"


def test_a_company_change_goes_through_company_update(browser):
    get_company()
    response = submit(browser, COMPANY, "company_form", phone="02 9999 0000", name="Sparkle Co",
                      customers_may_cancel=None)
    assert response.status_code == 302
    company = Company.objects.get()
    assert (company.phone, company.name, company.customers_may_cancel) == ("+61299990000", "Sparkle Co", False)


@pytest.mark.parametrize(("changes", "errors"), [
    # the model has no limit on the address; company_update allows 1,000 characters
    ({"address": "a" * 1001}, {"address": ["At most 1000 characters."]}),
    ({"phone": "not a phone"}, {"phone": ["That is not a phone number."]}),
    ({"cancellation_fee_type": "percent", "cancellation_fee_amount": "150"},
     {"cancellation_fee_amount": ["A percentage fee is at most 100."]}),
])
def test_a_refused_company_change_shows_why_and_changes_nothing(browser, changes, errors):
    get_company()
    before = whole_state()
    response = submit(browser, COMPANY, "company_form", name="Not saved", **changes)
    assert errors_of(response) == errors
    assert whole_state() == before


def test_the_company_cannot_be_added_or_deleted(browser):
    get_company()
    assert browser.get("/admin/company/company/add/").status_code == 403
    assert browser.post("/admin/company/company/1/delete/", {"post": "yes"}).status_code == 403
    assert Company.objects.count() == 1


def test_services_and_categories_through_the_catalogue_services(browser):
    response = submit(browser, "/admin/catalog/servicecategory/add/", "servicecategory_form", name=" Gardening ",
                      position="2")
    assert response.status_code == 302
    category = ServiceCategory.objects.get()
    assert (category.name, category.position) == ("Gardening", 2)
    response = submit(browser, "/admin/catalog/service/add/", "service_form", name=" Mowing ", price="45.50",
                      duration_minutes="90", tax_rate="10", category=str(category.pk))
    assert response.status_code == 302
    made = Service.objects.get()
    assert (made.name, made.price, made.category_id) == ("Mowing", Decimal("45.50"), category.pk)
    response = submit(browser, f"/admin/catalog/service/{made.pk}/change/", "service_form", active=None)
    assert response.status_code == 302 and Service.objects.get().active is False


def test_a_category_name_differing_only_in_case_is_refused(browser):
    """The unique key is case-sensitive; the service is not."""
    ServiceCategory.objects.create(name="Cleaning")
    get_company()
    before = whole_state()
    response = submit(browser, "/admin/catalog/servicecategory/add/", "servicecategory_form", name="cleaning")
    assert errors_of(response) == {"name": ["A category with that name exists."]}
    assert whole_state() == before


def test_decline_reasons_are_kept_within_the_limit(browser):
    for index in range(12):
        DeclineReason.objects.create(label=f"Reason {index}", position=index)
    response = submit(browser, "/admin/chat/declinereason/add/", "declinereason_form", label="Too far",
                      position="13")
    assert errors_of(response) == {"active": ["At most 12 reasons are offered."]}
    assert DeclineReason.objects.count() == 12
    response = submit(browser, "/admin/chat/declinereason/add/", "declinereason_form", label=" Too far ",
                      position="13", active=None)
    assert response.status_code == 302
    assert DeclineReason.objects.filter(active=False).get().label == "Too far"
