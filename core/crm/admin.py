from django.contrib import admin, messages
from django.db.models import Count

from core.actors import Actor, Channel
from core.errors import DomainError
from core.service_admin import CHANNEL, PhoneSearch, ReadOnlyInline, ServiceAdmin

from . import services
from .models import Customer, CustomerLog, Dependent, Inquiry, InquiryEntry, LeadSource, Property, PropertyType

CUSTOMER_FIELDS = ["name", "email", "mobile", "notes", "preferred_channel", "automated_email_paused",
                   "automated_sms_paused"]
PROPERTY_FIELDS = ["label", "address", "postcode", "city", "latitude", "longitude", "property_type", "time_zone",
                   "access_notes"]
DEPENDENT_FIELDS = ["name", "relationship", "mobile", "email", "notes"]
LIST_FIELDS = ("name", "active", "position")


class PropertyInline(ReadOnlyInline):
    model = Property
    fields = ["label", "address", "postcode", "city", "property_type", "time_zone"]
    show_change_link = True


class DependentInline(ReadOnlyInline):
    model = Dependent
    fields = ["name", "relationship", "mobile", "email", "archived_at"]
    show_change_link = True


class CustomerLogInline(ReadOnlyInline):
    model = CustomerLog
    fields = ["at", "action", "actor_label", "channel", "changes", "data"]
    ordering = ["-at", "-id"]
    verbose_name = "history entry"
    verbose_name_plural = "history (newest first)"


@admin.register(Customer)
class CustomerAdmin(PhoneSearch, ServiceAdmin):
    phone_search_fields = ("mobile",)
    list_display = ["name", "email", "mobile", "bookings_count", "automated_email_paused", "automated_sms_paused",
                    "created_at"]
    search_fields = ["name", "email", "mobile"]
    list_filter = ["preferred_channel", "automated_email_paused", "automated_sms_paused", "created_at"]
    fields = [*CUSTOMER_FIELDS, "user", "created_at"]
    readonly_fields = ["user", "created_at"]
    inlines = [PropertyInline, DependentInline, CustomerLogInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(bookings_count=Count("bookings"))

    @admin.display(description="bookings", ordering="bookings_count")
    def bookings_count(self, obj: Customer) -> int:
        return obj.bookings_count

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            made = services.customer_create(actor=actor, channel=CHANNEL, name=data["name"], email=data["email"],
                                            mobile=data["mobile"], notes=data["notes"],
                                            preferred_channel=data["preferred_channel"])
            flags = {key: True for key in ("automated_email_paused", "automated_sms_paused") if data[key]}
            if not flags:
                return made
            pk, changed = made.pk, list(flags)
        return services.customer_update(actor=actor, channel=CHANNEL, customer_id=pk,
                                        **{key: data[key] for key in changed if key in CUSTOMER_FIELDS})


@admin.register(PropertyType)
class PropertyTypeAdmin(ServiceAdmin):
    """Settings > Property Type List."""

    list_display = ["name", "active", "position"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "active", "position"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.property_type_create(actor=actor, channel=CHANNEL, name=data["name"],
                                                 active=data["active"], position=data["position"])
        return services.property_type_update(actor=actor, channel=CHANNEL, property_type_id=pk,
                                             **{key: data[key] for key in changed if key in LIST_FIELDS})


@admin.register(Dependent)
class DependentAdmin(PhoneSearch, ServiceAdmin):
    """People under a customer; added, changed and archived through the services."""

    phone_search_fields = ("mobile",)
    list_display = ["name", "customer", "relationship", "mobile", "email", "archived_at"]
    list_filter = [("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "mobile", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    fields = ["customer", *DEPENDENT_FIELDS, "archived_at"]
    actions = ["archive"]

    def get_readonly_fields(self, request, obj=None):
        return ["customer", "archived_at"] if obj is not None else ["archived_at"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.dependent_add(actor=actor, channel=CHANNEL, customer_id=data["customer"].pk,
                                          **{key: data[key] for key in DEPENDENT_FIELDS})
        return services.dependent_update(actor=actor, channel=CHANNEL, dependent_id=pk,
                                         **{key: data[key] for key in changed if key in DEPENDENT_FIELDS})

    @admin.action(description="Archive the selected dependents (kept in the customer's history)")
    def archive(self, request, queryset) -> None:
        actor = Actor.from_user(request.user)
        count = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                services.dependent_archive(actor=actor, channel=Channel.ADMIN, dependent_id=pk)
            except DomainError as exc:
                self.message_user(request, f"Dependent {pk}: {exc.message}", level=messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} dependent(s) archived.")


@admin.register(Property)
class PropertyAdmin(ServiceAdmin):
    list_display = ["__str__", "customer", "postcode", "city", "latitude", "longitude", "geocode_status",
                    "property_type"]
    list_filter = ["property_type", "geocode_status"]
    search_fields = ["address", "postcode", "city", "label", "customer__name"]
    list_select_related = ["customer", "property_type"]
    autocomplete_fields = ["customer"]
    fields = ["customer", *PROPERTY_FIELDS, "geocode_status", "geocode_attempts"]

    def get_readonly_fields(self, request, obj=None):
        # the geocoder's progress is the geocoding task's to write (decision 0193)
        return ["customer", "geocode_status", "geocode_attempts"] if obj is not None else ["geocode_status",
                                                                                        "geocode_attempts"]

    @staticmethod
    def _values(data: dict, keys) -> dict:
        values = {key: data[key] for key in keys if key != "property_type"}
        if "property_type" in keys:
            values["property_type_id"] = data["property_type"].pk if data["property_type"] else None
        return values

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.property_create(actor=actor, channel=CHANNEL, customer_id=data["customer"].pk,
                                            **self._values(data, PROPERTY_FIELDS))
        return services.property_update(actor=actor, channel=CHANNEL, property_id=pk,
                                        **self._values(data, [key for key in changed if key in PROPERTY_FIELDS]))


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

    list_display = ["created_at", "kind", "status", "lead_status", "lead_source", "channel", "contact", "customer",
                    "prospect_name", "short_body", "assignee", "deleted_at"]
    list_filter = ["kind", "status", "lead_status", "lead_source", "channel",
                   ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["contact", "body", "customer__name", "customer__email", "customer__mobile", "prospect_name",
                     "prospect_email", "prospect_mobile"]
    list_select_related = ["customer", "assignee", "lead_source"]
    date_hierarchy = "created_at"
    fields = ["kind", "status", "lead_status", "lost_reason", "lead_source", "channel", "contact", "body", "created_at",
              "customer", "prospect_name", "prospect_email", "prospect_mobile", "wanted_services", "preferred_dates",
              "address", "postcode", "city", "bookings", "converted_booking", "converted_at", "assignee",
              "resolved_at", "resolved_by", "resolution_note", "deleted_at", "deleted_by"]
    readonly_fields = fields
    inlines = [InquiryEntryInline]
    actions = ["resolve", "assign_to_me", "soft_delete", "restore"]

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

    @admin.action(description="Delete the selected inquiries (kept with their history; restorable)")
    def soft_delete(self, request, queryset) -> None:
        self._each(request, queryset, "deleted", lambda actor, pk: services.inquiry_delete(
            actor=actor, channel=Channel.ADMIN, inquiry_id=pk))

    @admin.action(description="Restore the selected deleted inquiries")
    def restore(self, request, queryset) -> None:
        self._each(request, queryset, "restored", lambda actor, pk: services.inquiry_restore(
            actor=actor, channel=Channel.ADMIN, inquiry_id=pk))


@admin.register(LeadSource)
class LeadSourceAdmin(ServiceAdmin):
    """Settings > Lead Sources List; written by the services (a door's source stays active)."""

    list_display = ["name", "door", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "active", "door"]
    readonly_fields = ["door"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            made = services.lead_source_create(actor=actor, channel=CHANNEL, name=data["name"])
            if data.get("active", True):
                return made
            pk = made.pk
        return services.lead_source_update(actor=actor, channel=CHANNEL, lead_source_id=pk, name=data["name"],
                                           active=data["active"])
