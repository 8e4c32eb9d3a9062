"""Webhook mutations (decisions 0060-0062): staff register, change, rotate and delete endpoints, send
a test event and send a delivery again. The signing secret is in the payload of create and rotate
only."""

from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.types import Info

from core.integrations import services

from ..crm.leads import DeletedPayload
from ..crm.lists import _deleted
from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import UNSET, given, who
from .types import WebhookDeliveryNode, WebhookEndpointNode


@strawberry.input
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="https://... (http only to this machine where allowed).")
    description: str = ""
    event_types: list[str] | None = strawberry.field(
        default=None, description="Event types to receive (webhookEventTypes); null or empty: every type.")
    active: bool = True


@strawberry.input(description="Change only the fields you send.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    url: str | None = UNSET
    description: str | None = UNSET
    event_types: list[str] | None = strawberry.field(default=UNSET, description="Empty: every type.")
    active: bool | None = strawberry.field(
        default=UNSET, description="true turns on an endpoint the system disabled, clearing its failures.")


@strawberry.type
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpointNode | None = None
    secret: str | None = strawberry.field(default=None, description=(
        "The signing secret (whsec_...), given here once: on create and on rotation."))
    errors: list[UserError]


@strawberry.type
class WebhookDeliveryPayload:
    webhook_delivery: WebhookDeliveryNode | None = None
    errors: list[UserError]


def _endpoint_with_secret(work) -> WebhookEndpointPayload:
    payload = attempt(WebhookEndpointPayload, "webhook_endpoint", work)
    if payload.webhook_endpoint is not None:
        payload.secret = payload.webhook_endpoint.secret  # type: ignore[attr-defined]
    return payload


def _update(info: Info, data: UpdateWebhookEndpointInput):
    changes = given(url=data.url, description=data.description, event_types=data.event_types, active=data.active)
    if changes.get("event_types", ()) is None:
        changes["event_types"] = []
    return services.webhook_endpoint_update(**who(info), endpoint_id=decode_id(data.id, "WebhookEndpoint"),
                                            **changes)


@strawberry.type
class IntegrationsMutation:
    @strawberry_django.mutation(description="Register a webhook endpoint (staff); the payload gives its secret once.")
    def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookEndpointPayload:
        return _endpoint_with_secret(lambda: services.webhook_endpoint_create(
            **who(info), url=input.url, description=input.description, event_types=input.event_types,
            active=input.active))

    @strawberry_django.mutation(description="Change a webhook endpoint's URL, description, event types or switch "
                                            "(staff).")
    def update_webhook_endpoint(self, info: Info, input: UpdateWebhookEndpointInput) -> WebhookEndpointPayload:
        return attempt(WebhookEndpointPayload, "webhook_endpoint", lambda: _update(info, input))

    @strawberry_django.mutation(description="A new signing secret, given once; the old one signs beside it for "
                                            "24 hours (staff).")
    def rotate_webhook_endpoint_secret(self, info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
        return _endpoint_with_secret(lambda: services.webhook_endpoint_rotate_secret(
            **who(info), endpoint_id=decode_id(id, "WebhookEndpoint")))

    @strawberry_django.mutation(description="Remove a webhook endpoint and its delivery log (staff).")
    def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        return _deleted(lambda: services.webhook_endpoint_delete(
            **who(info), endpoint_id=decode_id(id, "WebhookEndpoint")), id)

    @strawberry_django.mutation(description="Send a delivery again, same event id and body (staff).")
    def redeliver_webhook(self, info: Info, id: strawberry.ID) -> WebhookDeliveryPayload:
        return attempt(WebhookDeliveryPayload, "webhook_delivery", lambda: services.webhook_redeliver(
            **who(info), delivery_id=decode_id(id, "WebhookDelivery")))

    @strawberry_django.mutation(description="Send a `webhook.test` event to an endpoint (staff).")
    def send_test_webhook(self, info: Info, endpoint_id: strawberry.ID) -> WebhookDeliveryPayload:
        return attempt(WebhookDeliveryPayload, "webhook_delivery", lambda: services.webhook_send_test(
            **who(info), endpoint_id=decode_id(endpoint_id, "WebhookEndpoint", "endpointId")))
