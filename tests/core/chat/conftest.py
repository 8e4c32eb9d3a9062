from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.chat import backends
from core.chat.models import ChatBinding
from tests import factories


def commit() -> None:
    """Run the on-commit callbacks queued so far, as a real commit would (tests never commit)."""
    while connection.run_on_commit:
        pending, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in pending:
            func()


def chat_state() -> dict[str, list]:
    """Every row of the chat tables, to prove a refusal wrote nothing."""
    commit_free = {}
    for model in apps.get_app_config("chat").get_models():
        commit_free[model._meta.label] = list(model.objects.order_by("pk").values())
    return commit_free


@pytest.fixture(autouse=True)
def locmem_chat(settings, tmp_path):
    settings.CHAT_BACKEND = "core.chat.backends.LocmemChatBackend"
    settings.MEDIA_ROOT = tmp_path
    backends.reset()
    yield backends.outbox
    backends.reset()


@pytest.fixture
def bound(db):
    def make(chat_id: int, **extra) -> ChatBinding:
        worker = factories.fieldworker(**extra)
        return ChatBinding.objects.create(fieldworker=worker, telegram_user_id=chat_id, chat_id=chat_id)

    return make


def offer(worker, *, days: float = 3, accept: bool = False, booking=None):
    booking = booking or factories.booking(start=timezone.now().replace(microsecond=0) + timedelta(days=days))
    booking_services.booking_assign(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    if accept:
        booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                            booking_id=booking.pk, accept=True)
    commit()
    return booking


def sent(chat_id: int) -> list[backends.OutboxEntry]:
    return [entry for entry in backends.outbox if entry.params.get("chat_id") == chat_id]
