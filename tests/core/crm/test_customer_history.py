"""Customer changes write a history row and publish its event, in one place (core.crm.customer_log)."""

from __future__ import annotations

import pytest

from core import events
from core.actors import Channel
from core.crm import services
from core.crm.events import CustomerCreated, CustomerEvent, CustomerUpdated, PropertyAdded, PropertyUpdated
from core.crm.models import CustomerLog, PropertyType
from tests.core.support import assert_refused


@pytest.fixture
def customer_events(published):
    seen: list[CustomerEvent] = []
    events.subscribe(CustomerEvent, seen.append)

    def flushed() -> list[CustomerEvent]:
        published.all()  # runs what a commit would have run
        return seen

    yield flushed
    events.unsubscribe(CustomerEvent, seen.append)


def test_create_and_update_write_rows_with_their_events(staff_actor, customer_events):
    made = services.customer_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Ann", mobile="0412 345 001")
    services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL, customer_id=made.pk, name="Ann Lee",
                             mobile="+61412345001", automated_sms_paused=True)
    rows = list(CustomerLog.objects.filter(customer=made).values_list("action", "channel", "changes"))
    assert rows == [
        ("created", "graphql", {"name": ["", "Ann"], "mobile": ["", "+61412345001"]}),
        ("updated", "graphql", {"name": ["Ann", "Ann Lee"], "automated_sms_paused": [False, True]}),
    ]
    created, updated = customer_events()
    assert (type(created), type(updated)) == (CustomerCreated, CustomerUpdated)
    assert updated.changed == ("automated_sms_paused", "name")
    assert [e.event_id for e in (created, updated)] == list(CustomerLog.objects.order_by("id").values_list(
        "id", flat=True))
    assert (updated.actor_kind, updated.actor_user_id) == ("staff", staff_actor.user_id)


def test_an_update_that_changes_nothing_writes_nothing(customer, staff_actor, customer_events):
    services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL, customer_id=customer.pk,
                             name=customer.name, mobile=customer.mobile)
    assert not CustomerLog.objects.exists() and customer_events() == []


def test_a_refused_update_writes_no_row_and_no_event(customer, staff_actor, customer_events):
    assert_refused(lambda: services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                    customer_id=customer.pk, name="Ok", mobile="12"),
                   "invalid_phone", field="mobile")
    assert customer_events() == []


def test_a_flag_change_is_saved_although_a_legacy_mobile_is_not_a_number(customer, customer_actor):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE crm_customer SET mobile = 'call me' WHERE id = %s", [customer.pk])
    services.customer_set_automation(actor=customer_actor, channel=Channel.SMS, customer_id=customer.pk,
                                     sms_paused=True)
    customer.refresh_from_db()
    assert (customer.automated_sms_paused, customer.mobile) == (True, "call me")


def test_properties_are_logged_on_their_customer(customer, customer_actor, customer_events):
    prop = services.property_create(actor=customer_actor, channel=Channel.PORTAL, customer_id=customer.pk,
                                    address="1 Beach Rd")
    services.property_update(actor=customer_actor, channel=Channel.PORTAL, property_id=prop.pk, label="Home",
                             address="1 Beach Rd")
    assert list(customer.log.values_list("action", "data", "changes")) == [
        ("property_added", {"property_id": prop.pk}, {"address": [None, "1 Beach Rd"]}),
        ("property_updated", {"property_id": prop.pk}, {"label": ["", "Home"]}),
    ]
    added, updated = customer_events()
    assert (type(added), added.property_id, type(updated), updated.changed) == (
        PropertyAdded, prop.pk, PropertyUpdated, ("label",))


def test_property_types_are_renamed_by_staff_only(staff_actor, customer_actor):
    flat = services.property_type_create(actor=staff_actor, channel=Channel.ADMIN, name="Flat")
    services.property_type_create(actor=staff_actor, channel=Channel.ADMIN, name="House")
    services.property_type_update(actor=staff_actor, channel=Channel.ADMIN, property_type_id=flat.pk,
                                  name=" Apartment ")
    assert PropertyType.objects.get(pk=flat.pk).name == "Apartment"
    for kwargs, code in ((dict(name="house"), "duplicate"), (dict(name=""), "invalid"),
                         (dict(name="x", property_type_id=10**9), "not_found")):
        call = {"property_type_id": flat.pk, **kwargs}
        assert_refused(lambda call=call: services.property_type_update(actor=staff_actor, channel=Channel.ADMIN,
                                                                       **call), code)
    assert_refused(lambda: services.property_type_update(actor=customer_actor, channel=Channel.PORTAL,
                                                         property_type_id=flat.pk, name="Mine"), "forbidden")
