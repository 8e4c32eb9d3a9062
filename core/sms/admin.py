from django import forms
from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ServiceAdmin, ServiceForm, service_action

from . import services
from .models import CommentDelivery, SmsMessage, SmsOptOut, SmsPrompt


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    """Read-only: the log is written by the services."""

    list_display = ["created_at", "direction", "kind", "from_number", "to_number", "status", "error_code",
                    "attempts", "next_attempt_at", "customer", "booking"]
    list_filter = ["direction", "kind", "status"]
    search_fields = ["from_number", "to_number", "sid", "body"]
    raw_id_fields = ["customer", "booking", "in_reply_to"]
    actions = ["retry"]

    @admin.action(description="Send the selected failed (or lost) texts again")
    def retry(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.sms_retry(actor=actor, channel=CHANNEL,
                                                                               message_id=pk),
                       "text(s) queued again", admin_obj=self)


class OptOutForm(ServiceForm):
    class Meta:
        model = SmsOptOut
        fields = ["number", "opted_out"]
        widgets = {"number": forms.TextInput(attrs={"placeholder": "0412 345 678"})}


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ServiceAdmin):
    """A number is opted out (or back in) by staff through the same services as the STOP keyword."""

    form = OptOutForm
    list_display = ["number", "opted_out", "keyword", "source", "changed_at"]
    list_filter = ["opted_out", "source"]
    search_fields = ["number"]
    actions = ["opt_out", "opt_in"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # use the actions

    def write(self, request, *, actor, pk, data, changed):
        if data["opted_out"]:
            return services.sms_opt_out(actor=actor, channel=CHANNEL, number=data["number"], source="staff")
        return services.sms_opt_in(actor=actor, channel=CHANNEL, number=data["number"])

    def _each(self, request, queryset, call, done: str) -> None:
        numbers = dict(queryset.values_list("pk", "number"))
        service_action(request, queryset, lambda actor, pk: call(actor=actor, channel=CHANNEL, number=numbers[pk]),
                       done, admin_obj=self)

    @admin.action(description="Opt the selected numbers out of SMS")
    def opt_out(self, request, queryset) -> None:
        self._each(request, queryset, lambda **kw: services.sms_opt_out(source="staff", **kw), "number(s) opted out")

    @admin.action(description="Opt the selected numbers back in")
    def opt_in(self, request, queryset) -> None:
        self._each(request, queryset, services.sms_opt_in, "number(s) opted back in")


@admin.register(SmsPrompt)
class SmsPromptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "customer_number", "our_number", "booking", "closed_at"]
    list_filter = ["kind"]
    search_fields = ["customer_number"]
    raw_id_fields = ["booking", "message"]


@admin.register(CommentDelivery)
class CommentDeliveryAdmin(ReadOnlyAdmin):
    """Read-only: deliveries are written by ``services.comment_deliver`` and the status webhook."""

    list_display = ["created_at", "comment", "channel", "status", "to", "error", "updated_at"]
    list_filter = ["channel", "status"]
    search_fields = ["to", "dedupe_key"]
    raw_id_fields = ["comment", "sms_message", "email_message"]
