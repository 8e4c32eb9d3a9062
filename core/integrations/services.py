"""Webhook endpoints and deliveries: every write (decisions 0060-0062). Staff manage endpoints (the
company's settings are theirs, ``company_update``); the system records deliveries from the domain
events (``handlers``) and sends them (``sending``)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

from . import addresses, switch
from .envelopes import EVENT_TYPES, TEST_EVENT, envelope, new_event_id, relay_id
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .sending import deliver_webhook

MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 200
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _ensure_staff(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise DomainError("unauthenticated", "Sign in first.")
    if not actor.is_staff:
        raise PermissionDenied("Only staff manage webhooks.")


def _event_types(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed("eventTypes", "A list of event types.", code="invalid")
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in EVENT_TYPES:
            raise ValidationFailed(f"eventTypes.{index}", f"Not an event type: {str(item)[:60]!r}.",
                                   code="unknown_event_type")
        if item not in out:
            out.append(item)
    return out


def _description(value: Any) -> str:
    value = "" if value is None else str(value).strip()
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed("description", f"At most {MAX_DESCRIPTION} characters.", code="too_long")
    return value


def _locked(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("webhook endpoint")
    return endpoint


def _flag_changed(active: bool) -> None:
    if active:
        switch.set_active(True)  # at once: a false "yes" until the commit costs a query, never an event
    transaction.on_commit(switch.refresh, robust=True)


def webhook_endpoint_create(*, actor: Actor, channel: Channel, url: str, description: str = "",
                            event_types: Iterable[str] | None = None, active: bool = True) -> WebhookEndpoint:
    """Register an endpoint; its new ``secret`` is for the caller to show once."""
    _ensure_staff(actor)
    description = _description(description)
    kinds = _event_types(list(event_types) if event_types is not None else None)
    url = addresses.check_url(url)
    with transaction.atomic():
        if WebhookEndpoint.objects.count() >= MAX_ENDPOINTS:
            raise DomainError("too_many", f"At most {MAX_ENDPOINTS} webhook endpoints.")
        endpoint = WebhookEndpoint.objects.create(url=url, description=description, event_types=kinds,
                                                  active=bool(active), secret=new_secret(), created_by=actor.user)
        _flag_changed(endpoint.active)
    return endpoint


def webhook_endpoint_update(*, actor: Actor, channel: Channel, endpoint_id: int, **changes: Any) -> WebhookEndpoint:
    """Change ``url``, ``description``, ``event_types`` or ``active`` (only those given). Turning an
    endpoint the system disabled back on clears its failure count and reason."""
    _ensure_staff(actor)
    unknown = set(changes) - {"url", "description", "event_types", "active"}
    if unknown:
        raise DomainError("invalid", f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    if "description" in changes:
        clean["description"] = _description(changes["description"])
    if "event_types" in changes:
        clean["event_types"] = _event_types(changes["event_types"])
    if "active" in changes:
        if changes["active"] is None:
            raise ValidationFailed("active", "true or false.", code="required")
        clean["active"] = bool(changes["active"])
    if "url" in changes:
        clean["url"] = addresses.check_url(changes["url"])  # resolves the name: before the row is locked
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if clean.get("active") and not endpoint.active:
            endpoint.disabled_reason, endpoint.disabled_at = "", None
            endpoint.consecutive_failures, endpoint.failing_since = 0, None
        for key, value in clean.items():
            setattr(endpoint, key, value)
        endpoint.save()
        _flag_changed(endpoint.active)
    return endpoint


def webhook_endpoint_rotate_secret(*, actor: Actor, channel: Channel, endpoint_id: int) -> WebhookEndpoint:
    """A new secret, to show once; the old one keeps signing beside it for 24 hours."""
    _ensure_staff(actor)
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
        endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, actor: Actor, channel: Channel, endpoint_id: int) -> None:
    """Remove an endpoint with its delivery log."""
    _ensure_staff(actor)
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        endpoint.delete()
        transaction.on_commit(switch.refresh, robust=True)


def _record(endpoint: WebhookEndpoint, event_id: str, event_type: str, body: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_id=event_id, event_type=event_type, body=body)
    deliver_webhook.enqueue(delivery.pk)  # a task row in this transaction; ids only (0037)
    return delivery


def webhook_event_record(*, actor: Actor, channel: Channel, event_type: str, data: dict[str, Any],
                         occurred_at: str = "", endpoints: Iterable[WebhookEndpoint]) -> list[WebhookDelivery]:
    """One delivery row and its task per active endpoint that wants ``event_type``, in the caller's
    transaction (the durable subscriber's), all with one event id."""
    if not actor.is_system:
        raise PermissionDenied("Only the system records webhook events.")
    if event_type not in EVENT_TYPES:
        raise ValidationFailed("eventType", f"Not an event type: {event_type[:60]!r}.", code="unknown_event_type")
    event_id = new_event_id()
    body = envelope(event_id, event_type, occurred_at or timezone.now(), data)
    return [_record(endpoint, event_id, event_type, body) for endpoint in endpoints
            if endpoint.active and endpoint.wants(event_type)]


def webhook_send_test(*, actor: Actor, channel: Channel, endpoint_id: int) -> WebhookDelivery:
    """A ``webhook.test`` event to one endpoint, whatever types it receives."""
    _ensure_staff(actor)
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if not endpoint.active:
            raise DomainError("webhook_endpoint_inactive", "The endpoint is turned off; turn it on first.")
        event_id = new_event_id()
        body = envelope(event_id, TEST_EVENT, timezone.now(), {
            "endpoint_id": relay_id("WebhookEndpoint", endpoint.pk), "message": "A test event from Fieldops."})
        return _record(endpoint, event_id, TEST_EVENT, body)


def webhook_redeliver(*, actor: Actor, channel: Channel, delivery_id: int) -> WebhookDelivery:
    """Send a failed (or delivered) delivery again: the same body and event id, a new claim. Attempts
    keep counting, as a retried e-mail's do (decision 0034): one more try per redelivery."""
    _ensure_staff(actor)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound("webhook delivery")
        if delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
            raise DomainError("webhook_in_progress", f"The delivery is {delivery.status}; it is being sent.")
        if not WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, active=True).exists():
            raise DomainError("webhook_endpoint_inactive", "The endpoint is turned off; turn it on first.")
        delivery.status, delivery.claim, delivery.next_attempt_at = DeliveryStatus.QUEUED, "", None
        delivery.updated_at = timezone.now()
        delivery.save(update_fields=["status", "claim", "next_attempt_at", "updated_at"])
        deliver_webhook.enqueue(delivery.pk)
    return delivery


LOST_AFTER = timedelta(minutes=10)


def delivery_lost(delivery: WebhookDelivery, *, now: datetime | None = None) -> bool:
    """Queued or sending for a while with no live task to finish it (as ``outreach.services.email_lost``)."""
    from core.tasking import task_alive

    if delivery.status not in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
        return False
    now = now or timezone.now()
    if delivery.status == DeliveryStatus.SENDING and delivery.claim:
        return not task_alive(delivery.claim)
    if delivery.status == DeliveryStatus.QUEUED and delivery.next_attempt_at is not None:
        return delivery.next_attempt_at < now - LOST_AFTER
    return delivery.updated_at < now - LOST_AFTER


def requeue_stuck(limit: int = 500) -> int:
    """Deliveries left queued or sending with no task to finish them: queued again with a fresh task
    (the claim keeps it to one send). Called by the deliveries sweep (``config.jobs``)."""
    old = timezone.now() - LOST_AFTER
    count = 0
    for delivery in (WebhookDelivery.objects.filter(status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING),
                                                    updated_at__lt=old).order_by("pk")[:limit]):
        if not delivery_lost(delivery):
            continue
        with transaction.atomic():
            if WebhookDelivery.objects.filter(pk=delivery.pk, status=delivery.status,
                                              updated_at=delivery.updated_at).update(
                    status=DeliveryStatus.QUEUED, claim="", next_attempt_at=None, updated_at=timezone.now()):
                deliver_webhook.enqueue(delivery.pk)
                count += 1
    return count
