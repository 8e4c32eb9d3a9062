"""The outbox through the real Bot client against the fake Bot API: blocked users (403), flood
control (429), outages (5xx) and a slow Bot API that must not hold the webhook."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.chat import outbox
from core.chat.models import ChatMessage, MessageStatus, SmsFallback

from . import updates
from .conftest import SECRET, URL


def test_blocked_bot_marks_the_fieldworker_unreachable_and_offers_fall_back_to_sms(webhook, linked, offered):
    from core.sms import backends as sms_backends
    from core.sms.models import SmsMessage

    sms_backends.outbox.clear()
    binding = linked(6001)
    webhook.api.blocked.add(6001)
    booking = offered(binding.fieldworker)
    webhook.deliver()
    offer = ChatMessage.objects.get(kind="offer", booking=booking)
    assert offer.status == MessageStatus.UNREACHABLE
    assert offer.sms_fallback == SmsFallback.SENT
    binding.refresh_from_db()
    assert binding.unreachable_at is not None
    assert len(webhook.api.of("sendMessage")) == 1  # tried once, then no more
    sms = SmsMessage.objects.get(booking=booking, to_number=binding.fieldworker.mobile)
    assert f"#{booking.number}" in sms.body
    to_worker = [entry.body for entry in sms_backends.outbox if entry.to == binding.fieldworker.mobile]
    assert to_worker == [sms.body]
    # the next offer does not knock on the closed door again: straight to SMS
    second = offered(binding.fieldworker, start=timezone.now().replace(microsecond=0) + timedelta(days=6))
    webhook.deliver()
    assert len(webhook.api.of("sendMessage")) == 1
    assert ChatMessage.objects.get(kind="offer", booking=second).sms_fallback == SmsFallback.SENT
    # writing to the bot again (they unblocked it) makes them reachable
    webhook.api.blocked.clear()
    webhook.post(updates.message(6001, "/help"))
    binding.refresh_from_db()
    assert binding.unreachable_at is None
    assert webhook.api.texts(6001)[-1].startswith("/today")


def test_flood_control_reschedules_for_retry_after(webhook, linked):
    binding = linked(6002)
    webhook.api.fail_with.append((429, {"description": "Too Many Requests: retry after 7",
                                        "parameters": {"retry_after": 7}}))
    row = outbox.send(binding.chat_id, "hello", fieldworker_id=binding.fieldworker_id)
    before = timezone.now()
    webhook.deliver()
    row.refresh_from_db()
    assert row.status == MessageStatus.PENDING
    assert timedelta(seconds=6) <= row.next_attempt_at - before <= timedelta(seconds=9)
    assert "retry" in row.last_error.lower()
    assert outbox.flush() == {}  # not due yet
    ChatMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.flush() == {"sent": 1}
    assert webhook.api.texts(6002) == ["hello", "hello"]  # refused once (429), then carried


def test_outage_is_retried_until_sent_never_lost(webhook, linked):
    binding = linked(6003)
    webhook.api.fail_with.extend([(502, {"description": "Bad Gateway"}), (500, {"description": "Internal"})])
    row = outbox.send(binding.chat_id, "your job list", fieldworker_id=binding.fieldworker_id)
    webhook.deliver()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)
    for _ in range(2):
        ChatMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outbox.flush()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (MessageStatus.SENT, 3)
    assert row.telegram_message_id is not None
    assert webhook.api.texts(6003) == ["your job list"] * 3  # two failed attempts, one that went through


def test_a_claim_left_by_a_crashed_worker_is_picked_up_again(webhook, linked):
    binding = linked(6004)
    row = outbox.send(binding.chat_id, "left behind")
    ChatMessage.objects.filter(pk=row.pk).update(status=MessageStatus.SENDING,
                                                 claimed_at=timezone.now() - timedelta(minutes=10))
    assert outbox.flush() == {"sent": 1}
    assert webhook.api.texts(6004) == ["left behind"]


def test_bad_request_fails_for_good(webhook, linked):
    binding = linked(6005)
    webhook.api.fail_with.append((400, {"description": "Bad Request: query is too old"}))
    row = outbox.answer("old-query", "Accepted", chat_id=binding.chat_id)
    webhook.deliver()
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED and "too old" in row.last_error
    ChatMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.flush() == {}


def test_a_message_is_sent_once_even_if_delivered_twice(webhook, linked):
    binding = linked(6006)
    row = outbox.send(binding.chat_id, "once")
    webhook.deliver()
    assert outbox.deliver(row.pk) == MessageStatus.SENT
    assert webhook.api.texts(6006) == ["once"]


@pytest.mark.django_db(transaction=True)
def test_webhook_answers_fast_when_the_bot_api_is_slow(client, telegram, settings, linked):
    settings.CHAT_DELIVER_AFTER_WEBHOOK = True
    telegram.delay = 1.5
    linked(6007)
    client.get(URL)  # the process has loaded its URLconf (a cold process pays that once, before any update)
    started = time.monotonic()
    response = client.post(URL, data=json.dumps(updates.message(6007, "/jobs")), content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1.0, f"webhook took {elapsed:.2f}s"
    row = ChatMessage.objects.get(chat_id=6007)
    assert row.status in (MessageStatus.PENDING, MessageStatus.SENDING)
    # ...and the reply still arrives, from the background hand-off
    calls = telegram.wait_for("sendMessage", 1, timeout=8)
    assert [call.params["text"] for call in calls] == ["You have no upcoming jobs or open offers."]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and ChatMessage.objects.get(pk=row.pk).status != MessageStatus.SENT:
        time.sleep(0.05)
    assert ChatMessage.objects.get(pk=row.pk).status == MessageStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_webhook_answers_when_the_bot_api_is_down(client, telegram, settings, linked):
    settings.CHAT_DELIVER_AFTER_WEBHOOK = True
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    linked(6008)
    client.get(URL)
    started = time.monotonic()
    response = client.post(URL, data=json.dumps(updates.message(6008, "/today")), content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200 and time.monotonic() - started < 1.0
    deadline = time.monotonic() + 10
    row = ChatMessage.objects.get(chat_id=6008)
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.attempts and row.status != MessageStatus.SENDING:
            break
        time.sleep(0.05)
    assert row.status == MessageStatus.PENDING and row.attempts >= 1 and row.last_error  # kept for a retry


def test_webhook_command_sets_shows_and_deletes(telegram, settings, capsys):
    settings.TELEGRAM_WEBHOOK_URL = "https://ops.example.com/webhooks/telegram/"
    call_command("telegram_webhook", "set")
    assert telegram.webhook == {"url": "https://ops.example.com/webhooks/telegram/",
                                "secret_token": "webhook-secret-for-tests"}
    set_call = telegram.of("setWebhook")[0]
    assert set_call.params["allowed_updates"] == ["message", "callback_query"]
    call_command("telegram_webhook", "info")
    assert "url: https://ops.example.com/webhooks/telegram/" in capsys.readouterr().out
    call_command("telegram_webhook", "delete")
    assert telegram.webhook == {}


def test_webhook_command_refuses_without_a_secret(telegram, settings):
    from django.core.management.base import CommandError

    settings.TELEGRAM_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        call_command("telegram_webhook", "set")
    assert telegram.of("setWebhook") == []


def test_rate_limiter_spaces_calls_to_one_chat():
    from conversations.telegram.ratelimit import RateLimiter

    limiter = RateLimiter(per_second=1000, per_chat_per_second=10)
    start = time.monotonic()
    waits = [limiter.wait_time(42, now=start) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # a small burst is allowed
    assert waits[3] == pytest.approx(0.1) and waits[4] == pytest.approx(0.2)
    assert limiter.wait_time(43, now=start) == 0.0  # another chat is not held up
    assert limiter.wait_time(42, now=start + 1.0) == 0.0  # the bucket refilled
    overall = RateLimiter(per_second=2, per_chat_per_second=100)
    assert [overall.wait_time(chat, now=start) for chat in range(4)] == pytest.approx([0.0, 0.0, 0.5, 1.0])
