from django.contrib import admin

from .models import Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    fieldsets = (
        ("Company information", {"fields": ("name", "time_zone", "currency", "email", "phone", "website",
                                            "address", "booking_number_start")}),
        ("Customer portal: flags & permissions", {"fields": ("customers_may_cancel", "customers_may_reschedule")}),
        ("Financial settings: cancellation fee", {"fields": (
            "cancellation_fee_type", "cancellation_fee_amount", "cancellation_notice_hours",
            "reschedule_notice_hours")}),
        ("Fieldworker permissions", {"fields": ("fieldworkers_may_decline", "fieldworkers_may_cancel")}),
    )

    def has_add_permission(self, request) -> bool:
        return not Company.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
