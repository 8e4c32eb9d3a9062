"""The flag and the fee rule are set where staff set them (GraphQL, the Django admin) and the
flag decides what new e-mails carry."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from core.accounts.models import User
from core.actors import Actor
from core.company.selectors import get_company
from tests import factories
from tests.core.outreach.support import deliver
from tests.graphql_api.conftest import run

pytestmark = pytest.mark.django_db

UPDATE = """mutation($input: UpdateCompanySettingsInput!) { updateCompanySettings(input: $input) {
  settings { customersMayCancel cancellationFeeType cancellationFeeAmount cancellationNoticeHours }
  errors { code } } }"""


def test_staff_turn_the_flag_off_in_graphql_and_new_emails_carry_no_cancel_link():
    staff = factories.staff_actor()
    factories.booking()
    deliver()
    assert "/cancel" in mail.outbox[-1].body
    result = run(staff, UPDATE, input={"customersMayCancel": False, "cancellationFeeType": "FIXED",
                                       "cancellationFeeAmount": "20.00", "cancellationNoticeHours": 12})
    assert result["data"]["updateCompanySettings"]["settings"] == {
        "customersMayCancel": False, "cancellationFeeType": "FIXED", "cancellationFeeAmount": "20.00",
        "cancellationNoticeHours": 12}
    mail.outbox = []
    factories.booking()
    deliver()
    assert len(mail.outbox) == 1 and "/cancel" not in mail.outbox[0].body
    refused = run(Actor.for_customer(factories.customer()), UPDATE, input={"customersMayCancel": True})
    assert refused["data"]["updateCompanySettings"]["errors"][0]["code"] == "forbidden"
    assert get_company().customers_may_cancel is False


def test_the_admin_shows_the_flag_under_customer_portal_settings():
    admin = User.objects.create_superuser(email="root@example.com", password="pw-root-123", full_name="Root")
    client = Client()
    client.force_login(admin)
    get_company()
    page = client.get("/admin/company/company/1/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Allow customers to cancel bookings through the customer portal and email links" in body
    assert "Financial settings: cancellation fee" in body and 'name="cancellation_fee_type"' in body


def test_the_admin_marks_requests_declined_through_the_service():
    from django.utils import timezone

    from core.outreach import services as outreach
    from core.outreach.models import BookingRequest

    admin = User.objects.create_superuser(email="root2@example.com", password="pw-root-123", full_name="Root")
    customer = factories.customer()
    request = outreach.booking_request_create(actor=Actor.for_customer(customer), channel="portal",
                                              preferred_date=timezone.localdate())
    client = Client()
    client.force_login(admin)
    response = client.post("/admin/outreach/bookingrequest/",
                           {"action": "mark_declined", "_selected_action": [request.pk]})
    assert response.status_code == 302
    request = BookingRequest.objects.get()
    assert (request.status, request.resolved_by) == ("declined", admin)
