"""Staff create one-time Telegram deep links and unlink; everyone else is refused and nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.chat import services as chat_services
from core.chat.models import ChatBinding, ChatLinkToken
from tests import factories
from tests.graphql_api.conftest import gid, run

CREATE = """mutation($id: ID!, $hours: Int) { createTelegramLink(fieldworkerId: $id, validHours: $hours) {
  link { url expiresAt } errors { code field message } } }"""
UNLINK = """mutation($id: ID!) { unlinkTelegram(fieldworkerId: $id) { unlinked errors { code field } } }"""


def _tokens():
    return list(ChatLinkToken.objects.values_list("digest", "expires_at", "used_at"))


def test_staff_create_a_one_time_deep_link(staff_actor, fieldworker, settings):
    settings.TELEGRAM_BOT_USERNAME = "acme_jobs_bot"
    result = run(staff_actor, CREATE, id=gid("Fieldworker", fieldworker.pk), hours=2)
    payload = result["data"]["createTelegramLink"]
    assert payload["errors"] == []
    url = payload["link"]["url"]
    assert url.startswith("https://t.me/acme_jobs_bot?start=")
    token = url.split("start=")[1]
    assert 16 <= len(token) <= 64
    row = ChatLinkToken.objects.get()
    assert row.fieldworker_id == fieldworker.pk and token not in row.digest  # only a digest is kept
    assert timedelta(minutes=119) < row.expires_at - timezone.now() <= timedelta(hours=2)
    # the link works once
    binding = chat_services.chat_link_redeem(actor=Actor.anonymous(), channel=Channel.TELEGRAM, token=token,
                                             telegram_user_id=99, chat_id=99)
    assert binding.fieldworker_id == fieldworker.pk


@pytest.mark.parametrize("role", ["fieldworker", "customer", "anonymous"])
def test_others_cannot_create_links(role, fieldworker, fieldworker_actor, customer_actor):
    actor = {"fieldworker": fieldworker_actor, "customer": customer_actor, "anonymous": Actor.anonymous()}[role]
    result = run(actor, CREATE, id=gid("Fieldworker", fieldworker.pk))
    payload = result["data"]["createTelegramLink"]
    assert payload["link"] is None and payload["errors"][0]["code"] == "forbidden"
    assert ChatLinkToken.objects.count() == 0


@pytest.mark.parametrize(("value", "hours", "code", "field"), [
    ("nonsense", None, "invalid_id", "fieldworkerId"),
    ("Q3VzdG9tZXI6MQ==", None, "invalid_id", "fieldworkerId"),  # a Customer id
    (None, 0, "out_of_range", "validHours"),
    (None, 10_000, "out_of_range", "validHours"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(staff_actor, fieldworker, value, hours, code, field):
    result = run(staff_actor, CREATE, id=value or gid("Fieldworker", fieldworker.pk), hours=hours)
    payload = result["data"]["createTelegramLink"]
    assert payload["errors"][0]["code"] == code and payload["errors"][0]["field"] == field
    assert ChatLinkToken.objects.count() == 0


def test_unknown_fieldworker(staff_actor):
    payload = run(staff_actor, CREATE, id=gid("Fieldworker", 987654))["data"]["createTelegramLink"]
    assert payload["errors"][0]["code"] == "not_found"
    assert ChatLinkToken.objects.count() == 0


def test_inactive_fieldworker_gets_no_link(staff_actor):
    worker = factories.fieldworker(status="inactive")
    payload = run(staff_actor, CREATE, id=gid("Fieldworker", worker.pk))["data"]["createTelegramLink"]
    assert payload["errors"][0]["code"] == "fieldworker_inactive"
    assert ChatLinkToken.objects.count() == 0


def test_unlink_by_staff_and_by_self_only(staff_actor, fieldworker, fieldworker_actor):
    ChatBinding.objects.create(fieldworker=fieldworker, telegram_user_id=5, chat_id=5)
    other = factories.fieldworker()
    payload = run(Actor.for_fieldworker(other), UNLINK, id=gid("Fieldworker", fieldworker.pk))["data"]["unlinkTelegram"]
    assert payload == {"unlinked": False, "errors": [{"code": "not_found", "field": "fieldworkerId"}]}
    assert ChatBinding.objects.get().unlinked_at is None
    payload = run(fieldworker_actor, UNLINK, id=gid("Fieldworker", fieldworker.pk))["data"]["unlinkTelegram"]
    assert payload == {"unlinked": True, "errors": []}
    binding = ChatBinding.objects.get()
    assert binding.unlinked_at is not None and binding.unlink_channel == "graphql"
    payload = run(staff_actor, UNLINK, id=gid("Fieldworker", fieldworker.pk))["data"]["unlinkTelegram"]
    assert payload["errors"][0]["code"] == "not_found"
