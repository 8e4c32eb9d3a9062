from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.chat import services
from core.chat.models import ChatBinding, ChatLinkToken
from core.errors import DomainError
from tests import factories

from .conftest import chat_state

TG = Channel.TELEGRAM


def _redeem(token: str, chat_id: int = 11) -> ChatBinding:
    return services.chat_link_redeem(actor=Actor.anonymous(), channel=TG, token=token, telegram_user_id=chat_id,
                                     chat_id=chat_id, username="sam")


def _assert_refused(call, code: str) -> None:
    before = chat_state()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code
    assert chat_state() == before


def test_link_is_one_time(staff_actor, fieldworker):
    link = services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk)
    binding = _redeem(link.raw_token)
    assert (binding.fieldworker_id, binding.chat_id, binding.link_token_id) == (fieldworker.pk, 11, link.token.pk)
    _assert_refused(lambda: _redeem(link.raw_token, chat_id=12), "link_used")


def test_expired_link_links_nothing(staff_actor, fieldworker):
    link = services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk,
                                     ttl=timedelta(minutes=1))
    ChatLinkToken.objects.filter(pk=link.token.pk).update(expires_at=timezone.now())
    _assert_refused(lambda: _redeem(link.raw_token), "link_expired")


@pytest.mark.parametrize("token", ["", "short", "a" * 65, "bad token with spaces", "x" * 32])
def test_unknown_tokens_link_nothing(fieldworker, token):
    _assert_refused(lambda: _redeem(token), "link_unknown")


def test_a_new_link_retires_the_open_one(staff_actor, fieldworker):
    first = services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk)
    second = services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk)
    _assert_refused(lambda: _redeem(first.raw_token), "link_expired")
    assert _redeem(second.raw_token).fieldworker_id == fieldworker.pk


def test_only_staff_create_links(fieldworker, fieldworker_actor, customer_actor):
    for actor in (fieldworker_actor, customer_actor, Actor.anonymous()):
        _assert_refused(lambda actor=actor: services.chat_link_create(actor=actor, channel=Channel.GRAPHQL,
                                                               fieldworker_id=fieldworker.pk), "forbidden")


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(days=31), timedelta(seconds=-5)])
def test_link_lifetime_is_bounded(staff_actor, fieldworker, ttl):
    _assert_refused(lambda: services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL,
                                               fieldworker_id=fieldworker.pk, ttl=ttl), "out_of_range")


def test_a_chat_moves_to_whoever_redeems_in_it(staff_actor):
    alice, bob = factories.fieldworker(), factories.fieldworker()
    _redeem(services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=alice.pk).raw_token)
    _redeem(services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=bob.pk).raw_token)
    active = ChatBinding.objects.filter(unlinked_at__isnull=True)
    assert list(active.values_list("fieldworker_id", flat=True)) == [bob.pk]
    assert ChatBinding.objects.get(fieldworker=alice).unlinked_at is not None


def test_blocked_fieldworker_cannot_link(staff_actor, fieldworker):
    link = services.chat_link_create(actor=staff_actor, channel=Channel.GRAPHQL, fieldworker_id=fieldworker.pk)
    fieldworker.status = "blocked"
    fieldworker.save()
    _assert_refused(lambda: _redeem(link.raw_token), "fieldworker_inactive")


def test_unlink_rules(staff_actor, fieldworker, fieldworker_actor):
    ChatBinding.objects.create(fieldworker=fieldworker, telegram_user_id=3, chat_id=3)
    stranger = Actor.for_fieldworker(factories.fieldworker())
    _assert_refused(lambda: services.chat_unlink(actor=stranger, channel=TG, fieldworker_id=fieldworker.pk), "not_found")
    binding = services.chat_unlink(actor=fieldworker_actor, channel=TG, fieldworker_id=fieldworker.pk)
    assert binding.unlinked_by == fieldworker.user
    _assert_refused(lambda: services.chat_unlink(actor=staff_actor, channel=TG, fieldworker_id=fieldworker.pk), "not_found")
