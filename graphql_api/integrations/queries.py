from __future__ import annotations

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from core.errors import ValidationFailed
from core.integrations.envelopes import EVENT_TYPES
from core.integrations.models import DeliveryStatus
from core.integrations.selectors import visible_deliveries, visible_endpoints

from ..context import actor_from_info
from ..ids import decode_id, decode_optional
from ..pagination import CappedConnection
from ..permissions import require_staff
from .types import WebhookDeliveryNode, WebhookDeliveryStatusEnum, WebhookEndpointNode, WebhookEventType


@strawberry.type
class IntegrationsQuery:
    @strawberry_django.connection(CappedConnection[WebhookEndpointNode],
                                  description="Webhook endpoints (staff), newest first.")
    def webhook_endpoints(self, info: Info, active: bool | None = None) -> Iterable[WebhookEndpointNode]:
        qs = visible_endpoints(require_staff(info))
        if active is not None:
            qs = qs.filter(active=active)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="One webhook endpoint (staff); null when there is no such endpoint.")
    def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpointNode | None:
        pk = decode_id(id, "WebhookEndpoint")
        return optimize(visible_endpoints(actor_from_info(info)).filter(pk=pk), info).first()  # type: ignore

    @strawberry_django.connection(CappedConnection[WebhookDeliveryNode],
                                  description="The webhook delivery log (staff), newest first; filter by endpoint, "
                                              "status (e.g. FAILED: what may need a redelivery) and event type.")
    def webhook_deliveries(self, info: Info, endpoint_id: strawberry.ID | None = None,
                           status: WebhookDeliveryStatusEnum | None = None,  # type: ignore[valid-type]
                           event_type: str | None = None) -> Iterable[WebhookDeliveryNode]:
        qs = visible_deliveries(require_staff(info))
        endpoint = decode_optional(endpoint_id, "WebhookEndpoint", "endpointId")
        if endpoint is not None:
            qs = qs.filter(endpoint_id=endpoint)
        if status is not None:
            qs = qs.filter(status=DeliveryStatus(status.value))
        if event_type is not None:
            if len(event_type) > 40:
                raise ValidationFailed("eventType", "Not an event type.", code="unknown_event_type")
            qs = qs.filter(event_type=event_type)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="The event types an endpoint may receive.")
    def webhook_event_types(self) -> list[WebhookEventType]:
        return [WebhookEventType(name=name, description=text) for name, text in EVENT_TYPES.items()]
