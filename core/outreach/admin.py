from django.contrib import admin, messages
from django.utils.html import format_html_join

from core.actors import Actor, Channel
from core.errors import DomainError
from core.service_admin import CHANNEL, ServiceAdmin, service_action

from . import mailauth, services
from .models import (
    BookingRequest,
    EmailDomain,
    EmailMessage,
    EmailReminder,
    FieldworkerNotification,
    InboundEmail,
    ServiceReminder,
)


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


@admin.register(EmailDomain)
class EmailDomainAdmin(ServiceAdmin):
    """Sending domains (decisions 0640-0642): added through ``email_domain_add``; checked, rotated and
    removed by the actions, through the services. The private keys are never shown."""

    list_display = ("domain", "trading_name", "status", "selector", "next_selector", "checked_at", "verified_at")
    list_filter = ("status",)
    search_fields = ("domain",)
    actions = ("check_now", "rotate_key", "remove")
    shown = ("domain", "trading_name", "status", "selector", "next_selector", "retired_selector", "dns_records",
             "checked_at", "verified_at", "failing_since", "created_at", "created_by")

    def get_fields(self, request, obj=None):
        return ("domain", "trading_name") if obj is None else self.shown

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.shown

    @admin.display(description="DNS records to publish")
    def dns_records(self, obj: EmailDomain):
        return format_html_join(
            "", "<p><b>{}</b> {} {}<br><code>{}</code><br>last check: {}</p>",
            ((record.purpose, record.name, record.type, " ".join(f'"{part}"' for part in record.strings)
              if record.type == "TXT" else record.value,
              "not yet" if record.ok is None else ("found" if record.ok else record.error or "missing"))
             for record in mailauth.records(obj)))

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            trading_name = data.get("trading_name")
            return services.email_domain_add(actor=actor, channel=CHANNEL, domain=data["domain"],
                                             trading_name_id=trading_name.pk if trading_name else None)
        return EmailDomain.objects.get(pk=pk)  # nothing is edited here: the actions do the rest

    @admin.action(description="Check the DNS records now")
    def check_now(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.email_domain_check(
            actor=actor, channel=Channel.ADMIN, domain_id=pk), "domain(s) checked", admin_obj=self)

    @admin.action(description="Make a new DKIM key (rotation)")
    def rotate_key(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.email_domain_rotate_key(
            actor=actor, channel=Channel.ADMIN, domain_id=pk), "new key(s) made", admin_obj=self)

    @admin.action(description="Remove the selected sending domains and their keys")
    def remove(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.email_domain_remove(
            actor=actor, channel=Channel.ADMIN, domain_id=pk), "domain(s) removed", admin_obj=self)
