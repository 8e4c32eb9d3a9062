from __future__ import annotations

import pytest

from core.accounts.models import Role
from core.actors import Actor, Channel
from core.workforce import services
from core.workforce.models import Fieldworker, FieldworkerStatus
from tests import factories
from tests.core.support import assert_refused


def test_staff_creates_a_fieldworker_with_a_login(staff_actor):
    svc = factories.service()
    made = services.fieldworker_create(actor=staff_actor, channel=Channel.GRAPHQL, name=" Fay Fixit ",
                                       email=" Fay@Example.com ", mobile="0412 000 111", service_ids=[svc.pk])
    made = Fieldworker.objects.get(pk=made.pk)
    assert (made.name, made.mobile, made.status, made.user.email, made.user.role) == (
        "Fay Fixit", "+61412000111", FieldworkerStatus.ACTIVE, "fay@example.com", Role.FIELDWORKER)
    assert list(made.services.values_list("pk", flat=True)) == [svc.pk]
    assert Actor.from_user(made.user) == Actor.for_fieldworker(made)


@pytest.mark.parametrize(("values", "code", "field"), [
    (dict(email="nope"), "invalid_email", "email"),
    (dict(name=""), "invalid", "name"),
    (dict(name="n" * 151), "invalid", "name"),
    (dict(mobile="123"), "invalid_phone", "mobile"),
    (dict(industry_label="x" * 61), "too_long", "industryLabel"),
    (dict(service_ids=[10**9]), "not_found", "serviceIds"),
])
def test_bad_fieldworker_input_is_refused(values, code, field, staff_actor):
    values = {"name": "Fay", "email": "fay@example.com", **values}
    assert_refused(lambda: services.fieldworker_create(actor=staff_actor, channel=Channel.GRAPHQL, **values), code,
                   field=field)


def test_an_email_in_use_is_refused(staff_actor, staff):
    assert_refused(lambda: services.fieldworker_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Dup",
                                                       email=staff.email.upper()), "duplicate", field="email")


def test_only_staff_create_fieldworkers(customer_actor, fieldworker_actor):
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous(), Actor.system()):
        assert_refused(lambda actor=actor: services.fieldworker_create(actor=actor, channel=Channel.GRAPHQL,
                                                                       name="x", email="x@example.com"), "forbidden")


def test_a_fieldworker_may_change_only_their_own_mobile(fieldworker, fieldworker_actor):
    services.fieldworker_update(actor=fieldworker_actor, channel=Channel.TELEGRAM, fieldworker_id=fieldworker.pk,
                                mobile="+61 412 999 888")
    assert Fieldworker.objects.get(pk=fieldworker.pk).mobile == "+61412999888"
    assert_refused(lambda: services.fieldworker_update(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                                       fieldworker_id=fieldworker.pk, status="active"), "forbidden")
    other = factories.fieldworker()
    assert_refused(lambda: services.fieldworker_update(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                                       fieldworker_id=other.pk, mobile="0412 111 222"), "not_found")


def test_staff_update_and_refusals(fieldworker, staff_actor, customer_actor):
    services.fieldworker_update(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                status=FieldworkerStatus.BLOCKED, service_ids=[])
    assert Fieldworker.objects.get(pk=fieldworker.pk).status == FieldworkerStatus.BLOCKED
    for changes, code in ((dict(status="retired"), "invalid"), (dict(user_id=1), "invalid"),
                          (dict(mobile="x"), "invalid_phone"), (dict(service_ids=[10**9]), "not_found")):
        assert_refused(lambda changes=changes: services.fieldworker_update(
            actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk, **changes), code)
    assert_refused(lambda: services.fieldworker_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                       fieldworker_id=10**9, name="x"), "not_found")
    assert_refused(lambda: services.fieldworker_update(actor=customer_actor, channel=Channel.PORTAL,
                                                       fieldworker_id=fieldworker.pk, name="x"), "not_found")
