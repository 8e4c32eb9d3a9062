"""Custom fields in the admin: the forms run the services (log row, validation as form errors)."""

from __future__ import annotations

import pytest
from django.test import Client

from core.accounts.models import User
from core.jobdata.models import CustomField, JobDataLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    user = User.objects.create_superuser(email="root@example.com", password="pw-root-123", full_name="Root Admin")
    c = Client()
    c.force_login(user)
    return c


FORM = {"target": "booking", "key": "rooms", "field_type": "increment", "label": "Rooms", "help_text": "",
        "group": "", "service": "", "default": "2", "options": "[]", "min_value": "1", "max_value": "8",
        "step": "1"}


def test_add_a_field_through_the_service_and_see_its_errors(client):
    refused = client.post("/admin/jobdata/customfield/add/", {**FORM, "default": "9"})
    assert refused.status_code == 200 and "Between 1 and 8." in refused.content.decode()
    assert not CustomField.objects.exists() and not JobDataLog.objects.exists()

    added = client.post("/admin/jobdata/customfield/add/", FORM)
    assert added.status_code == 302, added.content.decode()[:2000]
    field = CustomField.objects.get()
    assert (field.key, field.default, field.max_value) == ("rooms", "2", 8)
    assert JobDataLog.objects.get().action == "field_created"

    changed = client.post(f"/admin/jobdata/customfield/{field.pk}/change/", {**FORM, "label": "Bedrooms"})
    assert changed.status_code == 302
    field.refresh_from_db()
    assert field.label == "Bedrooms"
    assert list(JobDataLog.objects.values_list("action", flat=True)) == ["field_created", "field_updated"]

    client.post("/admin/jobdata/customfield/", {"action": "archive", "_selected_action": [field.pk]})
    field.refresh_from_db()
    assert field.archived_at is not None
