from __future__ import annotations

from decimal import Decimal

import pytest

from core.actors import Actor, Channel
from core.company import services
from core.company.models import Company, FeeType
from core.company.selectors import get_company
from tests.core.support import assert_refused


def update(actor, **changes):
    return services.company_update(actor=actor, channel=Channel.GRAPHQL, **changes)


def test_get_company_is_a_singleton(db):
    first, second = get_company(), get_company()
    assert first.pk == second.pk == 1
    assert Company.objects.count() == 1


def test_staff_updates_settings(staff_actor):
    company = update(staff_actor, name="Sparkle Co", time_zone="Australia/Sydney",
                     cancellation_fee_type=FeeType.PERCENT, cancellation_fee_amount="12.5",
                     cancellation_notice_hours=48, customers_may_cancel=False)
    company = Company.objects.get(pk=company.pk)
    assert (company.name, company.time_zone, company.cancellation_fee_type, company.cancellation_fee_amount,
            company.cancellation_notice_hours, company.customers_may_cancel) == (
        "Sparkle Co", "Australia/Sydney", "percent", Decimal("12.50"), 48, False)


@pytest.mark.parametrize("kind", ["customer", "fieldworker", "system", "anonymous"])
def test_only_staff_update(kind, customer_actor, fieldworker_actor):
    actor = {"customer": customer_actor, "fieldworker": fieldworker_actor, "system": Actor.system(),
             "anonymous": Actor.anonymous()}[kind]
    assert_refused(lambda: update(actor, name="Hijacked"), "forbidden")


@pytest.mark.parametrize(("changes", "field"), [
    (dict(time_zone="Mars/Base"), "timeZone"),
    (dict(time_zone="America"), "timeZone"),
    (dict(cancellation_fee_amount="-1"), "cancellationFeeAmount"),
    (dict(cancellation_fee_amount="lots"), "cancellationFeeAmount"),
    (dict(cancellation_fee_type=FeeType.PERCENT, cancellation_fee_amount="101"), "cancellationFeeAmount"),
    (dict(cancellation_fee_type="sometimes"), "cancellationFeeType"),
    (dict(cancellation_notice_hours=-5), "cancellationNoticeHours"),
    (dict(name=""), "name"),
    (dict(name="n" * 201), "name"),
    (dict(email="not-an-email"), "email"),
    (dict(currency="EURO"), "currency"),
    (dict(booking_number_start=1), "booking_number_start"),
    (dict(id=2), "id"),
])
def test_bad_settings_are_refused(changes, field, staff_actor):
    assert_refused(lambda: update(staff_actor, **changes), "invalid", field=field)


def test_next_number_is_sequential(db):
    from django.db import transaction

    with transaction.atomic():
        numbers = [services.next_number("test-seq", 500) for _ in range(3)]
    assert numbers == [500, 501, 502]
    assert services.next_number("other-seq", 1) == 1


def test_within_read_once_the_company_is_read_once_and_an_update_is_seen(staff_actor, django_assert_num_queries):
    from core.company.selectors import read_once

    get_company()
    with read_once():
        with django_assert_num_queries(1):
            first, again = get_company(), get_company()
        assert first is again
        update(staff_actor, name="Renamed Co")
        assert get_company().name == "Renamed Co"  # the update cleared the scope
    with django_assert_num_queries(2):  # outside the scope every call reads
        get_company(), get_company()


def test_the_phone_is_stored_as_e164_and_a_bad_one_is_refused_as_the_other_services_do(staff_actor):
    assert update(staff_actor, phone="(02) 9999 0000").phone == "+61299990000"
    assert get_company().phone == "+61299990000"
    assert_refused(lambda: update(staff_actor, phone="call us"), "invalid_phone", field="phone")
