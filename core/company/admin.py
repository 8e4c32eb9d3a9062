from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.errors import DomainError
from core.service_admin import (
    CHANNEL,
    ReadOnlyAdmin,
    ServiceAdmin,
    ServiceForm,
    actor_of,
    add_service_error,
    service_action,
)

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
        ("Reviews after a completed job", {"fields": (
            "review_requests_enabled", "review_request_delay_minutes", "review_public_url",
            "review_public_min_rating")}),
    )
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["booking_number_start"]  # not a setting company_update changes

    def has_add_permission(self, request) -> bool:
        return False  # the one row is made on first read

    def write(self, request, *, actor, pk, data, changed):
        return services.company_update(actor=actor, channel=CHANNEL,
                                       **{key: data[key] for key in changed if key in services.EDITABLE})


class LogoForm(forms.Form):
    logo = forms.FileField(required=False, help_text="PNG, JPEG or WebP; checked by its content, not its name.")
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")
    service_error_fields = {"removeLogo": "remove_logo"}

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("logo") and not cleaned.get("remove_logo"):
            raise forms.ValidationError("Choose a logo to upload, or tick the box to remove the logo.")
        return cleaned


@admin.register(TradingName)
class TradingNameAdmin(ServiceAdmin):
    list_display = ("name", "is_default", "quote_prefix", "invoice_prefix", "active")
    fields = ("name", "email", "phone", "website", "review_url", "address", "tax_number", "sender_name", "quote_prefix",
              "invoice_prefix", "number_start", "active", "is_default", "logo_file")
    # The change form checks by running the service in a rolled-back savepoint, and a file stored there
    # would outlive it (decision 0811), so the logo has a page of its own (``<id>/logo/``) that calls the
    # service once, for real (decision 0815). Its name only: stored files have no public URL (0922).
    readonly_fields = ("is_default", "logo_file")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["make_default"]

    @admin.display(description="logo")
    def logo_file(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "Save the trading name first, then add its logo."
        link = reverse("admin:company_tradingname_logo", args=[obj.pk])
        return format_html('{} <a href="{}">{}</a>', obj.logo.name if obj.logo else "none",
                           link, "Change the logo" if obj.logo else "Add a logo")

    def get_urls(self):
        own = [path("<int:object_id>/logo/", self.admin_site.admin_view(self.logo_view),
                    name="company_tradingname_logo")]
        return own + super().get_urls()

    def logo_view(self, request, object_id: int):
        row = TradingName.objects.filter(pk=object_id).first()
        if row is None:
            raise Http404("No such trading name.")
        if not self.has_change_permission(request, row):
            raise PermissionDenied
        form = LogoForm(request.POST, request.FILES) if request.method == "POST" else LogoForm()
        if form.is_bound and form.is_valid():
            try:
                services.trading_name_update(actor=actor_of(request), channel=CHANNEL, trading_name_id=row.pk,
                                             logo=form.cleaned_data["logo"],
                                             remove_logo=form.cleaned_data["remove_logo"])
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                self.message_user(request, "The logo was removed." if form.cleaned_data["remove_logo"]
                                  else "The logo was saved.", level=messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:company_tradingname_change", args=[row.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": row,
                   "title": f"Logo of {row.name}", "form": form, "has_view_permission": True}
        return TemplateResponse(request, "admin/company/tradingname/logo.html", context)

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
