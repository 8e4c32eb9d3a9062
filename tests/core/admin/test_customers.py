"""Customers and properties in the Django admin: every save goes through core.crm.services."""

from __future__ import annotations

import pytest

from core.company.selectors import get_company
from core.crm.events import CustomerCreated, CustomerUpdated, PropertyUpdated
from core.crm.models import Customer, CustomerLog, Property
from tests import factories

from .support import errors_of, inline_rows, submit, whole_state

pytestmark = pytest.mark.django_db

FORM = "customer_form"


def change_url(customer: Customer) -> str:
    return f"/admin/crm/customer/{customer.pk}/change/"


def test_a_mobile_typed_in_the_admin_is_stored_as_e164_with_a_history_row_and_its_event(browser, root, seen):
    customer = factories.customer(name="Ann Lee", mobile="+61400000099")
    response = submit(browser, change_url(customer), FORM, mobile="0412 345 001")
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).mobile == "+61412345001"
    row = CustomerLog.objects.get(customer=customer)
    assert (row.action, row.channel, row.actor_user, row.changes) == (
        "updated", "admin", root, {"mobile": ["+61400000099", "+61412345001"]})
    [event] = seen.of(CustomerUpdated)
    assert (event.customer_id, event.event_id, event.channel, event.changed) == (
        customer.pk, row.pk, "admin", ("mobile",))


def test_a_bad_phone_shows_on_the_form_and_nothing_changes(browser, seen):
    customer = factories.customer(name="Ann Lee")
    get_company()
    before = whole_state()
    response = submit(browser, change_url(customer), FORM, mobile="call me maybe", name="Someone Else")
    assert errors_of(response) == {"mobile": ["That is not a phone number."]}
    assert whole_state() == before
    assert seen.of(CustomerUpdated) == []


def test_a_rule_only_the_service_has_shows_on_its_field(browser):
    """The model lets notes be any length; customer_update allows 10,000 characters."""
    customer = factories.customer()
    get_company()
    before = whole_state()
    response = submit(browser, change_url(customer), FORM, notes="x" * 10_001)
    assert errors_of(response) == {"notes": ["At most 10,000 characters."]}
    assert whole_state() == before


def test_saving_an_unchanged_form_writes_no_history(browser):
    customer = factories.customer()
    assert submit(browser, change_url(customer), FORM).status_code == 302
    assert not CustomerLog.objects.exists()


def test_adding_a_customer_goes_through_customer_create(browser, root, seen):
    response = submit(browser, "/admin/crm/customer/add/", FORM, name=" Bo Diaz ", email="BO@example.com",
                      mobile="0412 345 002", automated_sms_paused="on")
    assert response.status_code == 302
    made = Customer.objects.get()
    assert (made.name, made.email, made.mobile, made.automated_sms_paused) == (
        "Bo Diaz", "bo@example.com", "+61412345002", True)
    assert list(made.log.values_list("action", "channel")) == [("created", "admin"), ("updated", "admin")]
    assert [type(e) for e in seen.of(CustomerCreated) + seen.of(CustomerUpdated)] == [CustomerCreated,
                                                                                        CustomerUpdated]


def test_the_preferred_channel_is_changed_through_customer_update_with_a_history_row(browser, root, seen):
    customer = factories.customer(name="Ann Lee")
    response = submit(browser, change_url(customer), FORM, preferred_channel="email")
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).preferred_channel == "email"
    row = CustomerLog.objects.get(customer=customer)
    assert (row.action, row.channel, row.actor_user, row.changes) == (
        "updated", "admin", root, {"preferred_channel": ["", "email"]})
    [event] = seen.of(CustomerUpdated)
    assert (event.event_id, event.changed) == (row.pk, ("preferred_channel",))


def test_a_customer_added_with_a_preferred_channel_has_it_from_the_created_row(browser):
    response = submit(browser, "/admin/crm/customer/add/", FORM, name="Bo Diaz", mobile="0412 345 003",
                      preferred_channel="sms")
    assert response.status_code == 302
    made = Customer.objects.get()
    assert made.preferred_channel == "sms"
    assert list(made.log.values_list("action", "changes")) == [
        ("created", {"name": ["", "Bo Diaz"], "mobile": ["", "+61412345003"], "preferred_channel": ["", "sms"]})]


def test_a_preferred_channel_that_is_not_one_shows_on_the_form_and_nothing_changes(browser):
    customer = factories.customer(name="Ann Lee")
    get_company()
    before = whole_state()
    response = submit(browser, change_url(customer), FORM, preferred_channel="fax", name="Someone Else")
    assert list(errors_of(response)) == ["preferred_channel"]
    assert whole_state() == before


def test_the_list_finds_a_number_as_typed_and_counts_bookings(browser):
    ann = factories.customer(name="Ann Lee", mobile="+61412345001")
    factories.customer(name="Bo Diaz", mobile="+61412345002")
    factories.booking(cust=ann)
    factories.booking(cust=ann)
    page = browser.get("/admin/crm/customer/", {"q": "0412 345 001"})
    assert page.status_code == 200
    assert [c.name for c in page.context["cl"].result_list] == ["Ann Lee"]
    assert page.context["cl"].result_list[0].bookings_count == 2
    by_mail = browser.get("/admin/crm/customer/", {"q": ann.email})
    assert [c.name for c in by_mail.context["cl"].result_list] == ["Ann Lee"]


def test_the_change_page_shows_the_history_newest_first_read_only(browser):
    customer = factories.customer()
    for name in ("First", "Second"):
        assert submit(browser, change_url(customer), FORM, name=name).status_code == 302
    assert inline_rows(browser.get(change_url(customer)), CustomerLog) == [
        {"name": ["First", "Second"]}, {"name": [customer.name, "First"]}]


def test_a_property_change_goes_through_property_update(browser, seen):
    customer = factories.customer()
    prop = factories.property_for(customer)
    response = submit(browser, f"/admin/crm/property/{prop.pk}/change/", "property_form", label="Beach house",
                      time_zone="Mars/Base")
    assert errors_of(response) == {"time_zone": ["Unknown time zone."]}
    assert Property.objects.get(pk=prop.pk).label == ""
    response = submit(browser, f"/admin/crm/property/{prop.pk}/change/", "property_form", label="Beach house")
    assert response.status_code == 302
    assert Property.objects.get(pk=prop.pk).label == "Beach house"
    [event] = seen.of(PropertyUpdated)
    assert (event.customer_id, event.property_id, event.changed) == (customer.pk, prop.pk, ("label",))


def test_a_refusal_between_the_check_and_the_save_saves_nothing_and_says_so(browser, root):
    """The form's check passed, then the service said no at save time (another change came in between):
    the page returns to the form with the reason and nothing of the request is kept."""
    from django.contrib import admin
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from core.crm.admin import CustomerAdmin
    from core.errors import DomainError

    from .support import form_data

    class ChangedMeanwhile(CustomerAdmin):
        """The first write (the form's check) goes through; the second (the save) is refused."""

        calls = 0

        def write(self, request, **kwargs):
            type(self).calls += 1
            if type(self).calls == 2:
                raise DomainError("changed_meanwhile", "The customer was changed meanwhile.")
            return super().write(request, **kwargs)

    customer = factories.customer(name="Ann")
    get_company()
    data = form_data(browser.get(change_url(customer)).content.decode(), FORM)
    request = RequestFactory().post(change_url(customer), {**data, "name": "Not kept"})
    request.user, request.session = root, SessionStore()
    request._dont_enforce_csrf_checks = True  # as the test client does
    request._messages = FallbackStorage(request)
    before = whole_state()
    response = ChangedMeanwhile(Customer, admin.site).change_view(request, str(customer.pk))
    assert (response.status_code, response["Location"]) == (302, change_url(customer))
    assert [str(m) for m in get_messages(request)] == ["Nothing was saved: The customer was changed meanwhile."]
    assert whole_state() == before and ChangedMeanwhile.calls == 2
