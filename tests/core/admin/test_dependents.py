"""Dependents and the two managed lists in the Django admin: every save goes through the services."""

from __future__ import annotations

import pytest

from core.bookings.models import LocationType
from core.crm.events import DependentAdded, DependentArchived, DependentUpdated
from core.crm.models import CustomerLog, Dependent, PropertyType
from tests import factories

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db

FORM = "dependent_form"


def test_adding_changing_and_archiving_a_dependent_write_history_and_events(browser, seen):
    customer = factories.customer(name="Olivia Chen")
    response = submit(browser, "/admin/crm/dependent/add/", FORM, customer=str(customer.pk), name="May Chen",
                      relationship="Mother", mobile="0412 345 101")
    assert response.status_code == 302
    may = Dependent.objects.get()
    assert (may.customer_id, may.mobile) == (customer.pk, "+61412345101")
    assert submit(browser, f"/admin/crm/dependent/{may.pk}/change/", FORM, notes="Hard of hearing").status_code == 302
    response = browser.post("/admin/crm/dependent/", {"action": "archive", "_selected_action": [may.pk]})
    assert response.status_code == 302
    assert Dependent.objects.get().archived_at is not None
    assert list(CustomerLog.objects.filter(customer=customer).values_list("action", "channel")) == [
        ("dependent_added", "admin"), ("dependent_updated", "admin"), ("dependent_archived", "admin")]
    assert [type(event) for event in seen.of(DependentAdded) + seen.of(DependentUpdated) +
            seen.of(DependentArchived)] == [DependentAdded, DependentUpdated, DependentArchived]


def test_a_bad_mobile_shows_on_the_form_and_nothing_changes(browser):
    customer = factories.customer()
    whole_state()  # settings rows are made on first read
    before = whole_state()
    response = submit(browser, "/admin/crm/dependent/add/", FORM, customer=str(customer.pk), name="May",
                      mobile="call me")
    assert errors_of(response) == {"mobile": ["That is not a phone number."]}
    assert whole_state() == before


def test_list_entries_are_written_by_the_services(browser):
    assert submit(browser, "/admin/crm/propertytype/add/", "propertytype_form", name="Flat",
                  position="2").status_code == 302
    assert list(PropertyType.objects.values_list("name", "active", "position")) == [("Flat", True, 2)]
    assert submit(browser, "/admin/bookings/locationtype/add/", "locationtype_form", name="On site",
                  position="0").status_code == 302
    site = LocationType.objects.get()
    response = submit(browser, f"/admin/bookings/locationtype/{site.pk}/change/", "locationtype_form", active=None)
    assert response.status_code == 302 and LocationType.objects.get().active is False
    before = whole_state()
    response = submit(browser, "/admin/bookings/locationtype/add/", "locationtype_form", name="ON SITE")
    assert errors_of(response) == {"name": ["A location type with that name exists."]}
    assert whole_state() == before
