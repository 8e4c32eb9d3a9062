"""Webhook endpoints and their deliveries as GraphQL types (decisions 0060-0062). Staff only: rows
reach a caller through ``core.integrations.selectors`` (decision 0103); the signing secret is never
a field, it is given once in the payload that made it."""

from __future__ import annotations

from datetime import datetime

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from core.integrations.selectors import visible_deliveries, visible_endpoints

from ..context import actor_from_info
from ..enums import _mirror
from ..nodes import PK

WebhookDeliveryStatusEnum = _mirror(DeliveryStatus, "WebhookDeliveryStatus",
                                    "Where a webhook delivery is: QUEUED (waiting, or waiting to be tried again), "
                                    "SENDING, DELIVERED (a 2xx answer), FAILED (attempts used up).")


@strawberry.type(description="An event type an endpoint may receive.")
class WebhookEventType:
    name: str = strawberry.field(description="As in the envelope's `type`, e.g. booking.cancelled.")
    description: str


@strawberry_django.type(WebhookEndpoint, name="WebhookEndpoint",
                        description="A URL of another system that receives signed events (staff).")
class WebhookEndpointNode(relay.Node):
    _id_attr = PK
    url: str
    description: str
    active: bool = strawberry_django.field(description="Off: nothing is recorded or sent for it.")
    disabled_reason: str = strawberry_django.field(
        description="Why the system turned it off (its deliveries kept failing); empty otherwise.")
    disabled_at: datetime | None
    consecutive_failures: int = strawberry_django.field(description="Failed deliveries since the last delivered.")
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = strawberry_django.field(
        description="After a rotation, until when the old secret signs too.")
    created_at: datetime
    updated_at: datetime

    @strawberry_django.field(only=["event_types"],
                             description="The event types it receives; empty: every type.")
    def event_types(self) -> list[str]:
        return list(self.event_types or [])  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_staff else visible_endpoints(actor_from_info(info))


@strawberry_django.type(WebhookDelivery, name="WebhookDelivery",
                        description="One event sent (or to send) to one endpoint, with its attempts (staff).")
class WebhookDeliveryNode(relay.Node):
    _id_attr = PK
    endpoint: WebhookEndpointNode
    event_id: str = strawberry_django.field(description="The envelope's id and the webhook-id header.")
    event_type: str
    body: str = strawberry_django.field(description="The JSON sent, the same on every attempt.")
    status: WebhookDeliveryStatusEnum  # type: ignore[valid-type]
    attempts: int
    next_attempt_at: datetime | None
    response_status: int | None = strawberry_django.field(description="The last attempt's HTTP status.")
    response_excerpt: str = strawberry_django.field(description="The start of the last answer's body.")
    error: str = strawberry_django.field(description="Why the last attempt failed.")
    duration_ms: int | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_staff else visible_deliveries(actor_from_info(info))
