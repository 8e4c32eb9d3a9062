"""Staff accounts: made and changed by administrators only, within the rules of the roles."""

from __future__ import annotations

import pytest

from core.accounts import services
from core.accounts.models import Role, User
from core.actors import Actor, Channel
from tests import factories
from tests.core.support import assert_refused


@pytest.fixture
def admin_actor(db) -> Actor:
    return Actor.from_user(factories.staff_user(role=Role.ADMIN))


def test_an_admin_makes_and_changes_a_staff_account(admin_actor):
    made = services.user_create(actor=admin_actor, channel=Channel.ADMIN, email=" Dee@Example.com ", full_name="Dee",
                                password="long enough pass 42", is_staff=True)
    made = User.objects.get(pk=made.pk)
    assert (made.email, made.role, made.is_staff, made.check_password("long enough pass 42")) == (
        "dee@example.com", Role.STAFF, True, True)
    services.user_update(actor=admin_actor, channel=Channel.ADMIN, user_id=made.pk, role=Role.ADMIN, is_active=False)
    assert (User.objects.get(pk=made.pk).role, User.objects.get(pk=made.pk).is_active) == (Role.ADMIN, False)
    services.user_set_password(actor=admin_actor, channel=Channel.ADMIN, user_id=made.pk, password=None)
    assert not User.objects.get(pk=made.pk).has_usable_password()


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    (dict(email="nope"), "invalid_email", "email"),
    (dict(role=Role.FIELDWORKER), "invalid_role", "role"),
    (dict(password="1234"), "weak_password", "password"),
    (dict(email="TAKEN"), "duplicate", "email"),
    (dict(is_superuser=True), "forbidden", None),
])
def test_bad_accounts_are_refused(admin_actor, kwargs, code, field):
    taken = factories.staff_user().email
    values = {"email": "dee@example.com", **kwargs}
    if values["email"] == "TAKEN":
        values["email"] = taken.upper()
    assert_refused(lambda: services.user_create(actor=admin_actor, channel=Channel.ADMIN, **values), code,
                   field=field)


def test_only_admins_manage_users_and_nobody_locks_themselves_out(admin_actor, staff_actor, staff):
    assert_refused(lambda: services.user_create(actor=staff_actor, channel=Channel.ADMIN, email="x@example.com"),
                   "forbidden")
    assert_refused(lambda: services.user_update(actor=staff_actor, channel=Channel.ADMIN, user_id=staff.pk,
                                                role=Role.ADMIN), "forbidden")
    me = admin_actor.user_id
    for change in (dict(is_active=False), dict(role=Role.STAFF), dict(is_staff=False)):
        assert_refused(lambda change=change: services.user_update(actor=admin_actor, channel=Channel.ADMIN,
                                                                  user_id=me, **change), "own_access")
    fieldworker = factories.fieldworker()
    assert_refused(lambda: services.user_update(actor=admin_actor, channel=Channel.ADMIN,
                                                user_id=fieldworker.user_id, role=Role.STAFF), "role_locked",
                   field="role")


def test_a_user_sets_their_own_password_but_not_anothers(staff_actor, staff):
    services.user_set_password(actor=staff_actor, channel=Channel.GRAPHQL, user_id=staff.pk,
                               password="a new long password 9")
    assert User.objects.get(pk=staff.pk).check_password("a new long password 9")
    other = factories.staff_user()
    assert_refused(lambda: services.user_set_password(actor=staff_actor, channel=Channel.GRAPHQL, user_id=other.pk,
                                                      password="a new long password 9"), "not_found")
