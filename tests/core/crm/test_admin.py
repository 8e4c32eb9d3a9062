"""The inbox in the Django admin: a read-only list with search and filters, and actions that go
through the services (so they leave history and events like any other front)."""

from __future__ import annotations

import pytest
from django.test import Client

from core.accounts.models import User
from core.actors import Actor, Channel
from core.crm import services
from core.crm.models import Inquiry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> tuple[Client, User]:
    user = User.objects.create_superuser(email="root@example.com", password="pw-root-123", full_name="Root Admin")
    client = Client()
    client.force_login(user)
    return client, user


def _open(body: str, contact: str) -> Inquiry:
    return services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body=body, contact=contact)


def test_the_list_searches_and_filters(admin_client):
    client, _ = admin_client
    gutters, windows = _open("Do you clean gutters?", "+61499000001"), _open("And windows?", "+61499000002")
    services.inquiry_resolve(actor=Actor.from_user(admin_client[1]), channel=Channel.ADMIN, inquiry_id=windows.pk)

    page = client.get("/admin/crm/inquiry/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Do you clean gutters?" in html and "And windows?" in html
    for name in ("kind", "status", "channel"):
        assert f"?{name}__exact=" in html  # the filters
    assert "Resolve the selected inquiries" in html and "Assign the selected inquiries to me" in html

    found = client.get("/admin/crm/inquiry/", {"q": "gutters"}).content.decode()
    assert "Do you clean gutters?" in found and "And windows?" not in found
    still_open = client.get("/admin/crm/inquiry/", {"status__exact": "open"}).content.decode()
    assert "Do you clean gutters?" in still_open and "And windows?" not in still_open

    detail = client.get(f"/admin/crm/inquiry/{gutters.pk}/change/")
    assert detail.status_code == 200
    assert 'name="body"' not in detail.content.decode()  # read-only: shown, never a form field
    assert client.post(f"/admin/crm/inquiry/{gutters.pk}/change/", {"body": "changed"}).status_code == 403
    gutters.refresh_from_db()
    assert gutters.body == "Do you clean gutters?"
    assert client.get("/admin/crm/inquiry/add/").status_code == 403


def test_resolve_and_assign_to_me_go_through_the_services(admin_client):
    client, user = admin_client
    first, second = _open("one", "+61499000001"), _open("two", "+61499000002")
    services.inquiry_resolve(actor=Actor.from_user(user), channel=Channel.GRAPHQL, inquiry_id=second.pk)

    response = client.post("/admin/crm/inquiry/", {"action": "assign_to_me", "_selected_action": [first.pk]})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.assignee == user
    entry = first.entries.get(action="assigned")
    assert (entry.channel, entry.actor_user, entry.data) == ("admin", user, {"assignee_id": [None, user.pk]})

    response = client.post("/admin/crm/inquiry/", {"action": "resolve", "_selected_action": [first.pk, second.pk]},
                           follow=True)
    first.refresh_from_db()
    assert (first.status, first.resolved_by) == ("resolved", user)
    assert first.entries.get(action="resolved").channel == "admin"
    assert second.entries.filter(action="resolved").count() == 1  # already resolved: refused, not resolved twice
    messages = [str(m) for m in response.context["messages"]]
    assert f"Inquiry {second.pk}: This inquiry is already resolved." in messages
    assert "1 inquiry(ies) resolved." in messages
