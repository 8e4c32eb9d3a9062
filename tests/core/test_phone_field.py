"""Phone columns hold E.164 whatever path writes them (core.phones.PhoneField, decision 0041)."""

from __future__ import annotations

import importlib
import logging

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.company.models import Company
from core.company.selectors import get_company
from core.crm.models import Customer
from core.errors import ValidationFailed
from core.phones import PhoneField
from core.workforce.models import Fieldworker
from tests import factories
from tests.core.support import db_state

pytestmark = pytest.mark.django_db


def stored(customer: Customer) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM crm_customer WHERE id = %s", [customer.pk])
        return cursor.fetchone()[0]


def test_every_phone_column_of_the_domain_is_a_phone_field():
    columns = [(model._meta.label, field.name)
               for config in apps.get_app_configs() if config.name.startswith("core.")
               for model in config.get_models() for field in model._meta.concrete_fields
               if field.name in ("mobile", "phone") or field.name.endswith(("_mobile", "_phone"))]
    assert sorted(columns) == [("company.Company", "phone"), ("company.TradingName", "phone"), ("crm.Customer", "mobile"),
                               ("crm.Dependent", "mobile"),
                               ("crm.Inquiry", "prospect_mobile"), ("workforce.Fieldworker", "mobile")]
    assert all(isinstance(apps.get_model(label)._meta.get_field(name), PhoneField) for label, name in columns)


def test_save_create_update_and_bulk_create_store_e164():
    made = Customer.objects.create(name="Ann", mobile="0412 345 001")
    assert made.mobile == stored(made) == "+61412345001"
    made.mobile = "+61 412 345 002"
    made.save()
    assert made.mobile == stored(made) == "+61412345002"
    Customer.objects.filter(pk=made.pk).update(mobile="(04) 1234 5003")
    assert stored(made) == "+61412345003"
    [bulk] = Customer.objects.bulk_create([Customer(name="Bo", mobile="0412 345 004")])
    assert stored(Customer.objects.get(name="Bo")) == "+61412345004" and bulk.mobile == "+61412345004"
    Customer.objects.filter(pk=made.pk).update(mobile="")
    assert stored(made) == ""


@pytest.mark.parametrize("write", [
    lambda: Customer.objects.create(name="Eve", mobile="call me maybe"),
    lambda: Customer.objects.filter(name="Ann").update(mobile="12"),
    lambda: Customer.objects.bulk_create([Customer(name="Eve", mobile="+999 1234")]),
    lambda: Fieldworker.objects.filter().update(mobile="nope"),
    lambda: Company.objects.filter(pk=1).update(phone="000"),
])
def test_no_path_stores_something_that_is_not_a_number(write):
    factories.customer(name="Ann")
    factories.fieldworker()
    get_company()
    before = db_state()
    with pytest.raises(ValidationFailed) as caught, transaction.atomic():  # as a service's transaction
        write()
    assert caught.value.code == "invalid_phone" and caught.value.field in ("mobile", "phone")
    assert db_state() == before


def test_full_clean_normalises_and_refuses():
    customer = Customer(name="Ann", mobile=" 0412 345 001 ")
    customer.full_clean()
    assert customer.mobile == "+61412345001"
    with pytest.raises(ValidationError) as caught:
        Customer(name="Ann", mobile="call me maybe").full_clean()
    assert [error.code for error in caught.value.error_dict["mobile"]] == ["invalid_phone"]


def test_lookups_by_something_that_is_not_a_number_simply_match_nothing():
    factories.customer(mobile="+61412345001")
    assert not Customer.objects.filter(mobile="TWILIO").exists()
    assert Customer.objects.filter(mobile="+61412345001").exists()


def test_the_data_migration_rewrites_what_it_can_and_logs_the_rest(caplog):
    ann, bo, cy = (factories.customer(name=name) for name in ("Ann", "Bo", "Cy"))
    with connection.cursor() as cursor:  # rows stored before the field existed, past its checks
        for customer, raw in ((ann, "0412 345 009"), (bo, "call me"), (cy, "+61412345010")):
            cursor.execute("UPDATE crm_customer SET mobile = %s WHERE id = %s", [raw, customer.pk])
    migration = importlib.import_module("core.crm.migrations.0005_customer_mobile_e164")
    with caplog.at_level(logging.INFO, logger=migration.__name__):
        migration.normalise_mobiles(apps, None)
    assert [stored(c) for c in (ann, bo, cy)] == ["+61412345009", "call me", "+61412345010"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"crm.Customer {bo.pk}: mobile 'call me' is not a phone number; left as it is"]
    assert "1 rewritten as E.164, 1 left as they were" in caplog.text
