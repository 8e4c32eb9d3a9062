"""Two fieldworkers press Accept on the same one-person job at the same moment: exactly one wins.

Needs real row locks and concurrent connections, so PostgreSQL only."""

from __future__ import annotations

import json
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from core.bookings.models import BookingEvent
from core.chat import outbox

from . import updates
from .conftest import SECRET, URL

pytestmark = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL row locks and concurrent writers")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_simultaneous_accepts_one_wins(telegram, linked, offered, round_):
    first, second = linked(7001 + round_ * 10), linked(7002 + round_ * 10)
    booking = offered(first.fieldworker)
    offered(second.fieldworker, booking)
    presses = {binding.chat_id: updates.press(binding.chat_id, f"a:{booking.pk}") for binding in (first, second)}
    barrier = threading.Barrier(2)
    statuses: dict[int, int] = {}
    errors: list[BaseException] = []

    def press(chat_id: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=5)
            response = client.post(URL, data=json.dumps(presses[chat_id]), content_type="application/json",
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            statuses[chat_id] = response.status_code
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(chat_id,)) for chat_id in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert statuses == {first.chat_id: 200, second.chat_id: 200}
    outcome = dict(booking.assignments.values_list("fieldworker_id", "status"))
    assert sorted(outcome.values()) == ["accepted", "offered"]
    assert BookingEvent.objects.filter(booking=booking, action="accepted").count() == 1
    outbox.flush()
    by_chat = {}
    for call in telegram.of("answerCallbackQuery"):
        query_id = call.params["callback_query_id"]
        chat_id = next(chat for chat, update in presses.items() if update["callback_query"]["id"] == query_id)
        by_chat[chat_id] = call.params["text"]
    assert sorted(by_chat.values()) == ["Accepted. The job is yours.", "Sorry, this job has already been taken."]
    winner = first if outcome[first.fieldworker_id] == "accepted" else second
    assert by_chat[winner.chat_id] == "Accepted. The job is yours."
