from __future__ import annotations

from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, service_action

from . import invoices
from .invoice_models import Invoice, InvoiceEvent, InvoiceLine, InvoiceSettings, Payment


class LineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ("kind", "description", "quantity", "unit_price", "discount_percent", "tax_rate", "tax_name",
              "tax_inclusive", "price_overridden_by")
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("paid_on", "amount", "method", "reference", "recorded_by")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "status", "issue_date", "due_date", "total", "owner")
    list_filter = ("status", "source", "trading_name")
    search_fields = ("number", "customer__name", "customer__email")
    list_select_related = ("customer", "owner")
    inlines = [LineInline, PaymentInline]
    actions = ["issue", "claim"]

    @admin.action(description="Issue the selected drafts (e-mailed to the customers)")
    def issue(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: invoices.invoice_issue(
            actor=actor, channel=CHANNEL, invoice_id=pk), "issued", admin_obj=self)

    @admin.action(description="Claim: make me the owner")
    def claim(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: invoices.invoice_claim(
            actor=actor, channel=CHANNEL, invoice_id=pk), "claimed", admin_obj=self)


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "number", "action", "actor_label", "channel")
    list_filter = ("action", "channel")
    search_fields = ("number",)


@admin.register(InvoiceSettings)
class InvoiceSettingsAdmin(ServiceAdmin):
    fields = ("on_completion", "on_cancellation_fee", "payment_terms_days", "reminder_interval_days",
              "reminder_limit", "fieldworkers_see_prices")

    def has_add_permission(self, request) -> bool:
        return False  # the one row is made on first read

    def write(self, request, *, actor, pk, data, changed):
        return invoices.settings_update(actor=actor, channel=CHANNEL, **{key: data[key] for key in changed
                                                                          if key in self.fields})
