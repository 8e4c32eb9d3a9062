from __future__ import annotations

from decimal import Decimal

import pytest

from core.actors import Actor, Channel
from core.catalog import services
from core.catalog.models import Service
from tests.core.support import assert_refused


def test_staff_creates_and_updates_a_service(staff_actor):
    category = services.category_create(actor=staff_actor, channel=Channel.GRAPHQL, name=" Gardening ")
    made = services.service_create(actor=staff_actor, channel=Channel.GRAPHQL, name=" Mowing ", price="45.505",
                                   duration_minutes=90, tax_rate=Decimal("10"), category_id=category.pk)
    made = Service.objects.get(pk=made.pk)
    assert (made.name, made.price, made.duration_minutes, made.named_tax_rate.percent, made.category_id,
            made.active) == (
        "Mowing", Decimal("45.51"), 90, Decimal("10.00"), category.pk, True)
    services.service_update(actor=staff_actor, channel=Channel.GRAPHQL, service_id=made.pk, active=False,
                            price=Decimal("50"))
    made.refresh_from_db()
    assert (made.active, made.price) == (False, Decimal("50.00"))


@pytest.mark.parametrize(("values", "code", "field"), [
    (dict(name=""), "invalid", "name"),
    (dict(name="n" * 121), "invalid", "name"),
    (dict(price=Decimal("-0.01")), "out_of_range", "price"),
    (dict(price="free"), "invalid", "price"),
    (dict(price=Decimal("NaN")), "out_of_range", "price"),
    (dict(tax_rate=Decimal("100.5")), "out_of_range", "taxRate"),
    (dict(duration_minutes=4), "out_of_range", "durationMinutes"),
    (dict(duration_minutes=24 * 60 + 1), "out_of_range", "durationMinutes"),
    (dict(description="d" * 5001), "too_long", "description"),
    (dict(category_id=10**9), "not_found", "categoryId"),
])
def test_bad_service_input_is_refused(values, code, field, staff_actor):
    values = {"name": "Mowing", "price": Decimal("45"), **values}
    assert_refused(lambda: services.service_create(actor=staff_actor, channel=Channel.GRAPHQL, **values), code,
                   field=field)


def test_only_staff_manage_the_catalogue(customer_actor, fieldworker_actor, staff_actor):
    made = services.service_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Mowing", price=Decimal("45"))
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous(), Actor.system()):
        assert_refused(lambda actor=actor: services.service_create(actor=actor, channel=Channel.GRAPHQL, name="x",
                                                                   price=Decimal("1")), "forbidden")
        assert_refused(lambda actor=actor: services.service_update(actor=actor, channel=Channel.GRAPHQL,
                                                                   service_id=made.pk, price=Decimal("0")),
                       "forbidden")
        assert_refused(lambda actor=actor: services.category_create(actor=actor, channel=Channel.GRAPHQL, name="x"),
                       "forbidden")


def test_update_refusals(staff_actor):
    made = services.service_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Mowing", price=Decimal("45"))
    assert_refused(lambda: services.service_update(actor=staff_actor, channel=Channel.GRAPHQL, service_id=made.pk,
                                                   id=5), "invalid", field="id")
    assert_refused(lambda: services.service_update(actor=staff_actor, channel=Channel.GRAPHQL, service_id=10**9,
                                                   price=Decimal("1")), "not_found")
    assert_refused(lambda: services.service_update(actor=staff_actor, channel=Channel.GRAPHQL, service_id=made.pk,
                                                   price=Decimal("-1")), "out_of_range", field="price")


def test_category_names_are_unique_ignoring_case(staff_actor):
    services.category_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Cleaning")
    assert_refused(lambda: services.category_create(actor=staff_actor, channel=Channel.GRAPHQL, name="cleaning"),
                   "duplicate", field="name")
    assert_refused(lambda: services.category_create(actor=staff_actor, channel=Channel.GRAPHQL, name="  "),
                   "invalid", field="name")


def test_a_category_is_renamed_or_moved(staff_actor, customer_actor):
    gardening = services.category_create(actor=staff_actor, channel=Channel.ADMIN, name="Gardening")
    services.category_create(actor=staff_actor, channel=Channel.ADMIN, name="Cleaning")
    services.category_update(actor=staff_actor, channel=Channel.ADMIN, category_id=gardening.pk, name=" Garden ",
                             position=3)
    gardening.refresh_from_db()
    assert (gardening.name, gardening.position) == ("Garden", 3)
    for kwargs, code in ((dict(name="cleaning"), "duplicate"), (dict(name=" "), "invalid"),
                         (dict(position=-1), "out_of_range"), (dict(category_id=10**9), "not_found")):
        call = {"category_id": gardening.pk, **kwargs}
        assert_refused(lambda call=call: services.category_update(actor=staff_actor, channel=Channel.ADMIN, **call),
                       code)
    assert_refused(lambda: services.category_update(actor=customer_actor, channel=Channel.PORTAL,
                                                    category_id=gardening.pk, name="Mine"), "forbidden")
