from django.contrib import admin
from django.db import models

from core.service_admin import CHANNEL, ServiceAdmin

from . import services
from .models import Company


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
