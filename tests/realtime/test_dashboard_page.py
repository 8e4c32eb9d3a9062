"""/dashboard/ served by Django: who may see it and what it renders (the live part runs in a
browser, see test_dashboard_browser.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
    # board, discussion, board catch-up, discussion catch-up, add comment; inbox, inbox catch-up, resolve, assign;
    # complaints, complaints catch-up
    assert len(documents) == 11
    for document in documents:
        assert validate(schema._schema, parse(document)) == [], document


def test_the_inbox_panel_lists_open_inquiries_in_local_time(client, staff, company):
    from core.crm import services as crm
    from core.crm.models import Inquiry

    company.time_zone = "Australia/Brisbane"
    company.save()
    actor = Actor.from_user(staff)
    at = datetime(2031, 3, 3, 4, 5, tzinfo=UTC)  # 14:05 in Brisbane, 15:05 in Sydney (daylight time)
    stranger = crm.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="<script>x</script> gutters?",
                                contact="+61499888777")
    booking = factories.booking(actor=actor, time_zone="Australia/Sydney")
    request = crm.inquiry_open(actor=Actor.for_customer(booking.customer), channel=Channel.SMS,
                               kind="cancellation_request", body="CANCEL", customer_id=booking.customer_id,
                               booking_ids=[booking.pk], contact=booking.customer.mobile)
    done = crm.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="already answered", contact="+61499000000")
    crm.inquiry_resolve(actor=actor, channel=Channel.GRAPHQL, inquiry_id=done.pk)
    Inquiry.objects.filter(pk__in=[stranger.pk, request.pk]).update(created_at=at)
    crm.inquiry_assign(actor=actor, channel=Channel.GRAPHQL, inquiry_id=request.pk, assignee_id=staff.pk)
    client.force_login(staff)

    response = client.get("/dashboard/")
    html = response.content.decode()
    panel = html.split('<section id="inbox">')[1].split("</section>")[0]
    assert '<span id="inbox-count">2</span> open' in panel
    assert f'data-inquiry="{global_id("Inquiry", stranger.pk)}"' in panel
    assert f'data-inquiry="{global_id("Inquiry", request.pk)}"' in panel
    assert "already answered" not in panel
    assert "&lt;script&gt;x&lt;/script&gt; gutters?" in panel and "<script>x" not in panel
    rows = {row["gid"]: row for row in response.context["inquiries"]}
    assert rows[global_id("Inquiry", stranger.pk)]["at"] == "Mon 3 Mar 14:05"  # the company's zone
    assert rows[global_id("Inquiry", request.pk)]["at"] == "Mon 3 Mar 15:05"  # its booking's zone
    assert rows[global_id("Inquiry", request.pk)]["bookings"] == f"#{booking.number}"
    assert rows[global_id("Inquiry", request.pk)]["assignee"] == staff.display_name
    assert 'class="cancellation_request"' in panel
    config = response.context["live_config"]
    assert config["me"] == global_id("User", staff.pk)
    assert config["kinds"] == {"INQUIRY": "Inquiry", "CANCELLATION_REQUEST": "Cancellation request"}


def test_the_inbox_panel_reads_a_fixed_number_of_queries(client, staff):
    """Customers, assignees and bookings of the listed inquiries are read together, not per row."""
    from core.crm import services as crm

    for n in range(12):
        booking = factories.booking()
        crm.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body=f"#{n}", customer_id=booking.customer_id,
                         booking_ids=[booking.pk], contact=booking.customer.mobile)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    for n in range(12):
        crm.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body=f"more #{n}", contact="+61499888777")
    with CaptureQueriesContext(connection) as more:
        assert len(client.get("/dashboard/").context["inquiries"]) == 24
    assert len(more) == len(few)


def test_the_board_is_rendered_on_the_companys_wall_clock_not_utc(client, staff, company):
    from core.company.services import company_update

    company_update(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, time_zone="Australia/Brisbane")
    start, _ = today_window("Australia/Brisbane")
    factories.booking(actor=Actor.from_user(staff), start=start + timedelta(hours=14), hours=2)
    client.force_login(staff)
    html = client.get("/dashboard/").content.decode()
    import re

    assert re.findall(r'<td class="time">([^<]*)</td>', html) == ["14:00\u201316:00"]  # as the live script shows it
