"""Forms and checklists: templates made of elements, kept in immutable versions, and the forms
filled against one version for one booking (decisions 0910-0913).

A template is attached to services (every booking with a line of one of them asks it) or to one
booking. Its elements live in a ``FormTemplateVersion`` row that is never changed: editing the
elements writes the next version, so a filled form always reads the questions it was answered
against. A ``FormSubmission`` holds the answers of one template for one booking, typed as JSON by
the version's elements (checked by ``core.jobdata.forms_values``), saved partially until submitted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnly

from .models import FieldType


class ElementKind(models.TextChoices):
    """What a form element is: layout (heading, instruction), a checklist item, a photo, or any
    custom field type (the signature among them)."""

    HEADING = "heading", "Heading"
    INSTRUCTION = "instruction", "Instruction"
    CHECKLIST = "checklist", "Checklist item"
    PHOTO = "photo", "Photo"
    SHORT_TEXT = FieldType.SHORT_TEXT.value, FieldType.SHORT_TEXT.label
    LONG_TEXT = FieldType.LONG_TEXT.value, FieldType.LONG_TEXT.label
    DATE = FieldType.DATE.value, FieldType.DATE.label
    TIME = FieldType.TIME.value, FieldType.TIME.label
    INCREMENT = FieldType.INCREMENT.value, FieldType.INCREMENT.label
    TOGGLE = FieldType.TOGGLE.value, FieldType.TOGGLE.label
    BUTTON_GROUP = FieldType.BUTTON_GROUP.value, FieldType.BUTTON_GROUP.label
    RADIO = FieldType.RADIO.value, FieldType.RADIO.label
    DROPDOWN = FieldType.DROPDOWN.value, FieldType.DROPDOWN.label
    SINGLE_LIST = FieldType.SINGLE_LIST.value, FieldType.SINGLE_LIST.label
    CHECKBOX_MULTI = FieldType.CHECKBOX_MULTI.value, FieldType.CHECKBOX_MULTI.label
    CHECKBOX_BUTTONS = FieldType.CHECKBOX_BUTTONS.value, FieldType.CHECKBOX_BUTTONS.label
    SIGNATURE = FieldType.SIGNATURE.value, FieldType.SIGNATURE.label


LAYOUT_KINDS = frozenset({ElementKind.HEADING, ElementKind.INSTRUCTION})


class FormTemplate(models.Model):
    """A form staff set up. Written by ``core.jobdata.forms_services`` only."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    required_before_completion = models.BooleanField(
        default=False, help_text="A booking it applies to cannot be completed before it is submitted.")
    customer_visible = models.BooleanField(default=False,
                                           help_text="The customer sees it, once submitted, on the portal.")
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="+",
                                      help_text="Asked on every booking with a line of one of these services.")
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+", help_text="Or: asked on this one booking only.")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["booking"], name="jobdata_form_booking_idx",
                                condition=Q(booking__isnull=False))]

    def __str__(self) -> str:
        return self.name


class FormTemplateVersion(AppendOnly):
    """The elements of a template as they were at one time; never changed (decision 0910)."""

    # indexed by jobdata_form_version_once, which leads with it
    template = models.ForeignKey(FormTemplate, on_delete=models.CASCADE, related_name="versions", db_index=False)
    number = models.PositiveIntegerField()
    elements = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    refused = "A form version is never changed: edit the template to write the next one."

    class Meta:
        ordering = ["template_id", "number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="jobdata_form_version_once")]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "Being filled"
    SUBMITTED = "submitted", "Submitted"


class FormSubmission(models.Model):
    """One template filled for one booking, against one version; answers keyed by element key."""

    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="submissions")
    version = models.ForeignKey(FormTemplateVersion, on_delete=models.PROTECT, related_name="submissions")
    # indexed by jobdata_form_once_per_booking, which leads with it
    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="form_submissions",
                                db_index=False)
    status = models.CharField(max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["booking_id", "template_id"]
        constraints = [models.UniqueConstraint(fields=["booking", "template"], name="jobdata_form_once_per_booking")]

    def __str__(self) -> str:
        return f"form {self.template_id} on booking {self.booking_id}"

    @property
    def is_submitted(self) -> bool:
        return self.status == SubmissionStatus.SUBMITTED
