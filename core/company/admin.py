from django import forms
from django.contrib import admin
from django.db import models

from core.service_admin import CHANNEL, ReadOnlyAdmin, ServiceAdmin, ServiceForm, service_action

from . import services
from .models import Company, CompanyLog, IssuedNumber, Label, TermsVersion, TradingName


@admin.register(Company)
class CompanyAdmin(ServiceAdmin):
    fieldsets = (
        ("Company information", {"fields": ("name", "time_zone", "currency", "email", "phone", "website",
                                            "address", "booking_number_start")}),
        ("Customer portal: flags & permissions", {"fields": ("customers_may_cancel", "customers_may_reschedule")}),
        ("Financial settings: cancellation fee", {"fields": (
            "cancellation_fee_type", "cancellation_fee_amount", "cancellation_notice_hours",
            "reschedule_notice_hours")}),
        ("Financial settings: tax", {"fields": ("tax_mode",)}),
        ("Fieldworker permissions", {"fields": ("fieldworkers_may_decline", "fieldworkers_may_cancel")}),
    )
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["booking_number_start"]  # not a setting company_update changes

    def has_add_permission(self, request) -> bool:
        return False  # the one row is made on first read

    def write(self, request, *, actor, pk, data, changed):
        return services.company_update(actor=actor, channel=CHANNEL,
                                       **{key: data[key] for key in changed if key in services.EDITABLE})


@admin.register(TradingName)
class TradingNameAdmin(ServiceAdmin):
    list_display = ("name", "is_default", "quote_prefix", "invoice_prefix", "active")
    fields = ("name", "email", "phone", "website", "address", "tax_number", "sender_name", "quote_prefix",
              "invoice_prefix", "number_start", "active", "is_default", "logo_file")
    # The logo is uploaded through GraphQL (updateTradingName): the admin checks a form by running the
    # service in a rolled-back savepoint, and a file stored there would outlive it (decision 0811). Its
    # name only: stored files have no public URL (decision 0922).
    readonly_fields = ("is_default", "logo_file")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["make_default"]

    @admin.display(description="logo")
    def logo_file(self, obj) -> str:
        return obj.logo.name if obj is not None and obj.logo else "-"

    def write(self, request, *, actor, pk, data, changed):
        values = {key: data[key] for key in changed if key in services.TRADING_NAME_FIELDS}
        if pk is None:
            return services.trading_name_create(actor=actor, channel=CHANNEL, **{
                key: data[key] for key in services.TRADING_NAME_FIELDS if key in data})
        return services.trading_name_update(actor=actor, channel=CHANNEL, trading_name_id=pk, **values)

    @admin.action(description="Make the default trading name")
    def make_default(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.trading_name_set_default(
            actor=actor, channel=CHANNEL, trading_name_id=pk), "made the default", admin_obj=self)


@admin.register(TermsVersion)
class TermsVersionAdmin(ServiceAdmin):
    """Versions are added, never changed: the change page shows one read-only."""

    list_display = ("trading_name", "version", "in_force_from", "created_at")
    list_filter = ("trading_name",)
    fields = ("trading_name", "text", "in_force_from")

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def write(self, request, *, actor, pk, data, changed):
        return services.terms_publish(actor=actor, channel=CHANNEL, trading_name_id=data["trading_name"].pk,
                                      text=data["text"], in_force_from=data.get("in_force_from"))


class LabelForm(ServiceForm):
    applies_to = forms.MultipleChoiceField(choices=[(kind, kind.title()) for kind in services.LABEL_KINDS],
                                           widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Label
        fields = ("name", "colour", "applies_to", "active")


@admin.register(Label)
class LabelAdmin(ServiceAdmin):
    form = LabelForm
    list_display = ("name", "colour", "applies_to", "active")

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.label_create(actor=actor, channel=CHANNEL, name=data["name"], colour=data["colour"],
                                         applies_to=data["applies_to"])
        return services.label_update(actor=actor, channel=CHANNEL, label_id=pk,
                                     **{key: data[key] for key in changed if key in data})


@admin.register(IssuedNumber)
class IssuedNumberAdmin(ReadOnlyAdmin):
    list_display = ("text", "trading_name", "kind", "status", "issued_at", "retired_at")
    list_filter = ("kind", "status", "trading_name")
    search_fields = ("text",)


@admin.register(CompanyLog)
class CompanyLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "subject", "subject_id", "action", "actor_label", "channel")
    list_filter = ("subject", "action")
