"""The quote admin: read-only pages whose actions call the services (decision 0040)."""

from __future__ import annotations

from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ReadOnlyInline, service_action

from . import quotes
from .quote_models import Quote, QuoteEvent, QuoteLine


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ("kind", "description", "quantity", "unit_price", "discount_percent", "tax_rate", "tax_name",
              "tax_inclusive", "price_overridden_by")
    readonly_fields = fields


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "status", "valid_until", "follow_up_date", "total", "owner")
    list_filter = ("status", "trading_name")
    search_fields = ("number", "customer__name", "customer__email")
    list_select_related = ("customer", "owner")
    inlines = [QuoteLineInline]
    actions = ["send", "claim"]

    @admin.action(description="Send the selected drafts (e-mailed to the customers)")
    def send(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: quotes.quote_send(
            actor=actor, channel=CHANNEL, quote_id=pk), "sent", admin_obj=self)

    @admin.action(description="Claim: make me the owner")
    def claim(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: quotes.quote_claim(
            actor=actor, channel=CHANNEL, quote_id=pk), "claimed", admin_obj=self)


@admin.register(QuoteEvent)
class QuoteEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "number", "action", "actor_label", "channel")
    list_filter = ("action", "channel")
    search_fields = ("number",)
