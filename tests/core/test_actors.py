"""Actor.from_user for each role, and the superuser made by createsuperuser --noinput."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from core.accounts.models import Role, User
from core.actors import Actor, ActorKind
from tests import factories


def test_staff_and_admin(db):
    staff = factories.staff_user()
    admin = factories.staff_user(role=Role.ADMIN)
    assert Actor.from_user(staff) == Actor(kind=ActorKind.STAFF, user=staff, is_admin=False)
    assert Actor.from_user(admin) == Actor(kind=ActorKind.STAFF, user=admin, is_admin=True)
    assert Actor.from_user(staff).is_staff and not Actor.from_user(staff).is_customer


def test_fieldworker(fieldworker):
    actor = Actor.from_user(fieldworker.user)
    assert (actor.kind, actor.fieldworker_id, actor.customer_id, actor.is_admin) == (
        ActorKind.FIELDWORKER, fieldworker.pk, None, False)
    assert actor == Actor.for_fieldworker(fieldworker)


def test_customer(customer):
    actor = Actor.from_user(customer.user)
    assert (actor.kind, actor.customer_id, actor.fieldworker_id) == (ActorKind.CUSTOMER, customer.pk, None)
    assert actor == Actor.for_customer(customer)


def test_roles_without_their_record_are_anonymous(db):
    lone_worker = User.objects.create_user(email="lone@example.com", role=Role.FIELDWORKER)
    lone_customer = User.objects.create_user(email="lonec@example.com", role=Role.CUSTOMER)
    assert Actor.from_user(lone_worker).kind == ActorKind.ANONYMOUS
    assert Actor.from_user(lone_customer).kind == ActorKind.ANONYMOUS


def test_inactive_none_and_anonymous_users(db):
    assert Actor.from_user(None) == Actor.anonymous()
    assert Actor.from_user(AnonymousUser()) == Actor.anonymous()
    assert Actor.from_user(factories.staff_user(is_active=False)) == Actor.anonymous()
    assert not Actor.anonymous().is_authenticated and Actor.system().is_authenticated


def test_labels(db):
    staff = User.objects.create_user(email="sam@example.com", full_name="Sam Staff", role=Role.STAFF)
    walk_in = factories.customer()
    assert Actor.from_user(staff).label == "Sam Staff"
    assert Actor.for_customer(walk_in).label == f"customer #{walk_in.pk}"
    assert Actor.system().label == "system"


def test_createsuperuser_noinput_makes_a_staff_admin(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-secret-9")
    call_command("createsuperuser", interactive=False, verbosity=0)
    user = User.objects.get(email__iexact="boss@example.com")
    assert (user.is_superuser, user.is_staff, user.role, user.is_staff_member) == (True, True, Role.ADMIN, True)
    assert user.check_password("a-long-secret-9")
    actor = Actor.from_user(user)
    assert (actor.kind, actor.is_admin) == (ActorKind.STAFF, True)


def test_a_superuser_flag_alone_is_staff(db):
    user = User.objects.create_user(email="odd@example.com", role=Role.CUSTOMER, is_superuser=True)
    assert Actor.from_user(user).is_staff and Actor.from_user(user).is_admin
