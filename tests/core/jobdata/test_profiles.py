"""Profile customisation: the company decides which built-in and custom fields the customer and
fieldworker profiles show and require, and the profile services keep to it."""

from __future__ import annotations

from core.actors import Channel
from core.crm import services as crm_services
from core.jobdata import profiles, services
from core.jobdata.models import JobDataLog
from core.workforce import services as workforce_services
from tests.core.support import assert_refused

G = Channel.GRAPHQL


def setting(staff_actor, profile, *entries):
    return profiles.profile_fields_set(actor=staff_actor, channel=G, profile=profile, entries=entries)


def test_defaults_then_settings_with_a_log_row(staff_actor, published):
    birthday = services.field_create(actor=staff_actor, channel=G, target="customer", label="Birthday",
                                     field_type="date", visible_to_customer=True)
    assert [(e.builtin or e.field.key, e.shown, e.required) for e in profiles.layout("customer")] == [
        ("email", True, False), ("mobile", True, False), ("birthday", True, False)]
    published.clear()
    layout = setting(staff_actor, "customer", {"builtin": "mobile", "shown": True, "required": True},
                     {"field_id": birthday.pk, "shown": False, "required": False})
    assert [(e.builtin or e.field.key, e.shown, e.required) for e in layout] == [
        ("email", True, False), ("mobile", True, True), ("birthday", False, False)]
    row = JobDataLog.objects.get(action="profile_fields_set")
    assert row.changes == {"mobile": [None, [True, True]], "birthday": [None, [False, False]]}
    assert published.names == ["ProfileFieldsChanged"]
    setting(staff_actor, "customer", {"builtin": "mobile", "shown": True, "required": True})
    assert JobDataLog.objects.filter(action="profile_fields_set").count() == 1  # no change, no row


def test_bad_settings_are_refused(staff_actor, customer_actor, published):
    worker_field = services.field_create(actor=staff_actor, channel=G, target="fieldworker", label="Shirt",
                                         field_type="short_text")
    for entries, code, field in (
        ([{"builtin": "mobile", "shown": False, "required": True}], "required_hidden", "fields.0.required"),
        ([{"builtin": "password"}], "unknown_field", "fields.0.builtin"),
        ([{"field_id": worker_field.pk}], "not_found", "fields.0.fieldId"),
        ([{"builtin": "email", "field_id": worker_field.pk}], "invalid", "fields.0"),
        ([{"builtin": "email"}, {"builtin": "email"}], "duplicate", "fields.1"),
    ):
        assert_refused(lambda e=entries: setting(staff_actor, "customer", *e), code, field=field,
                       published=published)
    assert_refused(lambda: setting(customer_actor, "customer", {"builtin": "email"}), "forbidden",
                   published=published)
    assert_refused(lambda: setting(staff_actor, "supplier", {"builtin": "email"}), "invalid_profile",
                   published=published)


def test_customer_profile_services_keep_the_settings(staff_actor, customer, customer_actor, published):
    setting(staff_actor, "customer", {"builtin": "mobile", "shown": True, "required": True},
            {"builtin": "email", "shown": False, "required": False})
    assert_refused(lambda: crm_services.customer_update(actor=customer_actor, channel=G, customer_id=customer.pk,
                                                        mobile=""), "required", field="mobile", published=published)
    assert_refused(lambda: crm_services.customer_update(actor=customer_actor, channel=G, customer_id=customer.pk,
                                                        email="new@example.com"), "not_shown", field="email",
                   published=published)
    crm_services.customer_update(actor=staff_actor, channel=G, customer_id=customer.pk, email="staff@example.com")
    assert_refused(lambda: crm_services.customer_create(actor=staff_actor, channel=G, name="No phone"), "required",
                   field="mobile", published=published)
    crm_services.customer_create(actor=staff_actor, channel=G, name="With phone", mobile="+61412000111")


def test_fieldworker_profile_services_keep_the_settings(staff_actor, fieldworker, fieldworker_actor, published):
    setting(staff_actor, "fieldworker", {"builtin": "industry_label", "shown": True, "required": True})
    assert_refused(lambda: workforce_services.fieldworker_create(actor=staff_actor, channel=G, name="New",
                                                                 email="new@example.com"),
                   "required", field="industryLabel", published=published)
    workforce_services.fieldworker_create(actor=staff_actor, channel=G, name="New", email="new@example.com",
                                          industry_label="Plumber")
    assert_refused(lambda: workforce_services.fieldworker_update(actor=staff_actor, channel=G,
                                                                 fieldworker_id=fieldworker.pk, industry_label=""),
                   "required", field="industryLabel", published=published)
    workforce_services.fieldworker_update(actor=fieldworker_actor, channel=G, fieldworker_id=fieldworker.pk,
                                          mobile="+61412000222")  # a legacy empty label blocks nothing else


def test_custom_fields_required_or_hidden_on_the_profile(staff_actor, customer, customer_actor, published):
    birthday = services.field_create(actor=staff_actor, channel=G, target="customer", label="Birthday",
                                     field_type="date", visible_to_customer=True)
    pet = services.field_create(actor=staff_actor, channel=G, target="customer", label="Pet name",
                                field_type="short_text", visible_to_customer=True)
    setting(staff_actor, "customer", {"field_id": birthday.pk, "shown": True, "required": True},
            {"field_id": pet.pk, "shown": False})
    put = lambda actor, **values: services.values_set(actor=actor, channel=G, target="customer",  # noqa: E731
                                                      object_id=customer.pk, values=values)
    assert_refused(lambda: put(staff_actor, pet_name="Rex"), "required", field="values.birthday", published=published)
    assert_refused(lambda: put(customer_actor, birthday="1990-01-01", pet_name="Rex"), "unknown_field",
                   field="values.pet_name", published=published)
    put(customer_actor, birthday="1990-01-01")
    put(staff_actor, pet_name="Rex")  # staff still fill hidden fields
