"""The README's GraphQL walkthrough, run as written against the demo data over HTTP: a reader who
pastes its blocks one at a time gets the answers the README describes."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db
URL = "/graphql/"


def walkthrough_blocks() -> dict[str, str]:
    text = Path(settings.BASE_DIR, "README.md").read_text()
    section = text[text.index("## GraphQL walkthrough"):]
    section = section[:section.index("\n## ", 3)]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    named = {}
    for block in blocks:
        name = next(word for word in ("login", "cancellationQuote", "cancelBooking", "bookingHistory", "bookings")
                    if f"{word}(" in block)
        named[name] = block
    return named


def post(query: str, token: str | None = None) -> dict:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = Client().post(URL, json.dumps({"query": query}), content_type="application/json", **headers)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_the_walkthrough_as_written():
    call_command("seed_demo", stdout=StringIO())
    blocks = walkthrough_blocks()
    assert set(blocks) == {"login", "bookings", "cancellationQuote", "cancelBooking", "bookingHistory"}

    token = post(blocks["login"])["login"]["result"]["token"]
    nodes = [edge["node"] for edge in post(blocks["bookings"], token)["bookings"]["edges"]]
    assert nodes and all(node["status"] == "CONFIRMED" for node in nodes)

    quotes = {node["id"]: post(blocks["cancellationQuote"].replace("<id>", node["id"]), token)["cancellationQuote"]
              for node in nodes}
    charged = next(pk for pk, quote in quotes.items() if quote["fee"] == "40.00")  # the demo's fee inside 24 h
    cancel = blocks["cancelBooking"].replace("<id>", charged)

    # what the README warns of: without acceptFee the fee is not charged, and nothing happens
    bare = re.sub(r', acceptFee: "[^"]*"', "", cancel)
    assert bare != cancel
    refused = post(bare, token)["cancelBooking"]
    assert (refused["booking"], refused["fee"], refused["errors"][0]["code"]) == (None, "40.00", "fee_not_accepted")
    assert refused["errors"][0]["errorCode"] == "FEE_NOT_ACCEPTED"  # the enum the README shows

    done = post(cancel.replace("<fee from the quote>", quotes[charged]["fee"]), token)["cancelBooking"]
    assert done["errors"] == [] and done["booking"]["status"] == "CANCELLED"
    assert done["fee"] == done["booking"]["cancellationFee"] == "40.00"
    again = post(cancel.replace("<fee from the quote>", quotes[charged]["fee"]), token)["cancelBooking"]
    assert (again["errors"][0]["code"], again["errors"][0]["errorCode"]) == ("already_cancelled", "ALREADY_CANCELLED")

    history = post(blocks["bookingHistory"].replace("<id>", charged), token)["bookingHistory"]
    assert history[-1]["action"] == "cancelled" and history[-1]["channel"] == "GRAPHQL"
