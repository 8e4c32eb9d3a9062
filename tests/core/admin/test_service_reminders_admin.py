"""Reminders to book again in the Django admin (decision 0625): the service's setting is saved by
``service_update``; the reminders are a read-only list with search and filters whose one action,
withdraw, goes through ``service_reminder_withdraw``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Channel
from core.bookings import services as booking_services
from core.catalog.models import Service
from core.outreach.models import ServiceReminder
from tests import factories

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db


def _reminder(service) -> ServiceReminder:
    staff = factories.staff_actor()
    booking = factories.booking(svc=service, start=timezone.now() - timedelta(hours=3))
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)
    return ServiceReminder.objects.get(booking=booking)


def test_the_service_form_sets_the_days_through_the_service(browser):
    service = factories.service(name="Pest control")
    url = f"/admin/catalog/service/{service.pk}/change/"
    assert submit(browser, url, "service_form", rebook_reminder_days="365").status_code == 302
    assert Service.objects.get().rebook_reminder_days == 365
    before = whole_state()
    response = submit(browser, url, "service_form", rebook_reminder_days="2000")
    assert "rebook_reminder_days" in errors_of(response)
    assert whole_state() == before


def test_the_list_searches_and_filters_and_withdraws_through_the_service(browser):
    pests = _reminder(factories.service(name="Pest control", rebook_reminder_days=180))
    carpets = _reminder(factories.service(name="Carpet clean", rebook_reminder_days=90))
    page = browser.get("/admin/outreach/servicereminder/", {"q": "Pest"})
    assert page.status_code == 200
    shown = list(page.context["cl"].queryset)
    assert shown == [pests]
    page = browser.get("/admin/outreach/servicereminder/", {"status__exact": "pending"})
    assert set(page.context["cl"].queryset) == {pests, carpets}
    assert browser.get(f"/admin/outreach/servicereminder/{pests.pk}/change/").status_code == 200  # shown, read-only
    assert browser.get("/admin/outreach/servicereminder/add/").status_code == 403
    response = browser.post("/admin/outreach/servicereminder/", {"action": "withdraw",
                                                                 "_selected_action": [pests.pk]})
    assert response.status_code == 302
    pests.refresh_from_db()
    carpets.refresh_from_db()
    assert (pests.status, pests.reason, carpets.status) == ("withdrawn", "by_staff", "pending")
    # a second withdraw is refused per row and changes nothing
    before = whole_state()
    browser.post("/admin/outreach/servicereminder/", {"action": "withdraw", "_selected_action": [pests.pk]})
    assert whole_state() == before


def test_the_list_shows_and_filters_the_channel_each_went_by(browser, twilio_sms):
    from core.actors import Actor
    from core.outreach import services as outreach

    service = factories.service(name="Pest control", rebook_reminder_days=30)
    texted = _reminder(service)
    ServiceReminder.objects.filter(pk=texted.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    mailed = _reminder(factories.service(name="Carpet clean", rebook_reminder_days=30))
    mailed.customer.preferred_channel = "email"
    mailed.customer.save(update_fields=["preferred_channel"])
    ServiceReminder.objects.filter(pk=mailed.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert outreach.service_reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM) == 2
    page = browser.get("/admin/outreach/servicereminder/", {"channel__exact": "sms"})
    assert list(page.context["cl"].queryset) == [texted]
    assert "SMS" in page.content.decode()
    page = browser.get("/admin/outreach/servicereminder/", {"channel__exact": "email"})
    assert list(page.context["cl"].queryset) == [mailed]
