"""Webhooks in the Django admin (decisions 0040, 0060): an endpoint is added through its service (the
secret shown once), a refused URL is shown on its field and changes nothing; deliveries are listed,
searched and filtered, and sent again by an action through the service."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.integrations import services
from core.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

from .support import errors_of, form_data, whole_state

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hooks"


def submit_with_url(browser, page: str, **changes):
    """``support.submit``, for a form whose field is called ``url`` (its parameter's name)."""
    data = form_data(browser.get(page).content.decode(), "webhookendpoint_form")
    data.update(changes)
    return browser.post(page, data)


def test_an_endpoint_is_added_through_the_service_and_its_secret_shown_once(browser):
    response = submit_with_url(browser, "/admin/integrations/webhookendpoint/add/", url=URL, description="Accounts",
                               event_types=["booking.cancelled", "invoice.paid"])
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.event_types, endpoint.active) == (URL, ["booking.cancelled", "invoice.paid"], True)
    shown = browser.get(response["Location"]).content.decode()
    assert endpoint.secret in shown  # once, in the message after the save
    assert endpoint.secret not in browser.get(f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/"
                                              ).content.decode()
    before = whole_state()
    response = submit_with_url(browser, f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/",
                               url="https://169.254.169.254/latest/")
    assert "url" in errors_of(response)
    assert whole_state() == before


def test_deliveries_are_listed_and_sent_again_by_action(browser, root):
    staff = Actor.from_user(root)
    endpoint = services.webhook_endpoint_create(actor=staff, channel=Channel.ADMIN, url=URL)
    delivery = services.webhook_send_test(actor=staff, channel=Channel.ADMIN, endpoint_id=endpoint.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=3)
    page = browser.get("/admin/integrations/webhookdelivery/?status__exact=failed&q=" + delivery.event_id)
    assert page.status_code == 200 and "webhook.test" in page.content.decode()
    assert browser.get("/admin/integrations/webhookendpoint/?q=127.0.0.1").status_code == 200
    response = browser.post("/admin/integrations/webhookdelivery/", {"action": "redeliver",
                                                                     "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED  # its task waits for the commit
    response = browser.post("/admin/integrations/webhookdelivery/", {"action": "redeliver",
                                                                     "_selected_action": [delivery.pk]}, follow=True)
    assert "being sent" in response.content.decode()  # refused per row, nothing changed
