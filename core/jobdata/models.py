"""Custom fields: definitions (grouped, ordered, per target and optionally per service), their
values stored typed, a log of every change, and the per-company profile settings.

Values name their object by ``target`` + ``object_id`` rather than one foreign key per target, so
a new target (quotes, decision 0942) is one more ``Target`` member and no new column on the value
table (decision 0900). Each value has one typed column per kind of value, and the filters read the
typed column through an index that leads with the field (decision 0901).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnly


class Target(models.TextChoices):
    """What a custom field can be attached to."""

    BOOKING = "booking", "Booking"
    CUSTOMER = "customer", "Customer"
    PROPERTY = "property", "Property"
    FIELDWORKER = "fieldworker", "Fieldworker"
    QUOTE = "quote", "Quote"
    # values only: the booking fields a customer answered when asking for an appointment
    BOOKING_REQUEST = "booking_request", "Appointment request"


VALUE_ONLY_TARGETS = frozenset({Target.BOOKING_REQUEST})

class FieldType(models.TextChoices):
    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    DATE = "date", "Date"
    TIME = "time", "Time"
    INCREMENT = "increment", "Increment/decrement"
    TOGGLE = "toggle", "Toggle"
    BUTTON_GROUP = "button_group", "Button group"
    RADIO = "radio", "Radio"
    DROPDOWN = "dropdown", "Dropdown"
    SINGLE_LIST = "single_list", "Single selection list"
    CHECKBOX_MULTI = "checkbox_multi", "Checkbox multi"
    CHECKBOX_BUTTONS = "checkbox_buttons", "Checkbox buttons"
    SIGNATURE = "signature", "Signature"


SINGLE_CHOICE_TYPES = frozenset({FieldType.BUTTON_GROUP, FieldType.RADIO, FieldType.DROPDOWN, FieldType.SINGLE_LIST})
MULTI_CHOICE_TYPES = frozenset({FieldType.CHECKBOX_MULTI, FieldType.CHECKBOX_BUTTONS})
CHOICE_TYPES = SINGLE_CHOICE_TYPES | MULTI_CHOICE_TYPES


class CustomFieldGroup(models.Model):
    """A named section of a target's form; its fields are ordered inside it."""

    target = models.CharField(max_length=16, choices=Target.choices)
    name = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "name"], condition=Q(archived_at__isnull=True),
                                    name="jobdata_group_name_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.name}"


class CustomField(models.Model):
    """One field a target's form asks. Written by ``core.jobdata.services`` only."""

    target = models.CharField(max_length=16, choices=Target.choices)
    key = models.SlugField(max_length=60, help_text="Stable name clients and filters use; unique per target.")
    label = models.CharField(max_length=120)
    help_text = models.CharField(max_length=300, blank=True)
    field_type = models.CharField(max_length=20, choices=FieldType.choices)
    group = models.ForeignKey(CustomFieldGroup, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="fields")
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="Bookings only: asked only for bookings of this service.")
    position = models.PositiveIntegerField(default=0)
    required = models.BooleanField(default=False)
    default = models.JSONField(null=True, blank=True, help_text="Typed like a value (validated on save).")
    options = models.JSONField(default=list, blank=True, help_text='Choice types: [{"value": ..., "label": ...}].')
    min_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    step = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    visible_to_customer = models.BooleanField(default=False, help_text="The customer sees and fills it.")
    visible_to_fieldworker = models.BooleanField(default=False,
                                                 help_text="Fieldworkers see it and fill it on their accepted jobs.")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["target", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="jobdata_field_key_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.label}"

    @property
    def is_active(self) -> bool:
        return self.archived_at is None


_READ_PATH: dict[str, Any] = {
    "on_delete": models.DO_NOTHING, "from_fields": ["object_id"], "to_fields": ["id"], "null": True, "blank": True,
    "editable": False, "related_name": "custom_values", "related_query_name": "+"}


class CustomFieldValue(models.Model):
    """One object's value of one field, in the column of its kind (the others stay null).

    short text and single choices: ``text`` (indexed with the field); long text and signatures:
    ``long_text``; increment/decrement: ``number``; date: ``date``; time: ``time``; toggle:
    ``boolean``; multi choices: ``choices`` (a JSON list) and one ``CustomFieldChoice`` row per
    chosen option, which the "contains" filter reads.
    """

    field = models.ForeignKey(CustomField, on_delete=models.PROTECT, related_name="values",
                              db_index=False)  # the (field, column) indexes lead with it
    target = models.CharField(max_length=16, choices=Target.choices)
    object_id = models.PositiveBigIntegerField()
    text = models.CharField(max_length=255, null=True, blank=True)
    long_text = models.TextField(null=True, blank=True)
    number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    time = models.TimeField(null=True, blank=True)
    boolean = models.BooleanField(null=True, blank=True)
    choices = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    # Read paths only, no columns: ``<object>.custom_values`` lets a page of bookings (customers...)
    # prefetch its values in one query. The reverse relation does not know the target: always
    # filter on it (the GraphQL prefetch and the selectors do).
    booking = models.ForeignObject("bookings.Booking", **_READ_PATH)
    customer = models.ForeignObject("crm.Customer", **_READ_PATH)
    property = models.ForeignObject("crm.Property", **_READ_PATH)
    fieldworker = models.ForeignObject("workforce.Fieldworker", **_READ_PATH)
    quote = models.ForeignObject("sales.Quote", **_READ_PATH)

    class Meta:
        ordering = ["field_id", "object_id"]
        constraints = [
            # the target too: an appointment request holds values of booking fields (0905)
            models.UniqueConstraint(fields=["field", "target", "object_id"], name="jobdata_one_value_per_object"),
        ]
        indexes = [
            models.Index(fields=["target", "object_id"], name="jobdata_value_object_idx"),
            models.Index(fields=["field", "text"], name="jobdata_value_text_idx"),
            models.Index(fields=["field", "number"], name="jobdata_value_number_idx"),
            models.Index(fields=["field", "date"], name="jobdata_value_date_idx"),
            models.Index(fields=["field", "time"], name="jobdata_value_time_idx"),
            models.Index(fields=["field", "boolean"], name="jobdata_value_boolean_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field_id} of {self.target} {self.object_id}"


class CustomFieldChoice(models.Model):
    """One chosen option of a multi-choice value, so "contains" is an indexed equality."""

    value = models.ForeignKey(CustomFieldValue, on_delete=models.CASCADE, related_name="chosen",
                              db_index=False)  # jobdata_choice_once_per_value leads with it
    field = models.ForeignKey(CustomField, on_delete=models.PROTECT, related_name="+", db_index=False)
    target = models.CharField(max_length=16, choices=Target.choices)
    object_id = models.PositiveBigIntegerField()
    choice = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["value", "choice"], name="jobdata_choice_once_per_value"),
        ]
        indexes = [models.Index(fields=["field", "target", "choice", "object_id"], name="jobdata_choice_idx")]

    def __str__(self) -> str:
        return self.choice


class Profile(models.TextChoices):
    CUSTOMER = "customer", "Customer profile"
    FIELDWORKER = "fieldworker", "Fieldworker profile"


class ProfileField(models.Model):
    """Whether a field is shown and required on a profile, for the company. A built-in field is
    named by ``builtin`` (``email``, ``mobile``...), a custom one by ``field``. No row: the
    built-in default (shown, required as the model has it) or, for a custom field, its own flags."""

    company = models.ForeignKey("company.Company", on_delete=models.CASCADE, related_name="+")
    profile = models.CharField(max_length=12, choices=Profile.choices)
    builtin = models.CharField(max_length=40, blank=True)
    field = models.ForeignKey(CustomField, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    shown = models.BooleanField(default=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["profile", "builtin", "field_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "profile", "builtin"], condition=Q(field__isnull=True),
                                    name="jobdata_profile_builtin_once"),
            models.UniqueConstraint(fields=["company", "profile", "field"], condition=Q(field__isnull=False),
                                    name="jobdata_profile_field_once"),
            models.CheckConstraint(condition=(Q(field__isnull=True) & ~Q(builtin=""))
                                   | (Q(field__isnull=False) & Q(builtin="")), name="jobdata_profile_one_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.profile}: {self.builtin or self.field_id}"


class JobDataLog(AppendOnly):
    """Append-only history of custom field definitions, groups, profile settings, and values of
    objects other than bookings (a booking's values go to its own timeline). Written with its event
    by ``core.jobdata.log.record`` only."""

    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12)
    target = models.CharField(max_length=16, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    field = models.ForeignKey(CustomField, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    group = models.ForeignKey(CustomFieldGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changes = models.JSONField(default=dict, blank=True, help_text="name: [before, after]")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["target", "object_id", "at"], name="jobdata_log_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} via {self.channel}"

    refused = "The job data log is append-only."


from .forms_models import (  # noqa: E402,F401  forms live in their own module, registered with the app here
    ElementKind,
    FormSubmission,
    FormTemplate,
    FormTemplateVersion,
    SubmissionStatus,
)
