"""The admin is a front too: completing a job from the booking list is refused while a required
form is not submitted (the message names it, nothing changes); archiving a form runs the service."""

from __future__ import annotations

import pytest
from django.test import Client

from core.accounts.models import User
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingEvent
from core.jobdata import forms_services
from core.jobdata.models import FormTemplate, JobDataLog

from .conftest import accept

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def admin_client() -> Client:
    user = User.objects.create_superuser(email="root@example.com", password="pw-root-123", full_name="Root Admin")
    c = Client()
    c.force_login(user)
    return c


def test_completing_from_the_admin_waits_for_the_required_form(admin_client, booking, service, fieldworker,
                                                               staff_actor):
    accept(booking, fieldworker)
    worker = Actor.for_fieldworker(fieldworker)
    tpl = forms_services.form_template_create(actor=staff_actor, channel=G, name="Safety check",
                                              elements=[{"kind": "checklist", "label": "Power off",
                                                         "required": True}],
                                              service_ids=[service.pk], required_before_completion=True)
    booking_services.booking_confirm(actor=staff_actor, channel=G, booking_id=booking.pk)
    booking_services.booking_start(actor=worker, channel=G, booking_id=booking.pk)
    events = BookingEvent.objects.count()
    refused = admin_client.post("/admin/bookings/booking/", {"action": "complete", "_selected_action": [booking.pk]},
                                follow=True)
    assert "Submit the form &#x27;Safety check&#x27; before completing the job." in refused.content.decode()
    booking.refresh_from_db()
    assert booking.status == "in_progress" and BookingEvent.objects.count() == events
    forms_services.form_submit(actor=worker, channel=G, booking_id=booking.pk, template_id=tpl.pk,
                               answers={"power_off": True})
    done = admin_client.post("/admin/bookings/booking/", {"action": "complete", "_selected_action": [booking.pk]},
                             follow=True)
    assert "1 job(s) completed." in done.content.decode()
    assert BookingEvent.objects.filter(booking=booking, action="completed", channel="admin").exists()


def test_archiving_a_form_from_the_admin_runs_the_service(admin_client, staff_actor):
    tpl = forms_services.form_template_create(actor=staff_actor, channel=G, name="Checks",
                                              elements=[{"kind": "toggle", "label": "Tidy"}])
    response = admin_client.post("/admin/jobdata/formtemplate/", {"action": "archive", "_selected_action": [tpl.pk]},
                                 follow=True)
    assert response.status_code == 200
    assert FormTemplate.objects.get().archived_at is not None
    assert JobDataLog.objects.filter(action="form_template_archived", channel="admin").count() == 1
