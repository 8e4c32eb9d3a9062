from django.contrib import admin, messages

from core.actors import Actor, Channel
from core.errors import DomainError

from . import services
from .models import Customer, Inquiry, InquiryEntry, Property, PropertyType


class PropertyInline(admin.TabularInline):
    model = Property
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "mobile", "automated_email_paused", "automated_sms_paused", "created_at"]
    search_fields = ["name", "email", "mobile"]
    list_filter = ["automated_email_paused", "automated_sms_paused"]
    inlines = [PropertyInline]


@admin.register(PropertyType)
class PropertyTypeAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "postcode", "city", "latitude", "longitude", "property_type"]
    search_fields = ["address", "postcode", "customer__name"]
    list_select_related = ["customer", "property_type"]


class InquiryEntryInline(admin.TabularInline):
    model = InquiryEntry
    extra = 0
    can_delete = False
    fields = ["at", "action", "actor_label", "channel", "body", "data", "delivery_status", "delivery_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    """The staff inbox, read-only: changes go through the services (the actions below, GraphQL,
    the dashboard), so each one is recorded and published like any other."""

    list_display = ["created_at", "kind", "status", "channel", "contact", "customer", "short_body", "assignee"]
    list_filter = ["kind", "status", "channel"]
    search_fields = ["contact", "body", "customer__name", "customer__email", "customer__mobile"]
    list_select_related = ["customer", "assignee"]
    date_hierarchy = "created_at"
    fields = ["kind", "status", "channel", "contact", "body", "created_at", "customer", "bookings", "assignee",
              "resolved_at", "resolved_by", "resolution_note"]
    readonly_fields = fields
    inlines = [InquiryEntryInline]
    actions = ["resolve", "assign_to_me"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="message")
    def short_body(self, obj: Inquiry) -> str:
        return obj.body if len(obj.body) <= 80 else obj.body[:79] + "…"

    def _each(self, request, queryset, done: str, work) -> None:
        actor = Actor.from_user(request.user)
        count = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                work(actor, pk)
            except DomainError as exc:
                self.message_user(request, f"Inquiry {pk}: {exc.message}", level=messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} inquiry(ies) {done}.")

    @admin.action(description="Resolve the selected inquiries")
    def resolve(self, request, queryset) -> None:
        self._each(request, queryset, "resolved", lambda actor, pk: services.inquiry_resolve(
            actor=actor, channel=Channel.ADMIN, inquiry_id=pk))

    @admin.action(description="Assign the selected inquiries to me")
    def assign_to_me(self, request, queryset) -> None:
        self._each(request, queryset, "assigned to you", lambda actor, pk: services.inquiry_assign(
            actor=actor, channel=Channel.ADMIN, inquiry_id=pk, assignee_id=request.user.pk))
