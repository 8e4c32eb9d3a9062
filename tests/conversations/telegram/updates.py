"""Real Telegram update payloads (the JSON the Bot API posts to a webhook)."""

from __future__ import annotations

import itertools
import time

_update_ids = itertools.count(700_000_000)
_message_ids = itertools.count(10)


def _user(user_id: int, username: str = "") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Sam", "language_code": "en"}
    if username:
        user["username"] = username
    return user


def _chat(chat_id: int, kind: str = "private") -> dict:
    chat = {"id": chat_id, "type": kind}
    if kind == "private":
        chat["first_name"] = "Sam"
    else:
        chat["title"] = "Crew"
    return chat


def message(chat_id: int, text: str, *, user_id: int | None = None, reply_to: dict | None = None,
            chat_type: str = "private", update_id: int | None = None) -> dict:
    body = {"message_id": next(_message_ids), "from": _user(user_id or chat_id, "sam_w"), "date": int(time.time()),
            "chat": _chat(chat_id, chat_type), "text": text}
    if text.startswith("/"):
        command = text.split()[0]
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if reply_to is not None:
        body["reply_to_message"] = reply_to
    return {"update_id": update_id or next(_update_ids), "message": body}


def bot_message(chat_id: int, message_id: int, text: str = "…") -> dict:
    """A message the bot sent earlier, as Telegram embeds it in a reply."""
    return {"message_id": message_id, "date": int(time.time()) - 60, "text": text, "chat": _chat(chat_id),
            "from": {"id": 123456, "is_bot": True, "first_name": "Fieldops", "username": "fieldops_test_bot"}}


def photo(chat_id: int, *, file_id: str, unique_id: str, caption: str = "", reply_to: dict | None = None,
          user_id: int | None = None) -> dict:
    sizes = [{"file_id": f"{file_id}-small", "file_unique_id": f"{unique_id}-s", "width": 90, "height": 90,
              "file_size": 1000},
             {"file_id": file_id, "file_unique_id": unique_id, "width": 800, "height": 600, "file_size": 50000}]
    body = {"message_id": next(_message_ids), "from": _user(user_id or chat_id), "date": int(time.time()),
            "chat": _chat(chat_id), "photo": sizes}
    if caption:
        body["caption"] = caption
    if reply_to is not None:
        body["reply_to_message"] = reply_to
    return {"update_id": next(_update_ids), "message": body}


def press(chat_id: int, data: str, *, message_id: int = 1, user_id: int | None = None,
          update_id: int | None = None) -> dict:
    return {"update_id": update_id or next(_update_ids), "callback_query": {
        "id": f"cbq-{next(_update_ids)}", "from": _user(user_id or chat_id), "chat_instance": f"ci-{chat_id}",
        "data": data, "message": bot_message(chat_id, message_id, "New job offer")}}
