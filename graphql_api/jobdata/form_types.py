"""Forms and checklists in GraphQL: templates (staff), a booking's forms and their typed answers."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.jobdata.forms_models import ElementKind, FormTemplate
from core.jobdata.forms_selectors import BookingForm
from core.jobdata.forms_values import Element, elements_of, read_answer

from ..context import actor_from_info
from ..ids import encode_id
from ..nodes import PK
from .types import CustomFieldOption

FormElementKindEnum = strawberry.enum(Enum("FormElementKind", {kind.name: kind.value for kind in ElementKind}),
                                      name="FormElementKind",
                                      description="Headings and instructions ask nothing; a checklist item is "
                                                  "ticked; the others are custom field types, and a photo.")


@strawberry.enum(name="FormStatus")
class FormStatusEnum(Enum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"


@strawberry.type(name="FormElement", description="One element of a form version, in order.")
class FormElementType:
    key: str
    kind: FormElementKindEnum  # type: ignore[valid-type]
    label: str
    help_text: str
    required: bool
    options: list[CustomFieldOption]
    min_value: Decimal | None
    max_value: Decimal | None
    step: Decimal | None

    @classmethod
    def of(cls, element: Element) -> FormElementType:
        tidy = lambda v: None if v is None else (v.quantize(Decimal(1)) if v == v.to_integral_value()  # noqa: E731
                                                 else v.normalize())
        return cls(key=element.key, kind=FormElementKindEnum(element.kind), label=element.label,
                   help_text=element.help_text, required=element.required,
                   options=[CustomFieldOption(value=o["value"], label=o["label"]) for o in element.options],
                   min_value=tidy(element.min_value), max_value=tidy(element.max_value), step=tidy(element.step))


@strawberry.type(name="FormAnswerData", description="A typed answer: the member of its element's kind is set "
                                                     "(text: text and single choices; boolean: toggles and "
                                                     "checklist items).")
class FormAnswerData:
    text: str | None = None
    number: Decimal | None = None
    date: date | None = None
    time: time | None = None
    boolean: bool | None = None
    choices: list[str] | None = None
    signature: str | None = strawberry.field(default=None, description="A PNG as a data URL.")
    photo_id: strawberry.ID | None = strawberry.field(default=None, description="One of the job's photos.")


def answer_data(element: Element, stored: Any) -> FormAnswerData:
    value = read_answer(element, stored)
    kind = element.kind
    if kind == ElementKind.PHOTO:
        return FormAnswerData(photo_id=strawberry.ID(encode_id("BookingAttachment", value)))
    if kind == ElementKind.SIGNATURE:
        return FormAnswerData(signature=value)
    if kind in (ElementKind.CHECKLIST, ElementKind.TOGGLE):
        return FormAnswerData(boolean=value)
    if isinstance(value, list):
        return FormAnswerData(choices=value)
    if isinstance(value, Decimal):
        return FormAnswerData(number=value)
    if isinstance(value, date):
        return FormAnswerData(date=value)
    if isinstance(value, time):
        return FormAnswerData(time=value)
    return FormAnswerData(text=value)


@strawberry.type(name="FormAnswer")
class FormAnswerType:
    key: str
    value: FormAnswerData


@strawberry.type(name="BookingForm", description="A form of a booking: the version it is filled against (the "
                                                  "template's newest until it is started) and its answers.")
class BookingFormType:
    template_id: strawberry.ID
    name: str
    description: str
    required_before_completion: bool
    customer_visible: bool
    version: int
    elements: list[FormElementType]
    status: FormStatusEnum
    answers: list[FormAnswerType]
    submitted_at: datetime | None
    submitted_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, form: BookingForm) -> BookingFormType:
        elements = form.elements
        stored = form.answers
        submission = form.submission
        status = FormStatusEnum.NOT_STARTED if submission is None else FormStatusEnum(submission.status)
        return cls(template_id=strawberry.ID(encode_id("FormTemplate", form.template.pk)), name=form.template.name,
                   description=form.template.description,
                   required_before_completion=form.template.required_before_completion,
                   customer_visible=form.template.customer_visible, version=form.version.number,
                   elements=[FormElementType.of(element) for element in elements], status=status,
                   answers=[FormAnswerType(key=element.key, value=answer_data(element, stored[element.key]))
                            for element in elements if stored.get(element.key) is not None],
                   submitted_at=submission.submitted_at if submission else None,
                   submitted_by=(submission.submitted_by_label or None) if submission else None,
                   updated_at=submission.updated_at if submission else None)


@strawberry_django.type(FormTemplate, name="FormTemplate", description="A form staff set up (staff only).")
class FormTemplateNode(relay.Node):
    _id_attr = PK
    name: str
    description: str
    required_before_completion: bool
    customer_visible: bool

    @strawberry_django.field(only=["archived_at"])
    def archived(self) -> bool:
        return self.archived_at is not None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["booking_id"], description="Set when the form is one booking's own.")
    def booking_id(self) -> strawberry.ID | None:
        pk = self.booking_id  # type: ignore[attr-defined]
        return None if pk is None else strawberry.ID(encode_id("Booking", pk))

    @strawberry_django.field(prefetch_related=["services"], description="Asked on bookings of these services.")
    def service_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(encode_id("Service", service.pk)) for service in self.services.all()]  # type: ignore[attr-defined]

    def _newest(self):
        versions = list(self.versions.all())  # type: ignore[attr-defined]  prefetched with the page
        return max(versions, key=lambda version: version.number) if versions else None

    @strawberry_django.field(prefetch_related=["versions"], description="The newest version's number.")
    def version(self) -> int:
        newest = FormTemplateNode._newest(self)
        return newest.number if newest else 0

    @strawberry_django.field(prefetch_related=["versions"], description="The newest version's elements, in order.")
    def elements(self) -> list[FormElementType]:
        newest = FormTemplateNode._newest(self)
        return [FormElementType.of(element) for element in elements_of(newest.elements if newest else [])]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_staff else queryset.none()
