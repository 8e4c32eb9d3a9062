from django.contrib import admin, messages

from core.actors import Actor, Channel
from core.errors import DomainError
from core.service_admin import service_action

from . import services
from .models import BookingRequest, EmailMessage, EmailReminder, FieldworkerNotification, InboundEmail, ServiceReminder


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
    list_display = ("created_at", "kind", "to_address", "status", "attempts", "next_attempt_at", "skip_reason",
                    "booking")
    list_filter = ("kind", "status")
    search_fields = ("to_address", "subject")
    actions = ("retry",)

    @admin.action(description="Send the selected failed (or lost) e-mails again")
    def retry(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.email_retry(actor=actor, channel=Channel.ADMIN,
                                                                                 message_id=pk),
                       "e-mail(s) queued again", admin_obj=self)


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnly):
    """E-mails customers sent us, and where each went (the discussion or the inbox)."""

    list_display = ("received_at", "sender", "subject", "outcome", "booking", "comment", "inquiry")
    list_filter = ("outcome",)
    search_fields = ("sender", "subject", "body")
    raw_id_fields = ("booking", "customer", "comment", "inquiry")


@admin.register(FieldworkerNotification)
class FieldworkerNotificationAdmin(ReadOnly):
    list_display = ("created_at", "fieldworker", "title", "read_at")
    list_filter = ("kind",)


@admin.register(BookingRequest)
class BookingRequestAdmin(ReadOnly):
    list_display = ("created_at", "customer", "service", "preferred_date", "preferred_time", "status")
    list_filter = ("status",)
    actions = ("mark_booked", "mark_declined")

    def _resolve(self, request, queryset, status: str) -> None:
        actor = Actor.from_user(request.user)
        done = 0
        for row in queryset.filter(status="pending"):
            try:
                services.booking_request_resolve(actor=actor, channel=Channel.ADMIN, request_id=row.pk, status=status)
            except DomainError as exc:
                self.message_user(request, f"#{row.pk}: {exc.message}", level=messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} request(s) marked {status}.")

    @admin.action(description="Mark as booked")
    def mark_booked(self, request, queryset) -> None:
        self._resolve(request, queryset, "booked")

    @admin.action(description="Mark as declined")
    def mark_declined(self, request, queryset) -> None:
        self._resolve(request, queryset, "declined")


@admin.register(EmailReminder)
class EmailReminderAdmin(ReadOnly):
    list_display = ("booking", "due_at", "status", "withdrawn_reason")
    list_filter = ("status",)


@admin.register(ServiceReminder)
class ServiceReminderAdmin(ReadOnly):
    """Reminders to book a service again (decision 0625): scheduled by completions, sent by the periodic
    job; staff may withdraw a pending one."""

    list_display = ("due_at", "customer", "service", "status", "channel", "reason", "completed_at", "booking",
                    "email", "sms")
    list_filter = ("status", "channel", "service", "reason")
    search_fields = ("customer__name", "customer__email", "service__name")
    list_select_related = ("customer", "service", "booking", "email", "sms")
    raw_id_fields = ("customer", "service", "booking", "email", "sms")
    date_hierarchy = "due_at"
    actions = ("withdraw",)

    @admin.action(description="Withdraw the selected pending reminders")
    def withdraw(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.service_reminder_withdraw(
            actor=actor, channel=Channel.ADMIN, reminder_id=pk), "reminder(s) withdrawn", admin_obj=self)
