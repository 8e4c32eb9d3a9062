from django.contrib import admin

from .models import BookingAttachment, ChatBinding, ChatMessage, DeclineReason


@admin.register(DeclineReason)
class DeclineReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(ChatBinding)
class ChatBindingAdmin(admin.ModelAdmin):
    list_display = ["fieldworker", "chat_id", "username", "linked_at", "unreachable_at", "unlinked_at"]
    readonly_fields = [field.name for field in ChatBinding._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "method", "kind", "chat_id", "status", "attempts", "sms_fallback"]
    list_filter = ["status", "kind", "sms_fallback"]
    readonly_fields = [field.name for field in ChatMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BookingAttachment)
class BookingAttachmentAdmin(admin.ModelAdmin):
    list_display = ["booking", "status", "caption", "created_at"]
    readonly_fields = [field.name for field in BookingAttachment._meta.fields]
