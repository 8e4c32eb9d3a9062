"""Outgoing webhooks seen by a receiver on 127.0.0.1 (decisions 0060-0062): a change made over
GraphQL over HTTP arrives once, signed so that the receiver's own HMAC check passes; a receiver that
fails is tried again with back-off; one that stays down leaves a failed delivery that staff see and
send again; a change that rolls back sends nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.tasks import run_ready
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.integrations import services, switch
from core.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from core.integrations.sending import webhook_deliver
from graphql_api.schema import schema
from tests import factories
from tests.core.test_delivery_retries import time_passes
from tests.graphql_api.conftest import gid

from . import receiver as receivers
from .support import CREATE, graphql, verified

pytestmark = pytest.mark.django_db

CANCEL = """mutation($id: ID!) { cancelBooking(input: {id: $id, reason: "Plans changed"}) {
  booking { status } errors { code } } }"""
DELIVERIES = """query($endpointId: ID, $status: WebhookDeliveryStatus) {
  webhookDeliveries(endpointId: $endpointId, status: $status) { totalCount edges { node {
    id eventType status attempts responseStatus error endpoint { id } } } } }"""
REDELIVER = """mutation($id: ID!) { redeliverWebhook(id: $id) { webhookDelivery { status } errors { code } } }"""


def register(user, url: str, event_types=None) -> tuple[str, str]:
    answer = graphql(user, CREATE, input={"url": url, "description": "Accounts", "eventTypes": event_types})
    made = answer["data"]["createWebhookEndpoint"]
    assert made["errors"] == [] and made["secret"].startswith("whsec_")
    return made["webhookEndpoint"]["id"], made["secret"]


def test_a_booking_cancelled_over_graphql_arrives_once_signed(receiver, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    booking = factories.booking()
    endpoint_id, secret = register(staff, receiver.url, ["booking.cancelled"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(staff, CANCEL, id=gid("Booking", booking.pk))
    assert answer["data"]["cancelBooking"] == {"booking": {"status": "CANCELLED"}, "errors": []}
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/hooks" and got.headers["content-type"] == "application/json"
    assert verified(secret, got.headers, got.body) == 1
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 300
    envelope = json.loads(got.body)
    assert set(envelope) == {"id", "type", "created_at", "data"}
    assert envelope["id"] == got.headers["webhook-id"] and envelope["id"].startswith("evt_")
    assert envelope["type"] == "booking.cancelled"
    data = envelope["data"]
    assert data["booking_id"] == gid("Booking", booking.pk)  # the id the API knows it by
    assert (data["old_status"], data["new_status"], data["channel"], data["actor_kind"]) == (
        "pending", "cancelled", "graphql", "staff")
    assert "Plans changed" not in got.body.decode()  # free text stays in the API
    # the receiver may ask the API for more with the id it got
    again = graphql(staff, "query($id: ID!) { node(id: $id) { ... on Booking { number } } }", id=data["booking_id"])
    assert again["data"]["node"] == {"number": booking.number}
    # the delivery log over GraphQL
    log = graphql(staff, DELIVERIES, endpointId=endpoint_id)["data"]["webhookDeliveries"]
    assert log["totalCount"] == 1
    assert log["edges"][0]["node"] | {"id": None} == {
        "id": None, "eventType": "booking.cancelled", "status": "DELIVERED", "attempts": 1, "responseStatus": 200,
        "error": "", "endpoint": {"id": endpoint_id}}


def test_a_receiver_answering_500_then_200_gets_it_again_and_it_is_delivered_once(
        receiver, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    register(staff, receiver.url, ["booking.created"])
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.booking()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.QUEUED, 1, 500)
    assert delivery.response_excerpt == "receiver trouble" and delivery.next_attempt_at is not None
    assert run_ready() == 0  # the retry waits for its time
    time_passes()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 2, 200)
    assert time_passes() == 0
    first, second = receiver.received
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    assert json.loads(second.body)["data"]["booking_id"] == gid("Booking", booking.pk)


def test_a_receiver_that_stays_down_fails_after_the_cap_and_staff_redeliver_it(
        receiver, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    port = receiver.port
    _, secret = register(staff, receiver.url, ["booking.created"])
    receiver.stop()  # down: connections are refused
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking()
    time_passes()
    time_passes()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert "ConnectError" in delivery.error
    assert time_passes() == 0  # nothing retries a failed delivery on its own
    failed = graphql(staff, DELIVERIES, status="FAILED")["data"]["webhookDeliveries"]
    assert [edge["node"]["id"] for edge in failed["edges"]] == [gid("WebhookDelivery", delivery.pk)]
    assert failed["edges"][0]["node"]["attempts"] == 3
    back = receivers.start(port)  # the receiver is back where it was
    try:
        with django_capture_on_commit_callbacks(execute=True):
            answer = graphql(staff, REDELIVER, id=gid("WebhookDelivery", delivery.pk))
        assert answer["data"]["redeliverWebhook"] == {"webhookDelivery": {"status": "QUEUED"}, "errors": []}
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 4)
        assert len(back.received) == 1 and verified(secret, back.received[0].headers, back.received[0].body) == 1
    finally:
        back.stop()
    # delivered: sending it again is allowed (the same event id: the receiver dedupes)
    assert WebhookEndpoint.objects.get().consecutive_failures == 0


def test_a_change_that_rolls_back_records_no_delivery(receiver, staff_actor):
    services.webhook_endpoint_create(actor=staff_actor, channel=Channel.GRAPHQL, url=receiver.url)
    booking = factories.booking()
    WebhookDelivery.objects.all().delete()
    DBTaskResult.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        reason="x")
        assert WebhookDelivery.objects.filter(event_type="booking.cancelled").count() == 1  # with the change
        raise RuntimeError("the request failed after the cancel")
    assert not WebhookDelivery.objects.exists()
    assert not DBTaskResult.objects.filter(task_path="core.integrations.sending.deliver_webhook").exists()
    assert receiver.received == []


def test_two_workers_racing_for_one_delivery_send_it_once(receiver, staff_actor):
    endpoint = services.webhook_endpoint_create(actor=staff_actor, channel=Channel.GRAPHQL, url=receiver.url)
    delivery = services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk)
    first = webhook_deliver(actor=Actor.system(), channel=Channel.SYSTEM, delivery_id=delivery.pk, claim="task-1")
    second = webhook_deliver(actor=Actor.system(), channel=Channel.SYSTEM, delivery_id=delivery.pk, claim="task-2")
    assert first.status == second.status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0].body)["type"] == "webhook.test"
    assert verified(endpoint.secret, receiver.received[0].headers, receiver.received[0].body) == 1


def test_send_test_webhook_over_graphql_pings_the_endpoint(receiver, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    endpoint_id, secret = register(staff, receiver.url, ["invoice.paid"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(staff, "mutation($id: ID!) { sendTestWebhook(endpointId: $id) { webhookDelivery { "
                                "eventType } errors { code } } }", id=endpoint_id)
    assert answer["data"]["sendTestWebhook"] == {"webhookDelivery": {"eventType": "webhook.test"}, "errors": []}
    envelope = json.loads(receiver.received[0].body)
    assert envelope["type"] == "webhook.test" and envelope["data"]["endpoint_id"] == endpoint_id
    assert verified(secret, receiver.received[0].headers, receiver.received[0].body) == 1


def test_after_a_rotation_both_secrets_sign_for_a_day_then_the_new_one_alone(
        receiver, staff_actor, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    endpoint_id, old = register(staff, receiver.url)
    rotated = graphql(staff, "mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret "
                             "webhookEndpoint { previousSecretExpiresAt } errors { code } } }", id=endpoint_id)
    new = rotated["data"]["rotateWebhookEndpointSecret"]["secret"]
    assert new.startswith("whsec_") and new != old
    pk = WebhookEndpoint.objects.get().pk
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=pk)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verified(new, got.headers, got.body) == 1 and verified(old, got.headers, got.body) == 1
    WebhookEndpoint.objects.filter(pk=pk).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=pk)
    got = receiver.received[-1]
    assert verified(new, got.headers, got.body) == 1 and verified(old, got.headers, got.body) == 0
    # the secret is no field of the endpoint: it was given once
    fields = schema._schema.get_type("WebhookEndpoint").fields
    assert [name for name in fields if "secret" in name.lower()] == ["previousSecretExpiresAt"]


def test_an_endpoint_that_keeps_failing_is_disabled_with_a_reason_and_staff_turn_it_on(
        receiver, settings, django_capture_on_commit_callbacks):
    settings.FIELDOPS_RETRY_ATTEMPTS, settings.FIELDOPS_WEBHOOK_DISABLE_AFTER = 1, 2
    staff = factories.staff_user()
    endpoint_id, _ = register(staff, receiver.url, ["booking.created"])
    receiver.answers = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking()
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.active, endpoint.consecutive_failures) == (True, 1)
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking()
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 2)
    assert endpoint.disabled_reason == "2 deliveries in a row failed"
    assert switch.active() is False  # nothing left to record events for
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking()
    assert WebhookDelivery.objects.count() == 2 and len(receiver.received) == 2
    answer = graphql(staff, "mutation($id: ID!) { updateWebhookEndpoint(input: {id: $id, active: true}) { "
                            "webhookEndpoint { active disabledReason consecutiveFailures } errors { code } } }",
                     id=endpoint_id)
    assert answer["data"]["updateWebhookEndpoint"] == {
        "webhookEndpoint": {"active": True, "disabledReason": "", "consecutiveFailures": 0}, "errors": []}
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking()
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 1
