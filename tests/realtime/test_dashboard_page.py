"""/dashboard/ served by Django: who may see it and what it renders (the live part runs in a
browser, see test_dashboard_browser.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from core.actors import Actor, Channel
from core.bookings import services as bookings
from tests import factories
from web.dashboard import global_id, today_window

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard-login"))


@pytest.mark.parametrize("who", ["customer", "fieldworker"])
def test_customers_and_fieldworkers_are_refused(client, who, customer, fieldworker):
    client.force_login(customer.user if who == "customer" else fieldworker.user)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert b"Staff only" in response.content


def test_staff_sign_in_with_email_and_password_lands_on_the_dashboard(client, staff):
    bad = client.post(reverse("dashboard-login"), {"username": staff.email, "password": "wrong"})
    assert bad.status_code == 200 and b"wrong" in bad.content
    assert client.get("/dashboard/").status_code == 302
    response = client.post(reverse("dashboard-login"), {"username": staff.email, "password": "pw-staff-123"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get("/dashboard/").status_code == 200


def test_board_shows_todays_bookings_and_the_selected_discussion(client, staff, company):
    actor = Actor.from_user(staff)
    start, _ = today_window(company.time_zone)
    today = factories.booking(actor=actor, start=start + timedelta(hours=10))
    tomorrow = factories.booking(actor=actor, start=start + timedelta(days=1, hours=10))
    bookings.comment_add(actor=actor, channel=Channel.SMS, booking_id=today.pk, body="<b>ring twice</b>")
    client.force_login(staff)

    response = client.get(f"/dashboard/?booking={today.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-booking="{global_id("Booking", today.pk)}"' in html
    assert f'data-booking="{global_id("Booking", tomorrow.pk)}"' not in html
    assert "&lt;b&gt;ring twice&lt;/b&gt;" in html  # escaped, never markup
    config = json.loads(html.split('id="live-config" type="application/json">')[1].split("</script>")[0])
    assert config["booking"] == global_id("Booking", today.pk)
    assert config["socketPath"] == "/graphql/" and config["graphqlPath"] == "/graphql/"
    assert config["channels"]["SMS"] == "SMS"
    assert "csrftoken" in response.cookies


def test_a_booking_the_staff_cannot_see_or_garbage_falls_back_to_the_first(client, staff, company):
    actor = Actor.from_user(staff)
    start, _ = today_window(company.time_zone)
    first = factories.booking(actor=actor, start=start + timedelta(hours=8))
    client.force_login(staff)
    for raw in ("999999", "abc", "1" * 40):
        config = client.get(f"/dashboard/?booking={raw}").context["live_config"]
        assert config["booking"] == global_id("Booking", first.pk)


def test_global_ids_match_the_graphql_api():
    from graphql_api.ids import encode_id

    assert global_id("Booking", 42) == encode_id("Booking", 42)


def test_today_window_is_the_companys_local_day_even_when_clocks_change():
    now = datetime(2026, 4, 4, 23, 30, tzinfo=UTC)  # already 5 April in Sydney, the day DST ends
    start, end = today_window("Australia/Sydney", now)
    assert start.isoformat() == "2026-04-05T00:00:00+11:00"
    assert end.isoformat() == "2026-04-06T00:00:00+10:00"
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_every_graphql_document_in_the_page_is_valid_against_the_schema():
    import re
    from pathlib import Path

    from graphql import parse, validate

    from graphql_api.schema import schema

    template = (Path(__file__).resolve().parents[2] / "web/templates/web/dashboard.html").read_text()
    documents = re.findall(r"`((?:query|subscription|mutation) [^`]+)`", template)
    assert len(documents) == 5  # board, discussion, board catch-up, discussion catch-up, add comment
    for document in documents:
        assert validate(schema._schema, parse(document)) == [], document
