from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from conversations.telegram.application import reset_application
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.chat import backends, outbox
from core.chat.models import ChatBinding
from tests import factories

from .fake_bot_api import FakeBotApi, Server

SECRET = "webhook-secret-for-tests"
URL = "/webhooks/telegram/"


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi()
    with Server(api) as server:
        api.url = server.url
        yield api


@pytest.fixture
def telegram(db, settings, bot_api, tmp_path):
    """The real Telegram backend pointed at the fake Bot API; deliveries run when the test flushes."""
    settings.TELEGRAM_BOT_TOKEN = bot_api.token
    settings.TELEGRAM_BOT_USERNAME = "fieldops_test_bot"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.TELEGRAM_API_BASE_URL = bot_api.url
    settings.TELEGRAM_MAX_PER_SECOND = 1000
    settings.TELEGRAM_MAX_PER_CHAT_PER_SECOND = 1000
    settings.CHAT_BACKEND = "conversations.telegram.backend.TelegramChatBackend"
    settings.CHAT_DELIVER_AFTER_WEBHOOK = False
    settings.MEDIA_ROOT = tmp_path
    backends.reset()
    reset_application()
    yield bot_api
    reset_application()


def run_on_commit() -> None:
    """Run the on-commit callbacks queued so far, as a real commit would (tests never commit)."""
    while connection.run_on_commit:
        pending, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in pending:
            func()


class Webhook:
    def __init__(self, client, api: FakeBotApi) -> None:
        self.client = client
        self.api = api

    def post(self, update: dict, *, secret: str | None = SECRET, deliver: bool = True):
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = self.client.post(URL, data=json.dumps(update), content_type="application/json", headers=headers)
        if deliver:
            self.deliver()
        return response

    def deliver(self) -> None:
        run_on_commit()
        outbox.flush()
        run_on_commit()


@pytest.fixture
def webhook(client, telegram) -> Webhook:
    return Webhook(client, telegram)


@pytest.fixture
def linked(db):
    """``linked(chat_id)``: an active fieldworker bound to that private chat."""

    def make(chat_id: int, **extra) -> ChatBinding:
        worker = factories.fieldworker(**extra)
        return ChatBinding.objects.create(fieldworker=worker, telegram_user_id=chat_id, chat_id=chat_id)

    return make


@pytest.fixture
def offered(db):
    """``offered(worker, booking=None)``: staff offer the booking (three days ahead) to the worker."""

    def make(worker, booking=None, **extra):
        start = extra.pop("start", None) or timezone.now().replace(microsecond=0) + timedelta(days=3)
        booking = booking or factories.booking(start=start, **extra)
        booking_services.booking_assign(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        fieldworker_id=worker.pk)
        run_on_commit()  # the staff request committed: its events went out
        return booking

    return make


def accept(worker, booking) -> None:
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.GRAPHQL,
                                        booking_id=booking.pk, accept=True)
    run_on_commit()
