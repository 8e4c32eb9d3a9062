from django.contrib import admin

from .models import BookingRequest, EmailMessage, EmailReminder, FieldworkerNotification


class ReadOnly(admin.ModelAdmin):
    """Logs are written by the services only; the admin shows them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnly):
    list_display = ("created_at", "kind", "to_address", "status", "skip_reason", "booking")
    list_filter = ("kind", "status")
    search_fields = ("to_address", "subject")


@admin.register(FieldworkerNotification)
class FieldworkerNotificationAdmin(ReadOnly):
    list_display = ("created_at", "fieldworker", "title", "read_at")
    list_filter = ("kind",)


@admin.register(BookingRequest)
class BookingRequestAdmin(ReadOnly):
    list_display = ("created_at", "customer", "service", "preferred_date", "preferred_time", "status")
    list_filter = ("status",)


@admin.register(EmailReminder)
class EmailReminderAdmin(ReadOnly):
    list_display = ("booking", "due_at", "status", "withdrawn_reason")
    list_filter = ("status",)
