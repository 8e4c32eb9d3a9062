"""A fake Telegram Bot API on 127.0.0.1 for the real ``telegram.Bot`` client.

It records every call (method and parameters), answers like the Bot API does, and can be told to
answer 403 for some chats (the person blocked the bot), 429 with ``retry_after``, 5xx, or to be slow.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        markup = self.params.get("reply_markup") or {}
        return [[(button["text"], button.get("callback_data", "")) for button in row]
                for row in markup.get("inline_keyboard", [])]


@dataclass
class FakeBotApi:
    token: str = "123456:TEST-token"
    calls: list[Call] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    delay: float = 0.0
    fail_with: list[tuple[int, dict]] = field(default_factory=list)  # (status, extra) for the next calls
    files: dict[str, bytes] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    _ids: int = 500
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- reading what happened ---
    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int) -> list[Call]:
        return [call for call in self.of("sendMessage") if call.chat_id == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [call.params.get("text", "") for call in self.sent_to(chat_id)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.of(method)

    # --- answering ---
    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.calls.append(Call(method, params))
            if self.fail_with:
                status, extra = self.fail_with.pop(0)
                return status, {"ok": False, "error_code": status, "description": extra.get("description", "Error"),
                                **({"parameters": extra["parameters"]} if "parameters" in extra else {})}
            chat_id = params.get("chat_id")
            if chat_id is not None and int(chat_id) in self.blocked:
                return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            self._ids += 1
            message_id = self._ids
        now = int(time.time())
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": int(self.token.split(":")[0]), "is_bot": True,
                                                "first_name": "Fieldops", "username": "fieldops_test_bot"}}
        if method in ("sendMessage", "editMessageText"):
            if method == "editMessageText":
                message_id = int(params["message_id"])
            result = {"message_id": message_id, "date": now, "text": params.get("text", ""),
                      "chat": {"id": int(params["chat_id"]), "type": "private"}}
            return 200, {"ok": True, "result": result}
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        if method == "getFile":
            file_id = params["file_id"]
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            return 200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                                "file_size": len(self.files[file_id]),
                                                "file_path": f"photos/{file_id}.jpg"}}
        if method == "setWebhook":
            self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token", "")}
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deleteWebhook":
            self.webhook = {}
            return 200, {"ok": True, "result": True}
        if method == "getWebhookInfo":
            return 200, {"ok": True, "result": {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                                                "pending_update_count": 0}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=email_policy).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        raw = {part.get_param("name", header="content-disposition"): part.get_content()
               for part in message.iter_parts()}
    elif content_type.startswith("application/json"):
        raw = json.loads(body or b"{}")
    else:
        raw = dict(parse_qsl(body.decode(), keep_blank_values=True))
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("reply_markup", "allowed_updates") and isinstance(value, str):
            params[key] = json.loads(value)
        else:
            params[key] = value.decode() if isinstance(value, bytes) else value
    return params


class Server:
    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        api_ref = api

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def _send(self, status: int, payload: dict | bytes) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if isinstance(payload, bytes)
                                 else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _route(self, body: bytes) -> None:
                parts = unquote(self.path.split("?")[0]).strip("/").split("/")
                if len(parts) >= 3 and parts[0] == "file" and parts[1] == f"bot{api_ref.token}":
                    file_id = parts[-1].rsplit(".", 1)[0]
                    data = api_ref.files.get(file_id)
                    self._send(200 if data is not None else 404, data if data is not None else {"ok": False})
                    return
                if len(parts) != 2 or parts[0] != f"bot{api_ref.token}":
                    self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                params = _params(self.headers.get("Content-Type", ""), body)
                status, payload = api_ref.answer(parts[1], params)
                self._send(status, payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._route(self.rfile.read(length))

            def do_GET(self) -> None:
                self._route(b"")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
