"""A fake Twilio REST API on 127.0.0.1 for the real twilio client: records what it is sent and
answers like Twilio (201 with a Message resource, or 400 with error 21610 for blocked numbers)."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Received:
    method: str
    path: str
    auth: tuple[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeTwilio:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


def start() -> FakeTwilio:
    counter = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
            raw = self.headers.get("Authorization", "")
            user, _, password = base64.b64decode(raw.removeprefix("Basic ")).decode().partition(":") \
                if raw.startswith("Basic ") else ("", "", "")
            fake.received.append(Received("POST", self.path, (user, password), form, dict(self.headers)))
            if not self.path.endswith("/Messages.json") or f"/Accounts/{user}/" not in self.path:
                return self._json(404, {"code": 20404, "message": "The requested resource was not found",
                                        "status": 404})
            if form.get("To") in fake.blocked:
                return self._json(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                        "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
            sid = f"SMfake{next(counter):026d}"
            return self._json(201, {
                "sid": sid, "account_sid": user, "to": form.get("To"), "from": form.get("From") or "+61400777777",
                "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"),
                "status": "queued", "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{user}/Messages/{sid}.json",
            })

        def _json(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeTwilio(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake
