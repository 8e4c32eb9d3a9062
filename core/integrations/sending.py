"""Sending one webhook delivery: the task, the claim, the signature and the outcome (decisions
0060, 0061). The lowest module of the app's writing side: ``services`` and ``handlers`` import it.

Each attempt POSTs the delivery's body unchanged with three headers (the Standard Webhooks names):
``webhook-id`` (the event's id, the same on every attempt: receivers dedupe on it),
``webhook-timestamp`` (seconds since the epoch, of this attempt) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed with the base64-decoded part of the
endpoint's ``whsec_`` secret, and a second ``v1,...`` after a space, by the previous secret, for
24 hours after a rotation. A 2xx answer is delivered; any other answer, a timeout or a connection
error is tried again with the project's back-off (decision 0034), then the row is ``failed``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from core.actors import Actor, Channel
from core.delivery import current_claim, next_attempt
from core.errors import DomainError, PermissionDenied

from . import addresses, switch
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
EXCERPT = 500
USER_AGENT = "Fieldops-Webhooks/1"


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signatures(endpoint: WebhookEndpoint, message_id: str, timestamp: int, body: str) -> str:
    signed = [signature(endpoint.secret, message_id, timestamp, body)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at \
            and endpoint.previous_secret_expires_at > timezone.now():
        signed.append(signature(endpoint.previous_secret, message_id, timestamp, body))
    return " ".join(signed)


@task()
def deliver_webhook(delivery_id: int) -> str:
    return webhook_deliver(actor=Actor.system(), channel=Channel.SYSTEM, delivery_id=delivery_id).status


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """(status code or None, response excerpt, error)."""
    try:
        addresses.check_url(endpoint.url)
    except DomainError as exc:
        return None, "", f"{exc.code}: {exc.message}"
    timestamp = int(time.time())
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": delivery.event_id,
               "webhook-timestamp": str(timestamp),
               "webhook-signature": signatures(endpoint, delivery.event_id, timestamp, delivery.body)}
    try:
        response = httpx.post(endpoint.url, content=delivery.body.encode(), headers=headers,
                              timeout=settings.FIELDOPS_WEBHOOK_TIMEOUT, follow_redirects=False)
    except httpx.TimeoutException as exc:
        return None, "", f"timeout: {exc}"[:EXCERPT]
    except httpx.HTTPError as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:EXCERPT]
    return response.status_code, response.text[:EXCERPT], ""


def _endpoint_failed(endpoint_id: int, now: datetime) -> None:
    """A delivery failed for good: count it; an endpoint failing too long or too often is turned off."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return
    too_many = endpoint.consecutive_failures >= settings.FIELDOPS_WEBHOOK_DISABLE_AFTER
    too_long = endpoint.failing_since is not None and \
        endpoint.failing_since <= now - timedelta(days=settings.FIELDOPS_WEBHOOK_DISABLE_DAYS)
    if not (too_many or too_long):
        return
    reason = (f"{endpoint.consecutive_failures} deliveries in a row failed" if too_many else
              f"every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")
    WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
        active=False, disabled_reason=reason[:300], disabled_at=now, updated_at=now)
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    transaction.on_commit(switch.refresh, robust=True)


def webhook_deliver(*, actor: Actor, channel: Channel, delivery_id: int, claim: str | None = None) -> WebhookDelivery:
    """Send one delivery once. Claimed first (``queued -> sending`` with the running task's id): a
    second task finds it taken and sends nothing; the same task run again after its worker was lost
    takes it back (decision 0033)."""
    if not actor.is_system:
        raise PermissionDenied("Only the system sends webhooks.")
    claim = current_claim() if claim is None else claim
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, claim=claim, updated_at=now)
    if not claimed and claim:
        claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, claim=claim).update(
            updated_at=now)
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        logger.info("webhook delivery %s is gone; nothing to send", delivery_id)
        return WebhookDelivery(pk=delivery_id, status="missing")
    if not claimed:
        return delivery
    endpoint = delivery.endpoint
    delivery.attempts += 1
    retry_at = None
    started = time.monotonic()
    if not endpoint.active:
        code, excerpt, error = None, "", "The endpoint is disabled."
    else:
        code, excerpt, error = _post(endpoint, delivery)
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.response_status, delivery.response_excerpt, delivery.error = code, excerpt, error
    now = timezone.now()
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    else:
        if not error:
            delivery.error = f"The endpoint answered {code}."
        retry_at = next_attempt(delivery.attempts, now=now) if endpoint.active else None
        delivery.status = DeliveryStatus.QUEUED if retry_at else DeliveryStatus.FAILED
    delivery.next_attempt_at, delivery.updated_at = retry_at, now
    values = {name: getattr(delivery, name) for name in (
        "status", "attempts", "next_attempt_at", "response_status", "response_excerpt", "error", "duration_ms",
        "updated_at", "delivered_at")}
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**values)
        if delivery.status == DeliveryStatus.DELIVERED:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).exclude(consecutive_failures=0, failing_since=None).update(
                consecutive_failures=0, failing_since=None)
        elif delivery.status == DeliveryStatus.FAILED and endpoint.active:
            _endpoint_failed(endpoint.pk, now)
        if retry_at is not None:
            deliver_webhook.using(run_after=retry_at).enqueue(delivery.pk)
    logger.info("webhook delivery %s to endpoint %s: %s (attempt %s, answer %s)", delivery.pk, endpoint.pk,
                delivery.status, delivery.attempts, code)
    return delivery
