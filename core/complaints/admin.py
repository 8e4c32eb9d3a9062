"""The admin of complaints: the lists are edited through their services; complaints are read here
and changed through actions that call the services (decision 0001)."""

from __future__ import annotations

from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, service_action

from . import services
from .models import Complaint, ComplaintEvent, ComplaintStatus, ComplaintType


class HistoryInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = ("at", "action", "actor_label", "channel", "changes", "data")
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("id", "booking", "quote", "customer", "type", "status", "owner", "visible_to_customer",
                    "created_at")
    list_filter = ("is_resolved", "status", "type", "visible_to_customer", "channel")
    search_fields = ("description", "customer__name", "booking__number", "quote__number")
    list_select_related = ("booking", "quote", "customer", "type", "status", "owner")
    inlines = [HistoryInline]
    actions = ["assign_to_me"]

    @admin.action(description="Assign to me")
    def assign_to_me(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.complaint_assign(
            actor=actor, channel=CHANNEL, complaint_id=pk, owner_id=actor.user_id), "assigned", admin_obj=self)


@admin.register(ComplaintType)
class ComplaintTypeAdmin(ServiceAdmin):
    """Settings > Issue / Complaint Types."""

    list_display = ["name", "active", "position"]
    list_filter = ["active"]
    fields = ["name", "active", "position"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.complaint_type_create(actor=actor, channel=CHANNEL, name=data["name"],
                                                  active=data["active"], position=data["position"])
        return services.complaint_type_update(actor=actor, channel=CHANNEL, complaint_type_id=pk,
                                              **{key: data[key] for key in changed if key in self.fields})


@admin.register(ComplaintStatus)
class ComplaintStatusAdmin(ServiceAdmin):
    """Settings > Complaint / Issue Status List."""

    list_display = ["name", "is_resolved", "active", "position"]
    list_filter = ["active", "is_resolved"]
    fields = ["name", "is_resolved", "active", "position"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.complaint_status_create(actor=actor, channel=CHANNEL, name=data["name"],
                                                    is_resolved=data["is_resolved"], active=data["active"],
                                                    position=data["position"])
        changes = {key: data[key] for key in changed if key in self.fields}
        return services.complaint_status_update(actor=actor, channel=CHANNEL, complaint_status_id=pk, **changes)
