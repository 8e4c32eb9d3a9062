"""Webhook endpoints and deliveries as staff read them; nobody else sees any (decision 0060)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.actors import Actor

from .models import WebhookDelivery, WebhookEndpoint


def visible_endpoints(actor: Actor) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all() if actor.is_staff else WebhookEndpoint.objects.none()


def visible_deliveries(actor: Actor) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.all() if actor.is_staff else WebhookDelivery.objects.none()
