from django.contrib import admin

from core.service_admin import CHANNEL, PhoneSearch, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, service_action

from . import calendar, services
from .models import Booking, BookingAssignment, BookingComment, BookingEvent, BookingLine, CalendarFeed, LocationType


class LineInline(ReadOnlyInline):
    model = BookingLine
    fields = ["description", "service", "quantity", "unit_price", "tax_rate", "tax_name"]


class AssignmentInline(ReadOnlyInline):
    model = BookingAssignment
    fields = ["fieldworker", "status", "decline_reason", "offered_at", "responded_at"]


class HistoryInline(ReadOnlyInline):
    model = BookingEvent
    fields = ["at", "action", "actor_label", "actor_kind", "channel", "changes", "data"]
    ordering = ["-at", "-id"]
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline (newest first)"


class CommentInline(ReadOnlyInline):
    model = BookingComment
    fields = ["created_at", "author_name", "channel", "visible_to_customer", "body"]
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "comments (newest first)"


@admin.register(Booking)
class BookingAdmin(PhoneSearch, ReadOnlyAdmin):
    """Back-office list. Changes go through the services (GraphQL, the dashboard); the admin only reads."""

    list_display = ["number", "customer", "scheduled_start", "status", "owner", "source", "location_type"]
    list_filter = ["status", "source", "scheduled_start"]
    search_fields = ["number", "customer__name", "customer__email", "customer__mobile"]
    date_hierarchy = "scheduled_start"
    list_select_related = ["customer", "owner"]
    phone_search_fields = ("customer__mobile",)
    inlines = [LineInline, AssignmentInline, CommentInline, HistoryInline]
    actions = ["complete"]

    @admin.action(description="Complete the selected jobs (in progress, their required forms submitted)")
    def complete(self, request, queryset) -> None:
        service_action(request, queryset,
                       lambda actor, pk: services.booking_complete(actor=actor, channel=CHANNEL, booking_id=pk),
                       "job(s) completed", admin_obj=self)


@admin.register(BookingEvent)
class BookingEventAdmin(ReadOnlyAdmin):
    list_display = ["booking", "at", "action", "actor_label", "channel"]
    list_filter = ["action", "channel", "actor_kind"]
    search_fields = ["booking__number", "actor_label"]
    list_select_related = ["booking"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Fieldworkers' calendar subscriptions (decision 0143): the secret is never shown again; staff
    retire a live one here."""

    list_display = ["fieldworker", "created_at", "created_by", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["fieldworker__name"]
    list_select_related = ["fieldworker", "created_by"]
    actions = ["revoke"]

    @admin.action(description="Stop the selected fieldworkers' calendar feeds")
    def revoke(self, request, queryset) -> None:
        fieldworkers = CalendarFeed.objects.filter(pk__in=queryset.values("pk"), revoked_at__isnull=True)
        service_action(request, fieldworkers, lambda actor, pk: calendar.calendar_feed_revoke(
            actor=actor, channel=CHANNEL, fieldworker_id=CalendarFeed.objects.get(pk=pk).fieldworker_id),
                       "feed(s) stopped", admin_obj=self)


@admin.register(LocationType)
class LocationTypeAdmin(ServiceAdmin):
    """Settings > Booking Location Types; written by the services."""

    list_display = ["name", "active", "position"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "active", "position"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.location_type_create(actor=actor, channel=CHANNEL, name=data["name"],
                                                 active=data["active"], position=data["position"])
        return services.location_type_update(actor=actor, channel=CHANNEL, location_type_id=pk,
                                             **{key: data[key] for key in changed if key in self.fields})
