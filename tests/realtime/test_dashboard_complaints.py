"""The dashboard's open complaints panel as Django renders it (the live part: test_dashboard_browser.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.actors import Actor, Channel
from core.complaints import services
from core.complaints.defaults import ensure_lists
from core.complaints.models import Complaint
from tests import factories
from web.dashboard import global_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists(db) -> None:
    ensure_lists()


def test_the_panel_lists_open_complaints_in_local_time(client, staff, company):
    actor = Actor.from_user(staff)
    booking = factories.booking(actor=actor, time_zone="Australia/Sydney")
    customer = Actor.for_customer(booking.customer)
    mine = services.complaint_raise(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk,
                                    description="<b>Broken</b> tile")
    internal = services.complaint_raise(actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        description="Regular complainer", visible_to_customer=False,
                                        owner_id=staff.pk)
    done = services.complaint_raise(actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    description="old news")
    services.complaint_resolve(actor=actor, channel=Channel.GRAPHQL, complaint_id=done.pk, resolution="ok")
    Complaint.objects.filter(pk=mine.pk).update(created_at=datetime(2031, 3, 3, 4, 5, tzinfo=UTC))
    client.force_login(staff)

    response = client.get("/dashboard/")
    html = response.content.decode()
    panel = html.split('<section id="complaints">')[1].split("</section>")[0]
    assert '<span id="complaints-count">2</span> open' in panel
    assert "old news" not in panel
    assert "&lt;b&gt;Broken&lt;/b&gt; tile" in panel and "<b>Broken" not in panel
    rows = {row["gid"]: row for row in response.context["complaints"]}
    assert rows[global_id("Complaint", mine.pk)]["at"] == "Mon 3 Mar 15:05"  # the booking's zone (daylight time)
    assert rows[global_id("Complaint", mine.pk)]["booking"] == f"#{booking.number}"
    assert rows[global_id("Complaint", internal.pk)]["owner"] == staff.display_name
    assert rows[global_id("Complaint", internal.pk)]["internal"] is True
    assert f'data-complaint="{global_id("Complaint", internal.pk)}" data-created' in panel
    assert list(rows) == [global_id("Complaint", internal.pk), global_id("Complaint", mine.pk)]  # oldest first


def test_the_panel_reads_a_fixed_number_of_queries(client, staff):
    actor = Actor.from_user(staff)
    for n in range(4):
        services.complaint_raise(actor=actor, channel=Channel.GRAPHQL, booking_id=factories.booking().pk,
                                 description=f"#{n}", owner_id=staff.pk)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/")
    for n in range(8):
        services.complaint_raise(actor=actor, channel=Channel.GRAPHQL, booking_id=factories.booking().pk,
                                 description=f"more #{n}")
    with CaptureQueriesContext(connection) as more:
        assert len(client.get("/dashboard/").context["complaints"]) == 12
    assert len(more) == len(few)
