"""A fake Google Maps Geocoding API on 127.0.0.1 for the real client (``GoogleGeocoder``): answers from
``places`` (normalised address -> lat, lng) like Google does (status OK / ZERO_RESULTS), or with what
``failures`` says next (an HTTP status, or a Google status such as OVER_QUERY_LIMIT), and records every
request."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from core.crm.geocoding import address_key


@dataclass
class FakeGeocoder:
    server: ThreadingHTTPServer
    places: dict[str, tuple[float, float]] = field(default_factory=dict)
    failures: list[int | str] = field(default_factory=list)
    received: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, address: str, latitude: float, longitude: float) -> None:
        self.places[address_key(address)] = (latitude, longitude)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start() -> FakeGeocoder:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            fake.received.append({"path": url.path, **query})
            if url.path != "/maps/api/geocode/json":
                return self._json(404, {"status": "NOT_FOUND"})
            if not query.get("key"):
                return self._json(200, {"status": "REQUEST_DENIED", "error_message": "You must use an API key.",
                                        "results": []})
            if fake.failures:
                failure = fake.failures.pop(0)
                if isinstance(failure, int):
                    return self._json(failure, {"error": "fake failure"})
                return self._json(200, {"status": failure, "error_message": "fake", "results": []})
            found = fake.places.get(address_key(query.get("address", "")))
            if found is None:
                return self._json(200, {"status": "ZERO_RESULTS", "results": []})
            lat, lng = found
            return self._json(200, {"status": "OK", "results": [{
                "formatted_address": query["address"].title() + ", Australia",
                "geometry": {"location": {"lat": lat, "lng": lng}, "location_type": "ROOFTOP"},
                "place_id": "fake", "types": ["street_address"]}]})

        def _json(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeGeocoder(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake
