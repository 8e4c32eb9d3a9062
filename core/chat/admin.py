from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ServiceAdmin, service_action

from . import services
from .models import BookingAttachment, ChatBinding, ChatMessage, DeclineReason


@admin.register(DeclineReason)
class DeclineReasonAdmin(ServiceAdmin):
    list_display = ["label", "position", "active"]
    list_filter = ["active"]
    fields = ["label", "position", "active"]

    def write(self, request, *, actor, pk, data, changed):
        return services.decline_reason_save(actor=actor, channel=CHANNEL, reason_id=pk, label=data["label"],
                                            position=data["position"], active=data["active"])


@admin.register(ChatBinding)
class ChatBindingAdmin(ReadOnlyAdmin):
    list_display = ["fieldworker", "chat_id", "username", "linked_at", "unreachable_at", "unlinked_at"]
    list_filter = ["unlinked_at", "unreachable_at"]
    search_fields = ["fieldworker__name", "username"]
    list_select_related = ["fieldworker"]
    actions = ["unlink"]

    @admin.action(description="Unlink the selected chats (the chat is told)")
    def unlink(self, request, queryset) -> None:
        rows = dict(queryset.filter(unlinked_at__isnull=True).values_list("pk", "fieldworker_id"))
        service_action(request, queryset.filter(pk__in=rows),
                       lambda actor, pk: services.chat_unlink(actor=actor, channel=CHANNEL, fieldworker_id=rows[pk]),
                       "chat(s) unlinked", admin_obj=self)


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "method", "kind", "chat_id", "status", "attempts", "next_attempt_at", "last_error",
                    "sms_fallback"]
    list_filter = ["status", "kind", "sms_fallback"]
    actions = ["retry"]

    @admin.action(description="Send the selected failed messages again")
    def retry(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.chat_message_retry(
            actor=actor, channel=CHANNEL, message_id=pk), "message(s) queued again", admin_obj=self)


@admin.register(BookingAttachment)
class BookingAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["booking", "status", "caption", "created_at"]
    list_filter = ["status"]
    search_fields = ["booking__number", "caption"]
