"""Leads in the Django admin: filters by stage, source and deletion; soft delete and restore as
actions through the services; the lead sources list written through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from core.accounts.models import User
from core.actors import Actor, Channel
from core.crm import services
from core.crm.models import InquiryEntry, LeadSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> tuple[Client, User]:
    user = User.objects.create_superuser(email="root@example.com", password="pw-root-123", full_name="Root Admin")
    client = Client()
    client.force_login(user)
    return client, user


def test_the_inbox_filters_by_lead_and_deletes_and_restores_through_the_services(admin_client):
    client, user = admin_client
    lead = services.inquiry_create(actor=Actor.from_user(user), channel=Channel.GRAPHQL, prospect_name="Pat Lee",
                                   prospect_email="pat@example.com")
    html = client.get("/admin/crm/inquiry/").content.decode()
    for name in ("lead_status", "lead_source__id"):
        assert f"?{name}__exact=" in html, name
    assert "Pat Lee" in html and client.get("/admin/crm/inquiry/", {"q": "pat@example"}).status_code == 200

    client.post("/admin/crm/inquiry/", {"action": "soft_delete", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.deleted_at is not None and lead.deleted_by_id == user.pk
    entry = InquiryEntry.objects.get(inquiry=lead, action="deleted")
    assert (entry.channel, entry.actor_user_id) == ("admin", user.pk)
    client.post("/admin/crm/inquiry/", {"action": "restore", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.deleted_at is None and lead.entries.filter(action="restored", channel="admin").exists()


def test_the_lead_sources_list_is_written_through_the_services(admin_client):
    client, _ = admin_client
    response = client.post("/admin/crm/leadsource/add/", {"name": "Referral", "active": "on"})
    assert response.status_code == 302
    assert LeadSource.objects.filter(name="Referral", active=True, door=None).exists()
    before = list(LeadSource.objects.order_by("pk").values())
    again = client.post("/admin/crm/leadsource/add/", {"name": "referral", "active": "on"})
    assert again.status_code == 200 and "A lead source with this name exists." in again.content.decode()
    website = LeadSource.objects.get(door="website")
    off = client.post(f"/admin/crm/leadsource/{website.pk}/change/", {"name": website.name})
    assert off.status_code == 200 and "The source a door files with stays active." in off.content.decode()
    assert list(LeadSource.objects.order_by("pk").values()) == before
