from django.contrib import admin

from .models import Booking, BookingAssignment, BookingComment, BookingEvent, BookingLine


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LineInline(ReadOnlyInline):
    model = BookingLine
    fields = ["description", "service", "quantity", "unit_price", "tax_rate"]


class AssignmentInline(ReadOnlyInline):
    model = BookingAssignment
    fields = ["fieldworker", "status", "decline_reason", "offered_at", "responded_at"]


class HistoryInline(ReadOnlyInline):
    model = BookingEvent
    fields = ["at", "action", "actor_label", "actor_kind", "channel", "changes", "data"]


class CommentInline(ReadOnlyInline):
    model = BookingComment
    fields = ["created_at", "author_name", "channel", "visible_to_customer", "body"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Back-office list. Changes go through the services (GraphQL); the admin only reads."""

    list_display = ["number", "customer", "scheduled_start", "status", "owner", "source"]
    list_filter = ["status", "source", "scheduled_start"]
    search_fields = ["number", "customer__name", "customer__email", "customer__mobile"]
    date_hierarchy = "scheduled_start"
    list_select_related = ["customer", "owner"]
    inlines = [LineInline, AssignmentInline, CommentInline, HistoryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    list_display = ["booking", "at", "action", "actor_label", "channel"]
    list_filter = ["action", "channel", "actor_kind"]
    search_fields = ["booking__number", "actor_label"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
