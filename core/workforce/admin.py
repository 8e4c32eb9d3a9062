from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple

from core.service_admin import (
    CHANNEL,
    PhoneSearch,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAdmin,
    ServiceForm,
    service_action,
)

from . import messaging, profile, services
from .models import (
    BankDetailsRead,
    ChangeRequest,
    ChangeRequestStatus,
    Fieldworker,
    FieldworkerLog,
    FieldworkerMessage,
    IndustryLabel,
    ProfileSettings,
    SavedFieldworkerList,
    SchedulingSettings,
    ServiceArea,
    TimeOff,
    WorkingHours,
)

PROFILE_FIELDS = ["name", "mobile", "status", "industry_label", "time_zone"]
HOME_FIELDS = ["home_latitude", "home_longitude", "service_radius_km"]


class WorkingHoursInline(ReadOnlyInline):
    model = WorkingHours
    fields = ["weekday", "start_time", "end_time"]
    verbose_name_plural = "working hours (set through the API, or by approving a change request)"


class TimeOffInline(ReadOnlyInline):
    model = TimeOff
    fields = ["starts_at", "ends_at", "kind", "reason", "created_by"]
    ordering = ["-starts_at"]


class FieldworkerLogInline(ReadOnlyInline):
    model = FieldworkerLog
    fields = ["at", "action", "actor_kind", "channel", "data"]
    ordering = ["-at", "-id"]
    verbose_name = "history entry"
    verbose_name_plural = "history (newest first)"


class FieldworkerForm(ServiceForm):
    service_error_fields = {"latitude": "home_latitude", "radiusKm": "service_radius_km"}  # fieldworker_set_home_base
    email = forms.EmailField(help_text="The fieldworker signs in with it.")
    service_areas = forms.ModelMultipleChoiceField(
        queryset=ServiceArea.objects.all(), required=False,
        widget=FilteredSelectMultiple("service areas", is_stacked=False))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["service_areas"]
        else:
            del self.fields["email"]
            self.fields["service_areas"].initial = list(self.instance.service_areas.values_list("pk", flat=True))


@admin.register(Fieldworker)
class FieldworkerAdmin(PhoneSearch, ServiceAdmin):
    form = FieldworkerForm
    phone_search_fields = ("mobile",)
    list_display = ["name", "user", "mobile", "status", "industry_label", "created_at"]
    list_filter = ["status", "services", "service_areas"]
    search_fields = ["name", "mobile", "user__email", "industry_label"]
    list_select_related = ["user"]
    filter_horizontal = ["services"]
    inlines = [WorkingHoursInline, TimeOffInline, FieldworkerLogInline]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "email", "mobile", "industry_label", "services"]
        return ["user", "created_at", *PROFILE_FIELDS, "services", "service_areas", *HOME_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "created_at"] if obj is not None else []

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.fieldworker_create(
                actor=actor, channel=CHANNEL, name=data["name"], email=data["email"], mobile=data["mobile"],
                industry_label=data["industry_label"], service_ids=[s.pk for s in data["services"]])
        profile = {key: data[key] for key in changed if key in PROFILE_FIELDS}
        if "services" in changed:
            profile["service_ids"] = [s.pk for s in data["services"]]
        if profile:
            services.fieldworker_update(actor=actor, channel=CHANNEL, fieldworker_id=pk, **profile)
        if set(changed) & set(HOME_FIELDS):
            services.fieldworker_set_home_base(actor=actor, channel=CHANNEL, fieldworker_id=pk,
                                               latitude=data["home_latitude"], longitude=data["home_longitude"],
                                               radius_km=data["service_radius_km"])
        if "service_areas" in changed:
            services.fieldworker_set_areas(actor=actor, channel=CHANNEL, fieldworker_id=pk,
                                           area_ids=[area.pk for area in data["service_areas"]])
        return Fieldworker.objects.get(pk=pk)


class ServiceAreaForm(ServiceForm):
    postcodes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                help_text="Separated by spaces, commas or new lines.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["postcodes"].initial = " ".join(self.instance.postcodes.values_list("postcode", flat=True))


@admin.register(ServiceArea)
class ServiceAreaAdmin(ServiceAdmin):
    form = ServiceAreaForm
    list_display = ["name", "postcode_list", "fieldworker_count"]
    search_fields = ["name", "postcodes__postcode"]
    fields = ["name", "postcodes", "fieldworker_names"]
    readonly_fields = ["fieldworker_names"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("postcodes", "fieldworkers")

    @admin.display(description="postcodes")
    def postcode_list(self, obj: ServiceArea) -> str:
        return " ".join(row.postcode for row in obj.postcodes.all())

    @admin.display(description="fieldworkers")
    def fieldworker_count(self, obj: ServiceArea) -> int:
        return len(obj.fieldworkers.all())

    @admin.display(description="fieldworkers (chosen on each fieldworker)")
    def fieldworker_names(self, obj: ServiceArea) -> str:
        return ", ".join(fw.name for fw in obj.fieldworkers.all()) or "-"

    def write(self, request, *, actor, pk, data, changed):
        postcodes = data["postcodes"].replace(",", " ").split()
        return services.service_area_save(actor=actor, channel=CHANNEL, name=data["name"], postcodes=postcodes,
                                          area_id=pk)


@admin.register(SchedulingSettings)
class SchedulingSettingsAdmin(ServiceAdmin):
    list_display = ["travel_buffer_minutes", "fieldworkers_may_edit_hours", "slot_step_minutes",
                    "series_horizon_days"]
    fields = sorted(services.SETTINGS_FIELDS)

    def has_add_permission(self, request) -> bool:
        return False  # the one row is made on first read

    def write(self, request, *, actor, pk, data, changed):
        return services.scheduling_settings_update(
            actor=actor, channel=CHANNEL, **{key: data[key] for key in changed if key in services.SETTINGS_FIELDS})


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    """Approve or reject with the actions (or through the API): the change is carried out by the services."""

    list_display = ["fieldworker", "kind", "summary", "status", "created_at", "decided_at"]
    list_filter = ["status", "kind"]
    search_fields = ["fieldworker__name", "summary"]
    list_select_related = ["fieldworker"]
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, decide, done: str) -> None:
        service_action(request, queryset.filter(status=ChangeRequestStatus.PENDING),
                       lambda actor, pk: decide(actor=actor, channel=CHANNEL, change_request_id=pk),
                       done, admin_obj=self)

    @admin.action(description="Approve (carry out) the selected requests")
    def approve(self, request, queryset) -> None:
        self._decide(request, queryset, services.change_request_approve, "request(s) approved")

    @admin.action(description="Reject the selected requests")
    def reject(self, request, queryset) -> None:
        self._decide(request, queryset, services.change_request_reject, "request(s) rejected")


@admin.register(FieldworkerLog)
class FieldworkerLogAdmin(ReadOnlyAdmin):
    list_display = ["fieldworker", "at", "action", "actor_kind", "channel"]
    list_filter = ["action", "channel"]
    search_fields = ["fieldworker__name"]
    list_select_related = ["fieldworker"]


# --- profiles (issue 20) -----------------------------------------------------------------------------

LIST_FIELDS = ("name", "active", "position")


@admin.register(IndustryLabel)
class IndustryLabelAdmin(ServiceAdmin):
    """Settings > Fieldworker Industry Label (decision 0180)."""

    list_display = ["name", "active", "position"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "active", "position"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return profile.industry_label_create(actor=actor, channel=CHANNEL, name=data["name"],
                                                 active=data["active"], position=data["position"])
        return profile.industry_label_update(actor=actor, channel=CHANNEL, industry_label_id=pk,
                                             **{key: data[key] for key in changed if key in LIST_FIELDS})


@admin.register(ProfileSettings)
class ProfileSettingsAdmin(ServiceAdmin):
    list_display = ["profile_edits_need_approval"]
    fields = ["profile_edits_need_approval"]

    def has_add_permission(self, request) -> bool:
        return False  # the one row is made on first read

    def write(self, request, *, actor, pk, data, changed):
        return profile.profile_settings_update(actor=actor, channel=CHANNEL,
                                               profile_edits_need_approval=data["profile_edits_need_approval"])


@admin.register(SavedFieldworkerList)
class SavedFieldworkerListAdmin(ReadOnlyAdmin):
    """Saved through the API (its filters are checked there); read here."""

    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]


@admin.register(FieldworkerMessage)
class FieldworkerMessageAdmin(ReadOnlyAdmin):
    list_display = ["fieldworker", "medium", "kind", "inbound", "status", "attempts", "next_attempt_at", "error",
                    "created_at", "sent_at"]
    list_filter = ["medium", "kind", "status", "inbound"]
    search_fields = ["fieldworker__name", "to"]
    list_select_related = ["fieldworker"]
    actions = ["retry"]

    @admin.action(description="Send the selected failed (or lost) messages again")
    def retry(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: messaging.fieldworker_message_retry(
            actor=actor, channel=CHANNEL, message_id=pk), "message(s) queued again", admin_obj=self)


@admin.register(BankDetailsRead)
class BankDetailsReadAdmin(ReadOnlyAdmin):
    """Who read which fieldworker's bank details in the clear, and when (decision 0184). The details
    themselves are not in the admin."""

    list_display = ["fieldworker", "reader", "at", "channel"]
    search_fields = ["fieldworker__name", "reader__email"]
    list_select_related = ["fieldworker", "reader"]
