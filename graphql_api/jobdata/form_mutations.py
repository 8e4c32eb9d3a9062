from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import strawberry
import strawberry_django
from strawberry.types import Info

from core.errors import ValidationFailed
from core.jobdata import forms_services
from core.jobdata.forms_selectors import BookingForm

from ..errors import UserError, attempt
from ..ids import decode_id, decode_many, decode_optional
from ..payloads import UNSET, given, who
from .form_types import BookingFormType, FormElementKindEnum, FormTemplateNode
from .mutations import CustomFieldOptionInput


@strawberry.input(name="FormElementInput")
class FormElementInput:
    kind: FormElementKindEnum  # type: ignore[valid-type]
    label: str
    key: str = strawberry.field(default="", description="Blank: made from the label.")
    help_text: str = ""
    required: bool = False
    options: list[CustomFieldOptionInput] | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    step: Decimal | None = None


@strawberry.input
class CreateFormTemplateInput:
    name: str
    elements: list[FormElementInput]
    description: str = ""
    required_before_completion: bool = False
    customer_visible: bool = False
    service_ids: list[strawberry.ID] | None = None
    booking_id: strawberry.ID | None = strawberry.field(default=None, description="Or one booking's own form.")


@strawberry.input(description="Change only what you send. New elements are written as the template's next "
                              "version; forms already started keep theirs.")
class UpdateFormTemplateInput:
    id: strawberry.ID
    name: str | None = UNSET
    description: str | None = UNSET
    elements: list[FormElementInput] | None = UNSET
    required_before_completion: bool | None = UNSET
    customer_visible: bool | None = UNSET
    service_ids: list[strawberry.ID] | None = UNSET
    booking_id: strawberry.ID | None = UNSET


@strawberry.input(name="FormAnswerDataInput", description="Set the member of the element's kind (text for text "
                                                          "and single choices, boolean for toggles and checklist "
                                                          "items), or none of them to clear the answer.")
class FormAnswerDataInput:
    text: str | None = None
    number: Decimal | None = None
    date: date | None = None
    time: time | None = None
    boolean: bool | None = None
    choices: list[str] | None = None
    signature: str | None = strawberry.field(default=None, description="A PNG as a data URL.")
    photo_id: strawberry.ID | None = strawberry.field(default=None, description="One of the job's photos.")


@strawberry.input
class FormAnswerInput:
    key: str
    value: FormAnswerDataInput | None = None


@strawberry.input(description="Some answers of a booking's form; the others stay as they are.")
class SaveFormAnswersInput:
    booking_id: strawberry.ID
    template_id: strawberry.ID
    answers: list[FormAnswerInput]


@strawberry.input(description="Hand in a booking's form, with last answers if you like.")
class SubmitFormInput:
    booking_id: strawberry.ID
    template_id: strawberry.ID
    answers: list[FormAnswerInput] | None = None


@strawberry.type
class FormTemplatePayload:
    form_template: FormTemplateNode | None = None
    errors: list[UserError]


@strawberry.type
class BookingFormPayload:
    booking_form: BookingFormType | None = None
    errors: list[UserError]


def _elements(items: list[FormElementInput]) -> list[dict[str, Any]]:
    return [{"kind": item.kind.value, "label": item.label, "key": item.key, "help_text": item.help_text,
             "required": item.required,
             "options": [{"value": o.value, "label": o.label} for o in item.options or ()],
             "min_value": item.min_value, "max_value": item.max_value, "step": item.step} for item in items]


def _create(info: Info, data: CreateFormTemplateInput):
    return forms_services.form_template_create(
        **who(info), name=data.name, description=data.description, elements=_elements(data.elements),
        required_before_completion=data.required_before_completion, customer_visible=data.customer_visible,
        service_ids=decode_many(data.service_ids, "Service", "serviceIds") or [],
        booking_id=decode_optional(data.booking_id, "Booking", "bookingId"))


def _update(info: Info, data: UpdateFormTemplateInput):
    changes = given(name=data.name, description=data.description,
                    required_before_completion=data.required_before_completion,
                    customer_visible=data.customer_visible)
    if data.elements is not UNSET:
        changes["elements"] = _elements(data.elements or [])
    if data.service_ids is not UNSET:
        changes["service_ids"] = decode_many(data.service_ids, "Service", "serviceIds") or []
    if data.booking_id is not UNSET:
        changes["booking_id"] = decode_optional(data.booking_id, "Booking", "bookingId")
    return forms_services.form_template_update(**who(info), template_id=decode_id(data.id, "FormTemplate"),
                                               **changes)


def _answers(items: list[FormAnswerInput] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, item in enumerate(items or ()):
        if item.key in out:
            raise ValidationFailed(f"answers.{index}.key", "A key is given twice.", code="duplicate")
        data = item.value
        members = [(name, value) for name, value in vars(data).items() if value is not None] if data else []
        if len(members) > 1:
            raise ValidationFailed(f"answers.{index}.value", "Set one member of the value, or none to clear it.",
                                   code="one_value")
        name, value = members[0] if members else ("", None)
        if name == "photo_id":
            value = decode_id(value, "BookingAttachment", f"answers.{index}.value.photoId")
        out[item.key] = value
    return out


def _form(submission) -> BookingFormType:
    return BookingFormType.of(BookingForm(template=submission.template, version=submission.version,
                                          submission=submission))


def _save(info: Info, data: SaveFormAnswersInput) -> BookingFormType:
    return _form(forms_services.form_answers_save(
        **who(info), booking_id=decode_id(data.booking_id, "Booking", "bookingId"),
        template_id=decode_id(data.template_id, "FormTemplate", "templateId"), answers=_answers(data.answers)))


def _submit(info: Info, data: SubmitFormInput) -> BookingFormType:
    return _form(forms_services.form_submit(
        **who(info), booking_id=decode_id(data.booking_id, "Booking", "bookingId"),
        template_id=decode_id(data.template_id, "FormTemplate", "templateId"), answers=_answers(data.answers)))


@strawberry.type
class FormMutation:
    @strawberry_django.mutation(description="Set up a form (staff): its elements are its first version.")
    def create_form_template(self, info: Info, input: CreateFormTemplateInput) -> FormTemplatePayload:
        return attempt(FormTemplatePayload, "form_template", lambda: _create(info, input))

    @strawberry_django.mutation(description="Change a form (staff); new elements make a new version.")
    def update_form_template(self, info: Info, input: UpdateFormTemplateInput) -> FormTemplatePayload:
        return attempt(FormTemplatePayload, "form_template", lambda: _update(info, input))

    @strawberry_django.mutation(description="Stop asking a form (staff); filled ones stay on their bookings.")
    def archive_form_template(self, info: Info, id: strawberry.ID) -> FormTemplatePayload:
        return attempt(FormTemplatePayload, "form_template", lambda: forms_services.form_template_archive(
            **who(info), template_id=decode_id(id, "FormTemplate")))

    @strawberry_django.mutation(description="Save some answers of a booking's form (staff, or the fieldworker "
                                            "who accepted the job). All or nothing.")
    def save_form_answers(self, info: Info, input: SaveFormAnswersInput) -> BookingFormPayload:
        return attempt(BookingFormPayload, "booking_form", lambda: _save(info, input))

    @strawberry_django.mutation(description="Submit a booking's form: every required question answered and "
                                            "required checklist item ticked. It is not changed afterwards.")
    def submit_form(self, info: Info, input: SubmitFormInput) -> BookingFormPayload:
        return attempt(BookingFormPayload, "booking_form", lambda: _submit(info, input))
