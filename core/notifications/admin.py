from django.contrib import admin

from .models import CommentDelivery, SmsMessage, SmsOptOut, SmsPrompt


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the services."""

    list_display = ["created_at", "direction", "kind", "from_number", "to_number", "status", "error_code",
                    "customer", "booking"]
    list_filter = ["direction", "kind", "status"]
    search_fields = ["from_number", "to_number", "sid", "body"]
    raw_id_fields = ["customer", "booking", "in_reply_to"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["number", "opted_out", "keyword", "source", "changed_at"]
    search_fields = ["number"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SmsPrompt)
class SmsPromptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "customer_number", "our_number", "booking", "closed_at"]
    raw_id_fields = ["booking", "message"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CommentDelivery)
class CommentDeliveryAdmin(admin.ModelAdmin):
    """Read-only: deliveries are written by ``services.comment_deliver`` and the status webhook."""

    list_display = ["created_at", "comment", "channel", "status", "to", "error", "updated_at"]
    list_filter = ["channel", "status"]
    search_fields = ["to", "dedupe_key"]
    raw_id_fields = ["comment", "sms_message", "email_message"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
