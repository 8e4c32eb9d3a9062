from django.contrib import admin

from .models import (
    ChangeRequest,
    Fieldworker,
    FieldworkerLog,
    SchedulingSettings,
    ServiceArea,
    ServiceAreaPostcode,
    TimeOff,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ["starts_at", "ends_at", "kind", "reason"]


@admin.register(Fieldworker)
class FieldworkerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "mobile", "status", "industry_label"]
    list_filter = ["status"]
    search_fields = ["name", "mobile", "user__email"]
    filter_horizontal = ["services"]
    inlines = [WorkingHoursInline, TimeOffInline]


class PostcodeInline(admin.TabularInline):
    model = ServiceAreaPostcode
    extra = 0


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name", "postcodes__postcode"]
    filter_horizontal = ["fieldworkers"]
    inlines = [PostcodeInline]


@admin.register(SchedulingSettings)
class SchedulingSettingsAdmin(admin.ModelAdmin):
    list_display = ["travel_buffer_minutes", "fieldworkers_may_edit_hours", "slot_step_minutes",
                    "series_horizon_days"]

    def has_add_permission(self, request) -> bool:
        return not SchedulingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """Read here; approve or reject through the API so the change is carried out by the services."""

    list_display = ["fieldworker", "kind", "summary", "status", "created_at", "decided_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ChangeRequest._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(FieldworkerLog)
class FieldworkerLogAdmin(admin.ModelAdmin):
    list_display = ["fieldworker", "at", "action", "actor_kind", "channel"]
    list_filter = ["action", "channel"]
    readonly_fields = [f.name for f in FieldworkerLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
