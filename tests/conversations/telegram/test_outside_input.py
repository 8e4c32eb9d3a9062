"""Webhook bodies no Telegram sends: a clear 400, no traceback, nothing stored."""

from __future__ import annotations

import json
import logging

import pytest

from core.chat.models import ChatBinding, ChatMessage, ProcessedUpdate

from .conftest import SECRET, URL


def _post(client, body: bytes):
    return client.post(URL, data=body, content_type="application/json",
                       headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})


def _rows() -> tuple[int, int, int]:
    return ProcessedUpdate.objects.count(), ChatMessage.objects.count(), ChatBinding.objects.count()


def _message(update_id: int, chat_id: int) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_700_000_000, "text": "/start",
        "chat": {"id": chat_id, "type": "private"}, "from": {"id": chat_id, "is_bot": False, "first_name": "X"}}}


BODIES = {
    "update id beyond 64 bits": json.dumps(_message(2**64 + 5, 42)).encode(),
    "chat id beyond 64 bits": json.dumps(_message(7, -(2**70))).encode(),
    "5000 levels of nesting": b'{"update_id": 9, "message": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "a lone surrogate": b'{"update_id": 10, "message": {"text": "\\ud800"}}',
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_a_body_telegram_never_sends_is_a_400(client, telegram, caplog, case):
    before = _rows()
    with caplog.at_level(logging.WARNING):
        response = _post(client, BODIES[case])
    assert response.status_code == 400
    assert not [record for record in caplog.records if record.exc_info]
    assert _rows() == before
