"""The webhook: secret check, dedupe by update id, linking with /start, unlinked chats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Channel
from core.chat import services as chat_services
from core.chat.models import ChatBinding, ChatLinkToken, ChatMessage, ProcessedUpdate
from tests import factories

from . import updates
from .conftest import URL


def _state():
    return (ProcessedUpdate.objects.count(), ChatMessage.objects.count(), ChatBinding.objects.count(),
            list(ChatLinkToken.objects.values_list("used_at", flat=True)))


def _link(worker, **kwargs):
    return chat_services.chat_link_create(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                          fieldworker_id=worker.pk, **kwargs)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "webhook-secret-for-tests-but-longer"])
def test_wrong_or_missing_secret_is_403_and_changes_nothing(webhook, fieldworker, secret):
    link = _link(fieldworker)
    before = _state()
    response = webhook.post(updates.message(4001, f"/start {link.raw_token}"), secret=secret)
    assert response.status_code == 403
    assert _state() == before
    assert webhook.api.calls == []


def test_no_secret_configured_refuses_everything(webhook, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    response = webhook.post(updates.message(4001, "/today"), secret="")
    assert response.status_code == 403
    assert ProcessedUpdate.objects.count() == 0


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b'{"message": {}}', b'{"update_id": "12"}',
                                  b'{"update_id": -5}'])
def test_bad_bodies_are_400_and_change_nothing(webhook, client, body):
    response = client.post(URL, data=body, content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": "webhook-secret-for-tests"})
    assert response.status_code == 400
    assert ProcessedUpdate.objects.count() == 0
    assert ChatMessage.objects.count() == 0


def test_get_is_not_allowed(client, telegram):
    assert client.get(URL).status_code == 405


def test_start_with_token_links_the_chat_and_says_so(webhook, fieldworker):
    link = _link(fieldworker)
    response = webhook.post(updates.message(4002, f"/start {link.raw_token}"))
    assert response.status_code == 200
    binding = ChatBinding.objects.get(fieldworker=fieldworker, unlinked_at__isnull=True)
    assert (binding.chat_id, binding.telegram_user_id, binding.username) == (4002, 4002, "sam_w")
    link.token.refresh_from_db()
    assert link.token.used_at is not None and link.token.used_by_chat_id == 4002
    texts = webhook.api.texts(4002)
    assert len(texts) == 1 and "now linked" in texts[0] and fieldworker.name in texts[0]


def test_used_token_links_nothing_and_says_so(webhook, fieldworker):
    link = _link(fieldworker)
    webhook.post(updates.message(4003, f"/start {link.raw_token}"))
    before = _state()
    webhook.post(updates.message(4004, f"/start {link.raw_token}"))
    assert ChatBinding.objects.filter(chat_id=4004).count() == 0
    assert ChatBinding.objects.get(unlinked_at__isnull=True).chat_id == 4003
    assert webhook.api.texts(4004) == ["That link was already used. Ask the office for a new one."]
    after = _state()
    assert after[2:] == before[2:]  # bindings and tokens untouched (only the update and the reply logged)


def test_expired_token_links_nothing(webhook, fieldworker):
    link = _link(fieldworker, ttl=timedelta(minutes=5))
    ChatLinkToken.objects.filter(pk=link.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    webhook.post(updates.message(4005, f"/start {link.raw_token}"))
    assert not ChatBinding.objects.exists()
    assert webhook.api.texts(4005) == ["That link has expired. Ask the office for a new one."]
    assert ChatLinkToken.objects.get(pk=link.token.pk).used_at is None


@pytest.mark.parametrize("token", ["abc", "x" * 40, "'; drop table --", "Q" * 65])
def test_unknown_or_malformed_token_links_nothing(webhook, fieldworker, token):
    _link(fieldworker)
    webhook.post(updates.message(4006, f"/start {token}"))
    assert not ChatBinding.objects.exists()
    assert webhook.api.texts(4006) == ["That link is not valid. Ask the office for a new one."]


def test_unlinked_chat_gets_no_data(webhook, fieldworker, offered):
    booking = offered(fieldworker)
    for text in ("/today", "/next", "/jobs", "hello"):
        webhook.post(updates.message(4007, text))
    press = updates.press(4007, f"a:{booking.pk}")
    webhook.post(press)
    sent = webhook.api.texts(4007)
    assert len(sent) == 4
    assert all("not linked" in text for text in sent)
    assert all(str(booking.number) not in text for text in sent)
    answers = webhook.api.of("answerCallbackQuery")
    assert [a.params["callback_query_id"] for a in answers] == [press["callback_query"]["id"]]
    assert "not linked" in answers[0].params["text"]
    assert booking.assignments.get().status == "offered"


def test_replayed_update_is_processed_once(webhook, fieldworker):
    link = _link(fieldworker)
    update = updates.message(4008, f"/start {link.raw_token}")
    first = webhook.post(update)
    second = webhook.post(update)
    assert first.status_code == second.status_code == 200
    assert second.json() == {"ok": True, "duplicate": True}
    assert ProcessedUpdate.objects.filter(update_id=update["update_id"]).count() == 1
    assert len(webhook.api.texts(4008)) == 1  # the second delivery did not say "already used"


def test_group_chats_are_ignored(webhook, linked):
    linked(4009)
    webhook.post(updates.message(-1004009, "/today", user_id=4009, chat_type="group"))
    assert webhook.api.calls == []


def test_relinking_from_a_new_phone_replaces_the_old_chat(webhook, fieldworker):
    webhook.post(updates.message(4010, f"/start {_link(fieldworker).raw_token}"))
    webhook.post(updates.message(4011, f"/start {_link(fieldworker).raw_token}"))
    active = ChatBinding.objects.filter(fieldworker=fieldworker, unlinked_at__isnull=True)
    assert list(active.values_list("chat_id", flat=True)) == [4011]
    assert ChatBinding.objects.filter(chat_id=4010, unlinked_at__isnull=False).exists()


def test_fieldworker_can_unlink_themselves(webhook, linked):
    binding = linked(4012)
    webhook.post(updates.message(4012, "/unlink"))
    binding.refresh_from_db()
    assert binding.unlinked_at is not None and binding.unlink_channel == "telegram"
    webhook.post(updates.message(4012, "/today"))
    assert "not linked" in webhook.api.texts(4012)[-1]


def test_staff_unlink_tells_the_chat(webhook, linked):
    binding = linked(4013)
    chat_services.chat_unlink(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                              fieldworker_id=binding.fieldworker_id)
    webhook.deliver()
    assert webhook.api.texts(4013) == ["This chat is no longer linked. You will get no more jobs here."]
