from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.crm import services
from core.crm.models import Customer, Property
from tests import factories
from tests.core.support import assert_refused


def test_staff_creates_a_customer_with_clean_values(staff_actor):
    made = services.customer_create(actor=staff_actor, channel=Channel.GRAPHQL, name="  Ann Lee ",
                                    email=" Ann@Example.COM ", mobile="0412 345 678", notes="VIP")
    made = Customer.objects.get(pk=made.pk)
    assert (made.name, made.email, made.mobile, made.notes) == ("Ann Lee", "ann@example.com", "+61412345678", "VIP")


@pytest.mark.parametrize(("values", "code", "field"), [
    (dict(name=""), "required", "name"),
    (dict(name="   "), "required", "name"),
    (dict(name="n" * 151), "too_long", "name"),
    (dict(email="not-an-email"), "invalid_email", "email"),
    (dict(mobile="12"), "invalid_phone", "mobile"),
    (dict(mobile="call me maybe"), "invalid_phone", "mobile"),
    (dict(notes="x" * 10_001), "too_long", "notes"),
    (dict(notes="x" * 10 * 1024 * 1024), "too_long", "notes"),
])
def test_bad_customer_input_is_refused(values, code, field, staff_actor):
    values = {"name": "Ann", **values}
    assert_refused(lambda: services.customer_create(actor=staff_actor, channel=Channel.GRAPHQL, **values), code,
                   field=field)


def test_only_staff_create_customers(customer_actor, fieldworker_actor):
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous(), Actor.system()):
        assert_refused(lambda actor=actor: services.customer_create(actor=actor, channel=Channel.GRAPHQL,
                                                                    name="Eve"), "forbidden")


def test_a_customer_updates_their_own_contact_details_only(customer, customer_actor):
    services.customer_update(actor=customer_actor, channel=Channel.PORTAL, customer_id=customer.pk,
                             mobile="+61 400 111 222", automated_sms_paused=True)
    customer.refresh_from_db()
    assert (customer.mobile, customer.automated_sms_paused) == ("+61400111222", True)
    assert_refused(lambda: services.customer_update(actor=customer_actor, channel=Channel.PORTAL,
                                                    customer_id=customer.pk, notes="I am great"), "forbidden")
    assert_refused(lambda: services.customer_update(actor=customer_actor, channel=Channel.PORTAL,
                                                    customer_id=customer.pk, name="Someone else"), "forbidden")


def test_strangers_cannot_update_a_customer(customer, fieldworker_actor):
    other = Actor.from_user(factories.customer(with_login=True).user)
    for actor in (other, fieldworker_actor, Actor.anonymous()):
        assert_refused(lambda actor=actor: services.customer_update(actor=actor, channel=Channel.GRAPHQL,
                                                                    customer_id=customer.pk, email="x@example.com"),
                       "not_found")


def test_customer_update_refusals(customer, staff_actor):
    assert_refused(lambda: services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    customer_id=customer.pk, user_id=1), "invalid", field="user_id")
    assert_refused(lambda: services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    customer_id=customer.pk, email="bad"), "invalid_email")
    assert_refused(lambda: services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    customer_id=10**9, name="x"), "not_found")


def test_set_automation(customer, staff_actor):
    services.customer_set_automation(actor=staff_actor, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                     email_paused=True)
    customer.refresh_from_db()
    assert (customer.automated_email_paused, customer.automated_sms_paused) == (True, False)


# --- properties ------------------------------------------------------------------------------


def test_customer_adds_their_own_property(customer, customer_actor):
    prop = services.property_create(actor=customer_actor, channel=Channel.PORTAL, customer_id=customer.pk,
                                    address=" 1 Beach Rd ", latitude=-33.9, longitude=151.2,
                                    time_zone="Australia/Sydney")
    prop = Property.objects.get(pk=prop.pk)
    assert (prop.customer_id, prop.address, prop.latitude, prop.longitude, prop.time_zone) == (
        customer.pk, "1 Beach Rd", -33.9, 151.2, "Australia/Sydney")


@pytest.mark.parametrize(("values", "code", "field"), [
    (dict(address=""), "required", "address"),
    (dict(address="a" * 256), "too_long", "address"),
    (dict(postcode="1" * 13), "too_long", "postcode"),
    (dict(latitude=91, longitude=0), "out_of_range", "latitude"),
    (dict(latitude=0, longitude=-181), "out_of_range", "longitude"),
    (dict(latitude=float("nan"), longitude=0), "out_of_range", "latitude"),
    (dict(latitude=-33.9), "invalid", "latitude"),
    (dict(longitude=151.2), "invalid", "latitude"),
    (dict(time_zone="Mars/Base"), "invalid_time_zone", "timeZone"),
    (dict(property_type_id=10**9), "not_found", "propertyType"),
])
def test_bad_property_input_is_refused(values, code, field, customer, staff_actor):
    values = {"address": "1 Beach Rd", **values}
    assert_refused(lambda: services.property_create(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    customer_id=customer.pk, **values), code, field=field)


def test_nobody_adds_a_property_to_someone_elses_customer(customer, fieldworker_actor):
    other = Actor.from_user(factories.customer(with_login=True).user)
    for actor in (other, fieldworker_actor, Actor.anonymous()):
        assert_refused(lambda actor=actor: services.property_create(actor=actor, channel=Channel.GRAPHQL,
                                                                    customer_id=customer.pk, address="x"),
                       "not_found", field="customerId")


def test_property_update(customer, customer_actor, staff_actor):
    prop = factories.property_for(customer)
    services.property_update(actor=customer_actor, channel=Channel.PORTAL, property_id=prop.pk, label="Home")
    assert Property.objects.get(pk=prop.pk).label == "Home"
    other = Actor.from_user(factories.customer(with_login=True).user)
    assert_refused(lambda: services.property_update(actor=other, channel=Channel.PORTAL, property_id=prop.pk,
                                                    label="Mine now"), "not_found")
    assert_refused(lambda: services.property_update(actor=staff_actor, channel=Channel.GRAPHQL, property_id=prop.pk,
                                                    customer_id=1), "invalid")
    assert_refused(lambda: services.property_update(actor=staff_actor, channel=Channel.GRAPHQL, property_id=prop.pk,
                                                    latitude=None), "invalid", field="latitude")
    services.property_update(actor=staff_actor, channel=Channel.GRAPHQL, property_id=prop.pk, latitude=None,
                             longitude=None)
    assert Property.objects.get(pk=prop.pk).latitude is None


def test_property_types(staff_actor, customer_actor):
    made = services.property_type_create(actor=staff_actor, channel=Channel.GRAPHQL, name=" Apartment ")
    assert made.name == "Apartment"
    assert services.property_type_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Apartment").pk == made.pk
    assert_refused(lambda: services.property_type_create(actor=staff_actor, channel=Channel.GRAPHQL, name=""),
                   "invalid", field="name")
    assert_refused(lambda: services.property_type_create(actor=customer_actor, channel=Channel.GRAPHQL,
                                                         name="Castle"), "forbidden")
