"""Custom fields in the admin: definitions and groups are written by the services (decision 0040);
values, profile settings and the log are shown only."""

from __future__ import annotations

from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ServiceAdmin, service_action

from . import forms_services, services
from .models import (
    CustomField,
    CustomFieldGroup,
    CustomFieldValue,
    FormSubmission,
    FormTemplate,
    JobDataLog,
    ProfileField,
)

FIELD_UPDATABLE = ["label", "help_text", "group", "service", "required", "default", "options", "min_value",
                   "max_value", "step", "visible_to_customer", "visible_to_fieldworker"]


@admin.register(CustomFieldGroup)
class CustomFieldGroupAdmin(ServiceAdmin):
    list_display = ["name", "target", "position", "archived_at"]
    list_filter = ["target"]
    fields = ["target", "name"]
    actions = ["archive"]

    def get_readonly_fields(self, request, obj=None):
        return ["target"] if obj is not None else []

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.group_create(actor=actor, channel=CHANNEL, target=data["target"], name=data["name"])
        return services.group_update(actor=actor, channel=CHANNEL, group_id=pk, name=data["name"])

    @admin.action(description="Archive the selected (empty) groups")
    def archive(self, request, queryset) -> None:
        service_action(request, queryset.filter(archived_at__isnull=True),
                       lambda actor, pk: services.group_archive(actor=actor, channel=CHANNEL, group_id=pk),
                       "group(s) archived", admin_obj=self)


@admin.register(CustomField)
class CustomFieldAdmin(ServiceAdmin):
    list_display = ["label", "key", "target", "field_type", "group", "service", "required", "position",
                    "visible_to_customer", "visible_to_fieldworker", "archived_at"]
    list_filter = ["target", "field_type", "required", "archived_at"]
    search_fields = ["label", "key"]
    fields = ["target", "key", "field_type", *FIELD_UPDATABLE]
    actions = ["archive"]

    def get_readonly_fields(self, request, obj=None):
        return ["target", "key", "field_type"] if obj is not None else []

    def write(self, request, *, actor, pk, data, changed):
        refs = {"group": "group_id", "service": "service_id"}

        def given(name):
            value = data[name]
            return value.pk if name in refs and value is not None else value

        if pk is None:
            return services.field_create(
                actor=actor, channel=CHANNEL, target=data["target"], key=data["key"], field_type=data["field_type"],
                **{refs.get(name, name): given(name) for name in FIELD_UPDATABLE})
        return services.field_update(actor=actor, channel=CHANNEL, field_id=pk,
                                     **{refs.get(name, name): given(name) for name in changed
                                        if name in FIELD_UPDATABLE})

    @admin.action(description="Archive the selected fields (their values are kept)")
    def archive(self, request, queryset) -> None:
        service_action(request, queryset.filter(archived_at__isnull=True),
                       lambda actor, pk: services.field_archive(actor=actor, channel=CHANNEL, field_id=pk),
                       "field(s) archived", admin_obj=self)


@admin.register(CustomFieldValue)
class CustomFieldValueAdmin(ReadOnlyAdmin):
    list_display = ["field", "target", "object_id", "text", "number", "date", "time", "boolean", "choices",
                    "updated_at"]
    list_filter = ["target"]
    list_select_related = ["field"]
    exclude = ["long_text"]  # a signature is a long data URL


@admin.register(ProfileField)
class ProfileFieldAdmin(ReadOnlyAdmin):
    list_display = ["profile", "builtin", "field", "shown", "required"]


@admin.register(JobDataLog)
class JobDataLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "target", "object_id", "field", "actor_label", "channel"]
    list_filter = ["action", "target", "channel"]


@admin.register(FormTemplate)
class FormTemplateAdmin(ReadOnlyAdmin):
    """Templates are set up over GraphQL (their elements are a list the admin's forms do not edit);
    here they are listed, and archived through the service."""

    list_display = ["name", "required_before_completion", "customer_visible", "booking", "archived_at"]
    list_filter = ["required_before_completion", "customer_visible", "archived_at"]
    search_fields = ["name"]
    actions = ["archive"]

    @admin.action(description="Archive the selected forms (filled ones stay on their bookings)")
    def archive(self, request, queryset) -> None:
        service_action(request, queryset.filter(archived_at__isnull=True),
                       lambda actor, pk: forms_services.form_template_archive(actor=actor, channel=CHANNEL,
                                                                              template_id=pk),
                       "form(s) archived", admin_obj=self)


@admin.register(FormSubmission)
class FormSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["template", "booking", "status", "updated_at", "submitted_at", "submitted_by_label"]
    list_filter = ["status"]
    list_select_related = ["template", "booking"]
    exclude = ["answers"]  # signatures are long data URLs
