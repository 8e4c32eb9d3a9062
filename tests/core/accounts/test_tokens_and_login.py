"""API tokens (hashed, shown once, revocable, expiring), password login, token lookup."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.accounts import services
from core.accounts.models import ApiToken, Role
from core.actors import Actor, Channel
from tests import factories
from tests.core.support import assert_refused, db_state


def test_a_token_is_stored_as_a_digest_only(staff_actor, staff):
    issued = services.token_create(actor=staff_actor, channel=Channel.GRAPHQL, name="laptop")
    assert issued.raw.startswith(services.TOKEN_PREFIX) and len(issued.raw) > 40
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert stored.user_id == staff.pk
    assert stored.digest == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert issued.raw.startswith(stored.prefix) and len(stored.prefix) < 12
    # the raw token is nowhere in the database: no column of any row holds it
    dumped = repr(db_state())
    assert issued.raw not in dumped and issued.raw[len(stored.prefix):] not in dumped
    assert not hasattr(stored, "raw")
    assert stored.expires_at is not None
    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - timedelta(days=settings.API_TOKEN_TTL_DAYS)) < timedelta(minutes=1)
    assert services.user_for_token(issued.raw) == staff


def test_each_token_is_different(staff_actor):
    raws = {services.token_create(actor=staff_actor, channel=Channel.GRAPHQL).raw for _ in range(5)}
    assert len(raws) == 5


@pytest.mark.parametrize("days", [0, -1, 367])
def test_token_lifetime_is_bounded(days, staff_actor):
    assert_refused(lambda: services.token_create(actor=staff_actor, channel=Channel.GRAPHQL, ttl_days=days),
                   "invalid", field="ttlDays")


def test_tokens_for_other_users_need_an_admin(staff_actor, customer, db):
    assert_refused(lambda: services.token_create(actor=staff_actor, channel=Channel.GRAPHQL, user_id=customer.user_id),
                   "not_found")
    admin = Actor.from_user(factories.staff_user(role=Role.ADMIN))
    issued = services.token_create(actor=admin, channel=Channel.GRAPHQL, user_id=customer.user_id)
    assert services.user_for_token(issued.raw) == customer.user
    inactive = factories.staff_user(is_active=False)
    assert_refused(lambda: services.token_create(actor=admin, channel=Channel.GRAPHQL, user_id=inactive.pk),
                   "not_found")


def test_anonymous_and_system_get_no_token(db):
    for actor in (Actor.anonymous(), Actor.system()):
        assert_refused(lambda actor=actor: services.token_create(actor=actor, channel=Channel.GRAPHQL), "forbidden")


def test_revoke(staff_actor, staff):
    issued = services.token_create(actor=staff_actor, channel=Channel.GRAPHQL)
    revoked = services.token_revoke(actor=staff_actor, channel=Channel.GRAPHQL, token_id=issued.token.pk)
    assert revoked.revoked_at is not None
    assert services.user_for_token(issued.raw) is None
    first = ApiToken.objects.get(pk=issued.token.pk).revoked_at
    services.token_revoke(actor=staff_actor, channel=Channel.GRAPHQL, token_id=issued.token.pk)  # idempotent
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at == first


def test_only_the_owner_or_an_admin_revokes(staff_actor, customer_actor):
    issued = services.token_create(actor=staff_actor, channel=Channel.GRAPHQL)
    other_staff = Actor.from_user(factories.staff_user())
    for actor in (customer_actor, other_staff, Actor.anonymous()):
        assert_refused(lambda actor=actor: services.token_revoke(actor=actor, channel=Channel.GRAPHQL,
                                                                 token_id=issued.token.pk), "not_found")
    assert_refused(lambda: services.token_revoke(actor=staff_actor, channel=Channel.GRAPHQL, token_id=10**9),
                   "not_found")
    admin = Actor.from_user(factories.staff_user(role=Role.ADMIN))
    services.token_revoke(actor=admin, channel=Channel.ADMIN, token_id=issued.token.pk)
    assert services.user_for_token(issued.raw) is None


def test_expired_tokens_are_refused(staff_actor):
    issued = services.token_create(actor=staff_actor, channel=Channel.GRAPHQL, ttl_days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.user_for_token(issued.raw) is None


def test_tokens_of_inactive_users_are_refused(staff_actor, staff):
    issued = services.token_create(actor=staff_actor, channel=Channel.GRAPHQL)
    staff.is_active = False
    staff.save()
    assert services.user_for_token(issued.raw) is None


@pytest.mark.parametrize("raw", ["", "fo_", "fo_unknown", "not-a-token", "fo_" + "x" * 200, None])
def test_unknown_tokens_are_refused(raw, staff_actor):
    services.token_create(actor=staff_actor, channel=Channel.GRAPHQL)
    assert services.user_for_token(raw) is None


def test_lookup_touches_last_used_at_at_most_every_five_minutes(staff_actor):
    issued = services.token_create(actor=staff_actor, channel=Channel.GRAPHQL)
    services.user_for_token(issued.raw)
    first = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first is not None
    services.user_for_token(issued.raw)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first


# --- login ------------------------------------------------------------------------------------


def test_login_returns_a_working_token(staff):
    issued = services.login(email="  " + staff.email.upper() + " ", password="pw-staff-123", channel=Channel.GRAPHQL)
    assert services.user_for_token(issued.raw) == staff
    assert issued.token.name == "login via graphql"


def test_wrong_password_and_unknown_email_look_alike(staff, db):
    wrong = assert_refused(lambda: services.login(email=staff.email, password="nope", channel=Channel.GRAPHQL),
                           "invalid_credentials", field="password")
    unknown = assert_refused(lambda: services.login(email="nobody@example.com", password="nope",
                                                    channel=Channel.GRAPHQL), "invalid_credentials", field="password")
    assert (wrong.code, wrong.field, wrong.message, wrong.data) == (
        unknown.code, unknown.field, unknown.message, unknown.data)
    assert not ApiToken.objects.exists()


def test_inactive_users_cannot_log_in(db):
    user = factories.staff_user(is_active=False)
    assert_refused(lambda: services.login(email=user.email, password="pw-staff-123", channel=Channel.GRAPHQL),
                   "invalid_credentials")


def test_guessing_slows_down_but_never_locks_the_owner_out(staff, monkeypatch):
    from core.accounts import throttle

    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    guesser, owner = "203.0.113.9", "198.51.100.7"
    for _ in range(throttle.FREE_ATTEMPTS):
        assert_refused(lambda: services.login(email=staff.email, password="guess", channel=Channel.GRAPHQL,
                                              client=guesser), "invalid_credentials")
    before = db_state()
    refused = assert_refused(lambda: services.login(email=staff.email.upper(), password="pw-staff-123",
                                                    channel=Channel.GRAPHQL, client=guesser), "rate_limited")
    assert "Try again in 1 seconds" in refused.message and refused.data["retry_after"] == 1
    assert db_state() == before and not ApiToken.objects.exists()
    # the owner, on a client that has not been guessing, signs in at once
    assert services.login(email=staff.email, password="pw-staff-123", channel=Channel.GRAPHQL, client=owner).raw
    # the guesser waits twice as long after each attempt: 2 s, then 4 s ...
    now[0] += 2
    assert_refused(lambda: services.login(email=staff.email, password="guess", channel=Channel.GRAPHQL,
                                          client=guesser), "invalid_credentials")
    waited = assert_refused(lambda: services.login(email=staff.email, password="guess", channel=Channel.GRAPHQL,
                                                   client=guesser), "rate_limited")
    assert waited.data["retry_after"] == 4
    now[0] += 8  # the right password after waiting: signed in, and the count starts again
    assert services.login(email=staff.email, password="pw-staff-123", channel=Channel.GRAPHQL, client=guesser).raw
    assert_refused(lambda: services.login(email=staff.email, password="guess", channel=Channel.GRAPHQL,
                                          client=guesser), "invalid_credentials")


def test_one_client_cannot_spray_many_addresses(db):
    from core.accounts import throttle

    for i in range(throttle.CLIENT_LIMIT):
        assert_refused(lambda i=i: services.login(email=f"nobody{i}@example.com", password="x",
                                                  channel=Channel.GRAPHQL, client="203.0.113.9"), "invalid_credentials")
    user = factories.staff_user()
    assert_refused(lambda: services.login(email=user.email, password="pw-staff-123", channel=Channel.GRAPHQL,
                                          client="203.0.113.9"), "rate_limited")
    assert services.login(email=user.email, password="pw-staff-123", channel=Channel.GRAPHQL,
                          client="198.51.100.7").raw  # another client still signs in


@pytest.mark.parametrize(("email", "password"), [("", ""), (None, None), ("x" * 10_000, "y" * 10_000)])
def test_junk_credentials_are_refused(email, password, db):
    assert_refused(lambda: services.login(email=email, password=password, channel=Channel.GRAPHQL),
                   "invalid_credentials")


@pytest.mark.parametrize(("value", "raw"), [
    ("Bearer fo_abc", "fo_abc"), ("bearer  fo_abc ", "fo_abc"), ("Token fo_abc", None), ("Bearer ", None),
    ("", None), ("fo_abc", None),
])
def test_token_from_bearer_reads_only_the_bearer_form(value, raw):
    from core.accounts.services import token_from_bearer

    assert token_from_bearer(value) == raw
