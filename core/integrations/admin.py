"""The admin of webhooks: endpoints are added and changed through their services (the secret shown
once in a message), deliveries are read here and sent again by an action (decisions 0040, 0060)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.actors import Actor
from core.service_admin import CHANNEL, ReadOnlyAdmin, ServiceAdmin, ServiceForm, service_action

from . import services
from .envelopes import EVENT_TYPES
from .models import WebhookDelivery, WebhookEndpoint

FIELDS = ("url", "description", "event_types", "active")


class WebhookEndpointForm(ServiceForm):
    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES.items()], required=False,
        widget=forms.CheckboxSelectMultiple, help_text="None ticked: every type.")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "active", "disabled_reason", "consecutive_failures", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    fields = FIELDS
    actions = ["rotate_secret", "send_test"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["disabled_reason", "disabled_at", "consecutive_failures", "failing_since",
                "previous_secret_expires_at"] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*FIELDS, *self.get_readonly_fields(request, obj))

    def write(self, request: HttpRequest, *, actor: Actor, pk: Any, data: dict[str, Any],
              changed: list[str]) -> WebhookEndpoint:
        if pk is None:
            return services.webhook_endpoint_create(actor=actor, channel=CHANNEL, url=data["url"],
                                                    description=data.get("description", ""),
                                                    event_types=data.get("event_types") or [],
                                                    active=data.get("active", True))
        return services.webhook_endpoint_update(actor=actor, channel=CHANNEL, endpoint_id=pk,
                                                **{key: data[key] for key in changed if key in FIELDS})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(request, f"Signing secret (shown this once): {obj.secret}", level=messages.WARNING)

    @admin.action(description="Rotate the signing secret (the old one signs for 24 hours more)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        def rotate(actor: Actor, pk: Any) -> None:
            endpoint = services.webhook_endpoint_rotate_secret(actor=actor, channel=CHANNEL, endpoint_id=pk)
            self.message_user(request, f"{endpoint.url}: new signing secret (shown this once): {endpoint.secret}",
                              level=messages.WARNING)

        service_action(request, queryset, rotate, "secrets rotated", admin_obj=self)

    @admin.action(description="Send a test event")
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        service_action(request, queryset, lambda actor, pk: services.webhook_send_test(
            actor=actor, channel=CHANNEL, endpoint_id=pk), "test events queued", admin_obj=self)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "endpoint", "status", "attempts", "response_status", "duration_ms",
                    "next_attempt_at", "created_at"]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["event_id", "endpoint__url", "error"]
    list_select_related = ["endpoint"]
    actions = ["redeliver"]

    @admin.action(description="Send again")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        service_action(request, queryset, lambda actor, pk: services.webhook_redeliver(
            actor=actor, channel=CHANNEL, delivery_id=pk), "deliveries queued again", admin_obj=self)
