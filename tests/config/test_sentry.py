"""The scrubbing of error reports (config/sentry.py). The reports themselves, from a real server
process to a fake collector, are tested in test_observability_live.py."""

from __future__ import annotations

import pytest

from config.sentry import before_send, scrub, scrub_text
from core.observability import REQUEST_ID


@pytest.mark.parametrize(("text", "expected"), [
    ("+61412345678", "[phone]"),
    ("call +61 412 345 678 now", "call [phone] now"),
    ("+1 (415) 555-0100", "[phone]"),
    ("+44.20.7946.0958", "[phone]"),
    ("From=%2B61412345678&To=%2b61400999999", "From=[phone]&To=[phone]"),
    ("carla.customer@example.com", "[email]"),
    ("to=carla%40example.com.au&x=1", "to=[email]&x=1"),
    ("Carla <carla+jobs@mail.example.org>, +61412345678", "Carla <[email]>, [phone]"),
    ("https://fieldops.example/b/AbC.dEf-123_x/cancel?x=1", "https://fieldops.example/b/[token]/cancel?x=1"),
    ("GET /portal/login/eyJhbGc.sig/ 404", "GET /portal/login/[token]/ 404"),
])
def test_phone_numbers_and_email_addresses_are_masked(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize("text", [
    "2026-03-01T09:00:00+10:00",  # an offset, not a number
    "booking 1042 for customer 61412345678",  # no +: not in E.164 form
    "+123456",  # too short for a phone number
    "+1234567890123456789",  # too long
    "version 5.2.20, sha 3f2a9c1e@main",
    "a + b = 61412345678",
])
def test_other_text_is_left_alone(text):
    assert scrub_text(text) == text


def test_the_whole_event_is_scrubbed_keys_included():
    event = {
        "message": "failed for +61412345678",
        "exception": {"values": [{"type": "RuntimeError", "value": "no mail to a@b.example"}]},
        "breadcrumbs": {"values": [{"message": "texting +61412345678", "data": {"to": ("+61412345678", 3)}}]},
        "request": {"data": {"From": "+61412345678"}, "query_string": "email=x%40y.example",
                    "headers": {"x-phone": "+61 412 345 678"}},
        "extra": {"+61412345678": ["carla@example.com", None, 4.5]},
        "level": "error", "timestamp": 1760000000.5,
    }
    scrubbed = scrub(event)
    assert "61412345678" not in repr(scrubbed) and "example" not in repr(scrubbed)
    assert scrubbed["breadcrumbs"]["values"][0]["data"]["to"] == ("[phone]", 3)
    assert scrubbed["extra"] == {"[phone]": ["[email]", None, 4.5]}
    assert scrubbed["level"] == "error" and scrubbed["timestamp"] == 1760000000.5


def test_events_are_tagged_with_the_request_id():
    token = REQUEST_ID.set("req-77")
    try:
        event = before_send({"message": "x", "tags": {"kind": "y"}}, {})
    finally:
        REQUEST_ID.reset(token)
    assert event["tags"] == {"kind": "y", "request_id": "req-77"}
    assert "tags" not in before_send({"message": "outside a request"}, {})


def test_headers_that_carry_a_secret_are_filtered():
    event = before_send({"request": {"headers": {
        "X-Telegram-Bot-Api-Secret-Token": "s3cret", "X-Twilio-Signature": "c2ln", "Accept": "text/html",
        "X-Request-ID": "req-1"}}}, {})
    assert event["request"]["headers"] == {"X-Telegram-Bot-Api-Secret-Token": "[Filtered]",
                                           "X-Twilio-Signature": "[Filtered]", "Accept": "text/html",
                                           "X-Request-ID": "req-1"}
