"""Writes of forms (house rule 1): templates and their versions by staff, answers by staff and the
job's accepted fieldworkers. Guards first; every change a history row and its event: template
changes and draft saves in the job data log, a submitted form on the booking's timeline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

from . import log
from .events import FormAnswersSaved, FormTemplateChanged
from .forms_models import FormSubmission, FormTemplate, FormTemplateVersion, SubmissionStatus
from .forms_selectors import latest_version, template_applies
from .forms_values import Element, clean_answer, clean_elements, elements_of, is_answered
from .services import _label

TEMPLATE = "form_template"
SUBMISSION = "form_submission"
DESCRIPTION_MAX = 500


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff may change forms.")


def _description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed("description", "Expected text.", code="wrong_type")
    text = value.strip()
    if len(text) > DESCRIPTION_MAX:
        raise ValidationFailed("description", f"At most {DESCRIPTION_MAX} characters.", code="too_long")
    return text


def _attachment(service_ids: Iterable[int] | None, booking_id: int | None) -> list[int]:
    """Services or one booking, not both (a template for one booking is that booking's own)."""
    ids = sorted(set(service_ids or ()))
    if ids and booking_id is not None:
        raise ValidationFailed("bookingId", "Attach a form to services or to one booking, not both.",
                               code="ambiguous")
    if ids:
        from core.catalog.models import Service

        if Service.objects.filter(pk__in=ids).count() != len(ids):
            raise NotFound("service", field="serviceIds")
    if booking_id is not None:
        from core.bookings.models import Booking

        if not Booking.objects.filter(pk=booking_id).exists():
            raise NotFound("booking", field="bookingId")
    return ids


def _write_version(template: FormTemplate, elements: list[Element], actor: Actor, number: int) -> FormTemplateVersion:
    return FormTemplateVersion.objects.create(template=template, number=number,
                                              elements=[element.as_json() for element in elements],
                                              created_by=actor.user)


def form_template_create(*, actor: Actor, channel: Channel, name: str, elements: list[Mapping[str, Any]],
                         description: str = "", required_before_completion: bool = False,
                         customer_visible: bool = False, service_ids: Iterable[int] = (),
                         booking_id: int | None = None) -> FormTemplate:
    _require_staff(actor)
    name = _label(name, "name")
    description = _description(description)
    cleaned = clean_elements(elements)
    with transaction.atomic():
        services = _attachment(service_ids, booking_id)
        template = FormTemplate.objects.create(name=name, description=description, booking_id=booking_id,
                                               required_before_completion=bool(required_before_completion),
                                               customer_visible=bool(customer_visible))
        template.services.set(services)
        _write_version(template, cleaned, actor, 1)
        log.record(actor=actor, channel=channel, action="form_template_created", event=FormTemplateChanged,
                   target=TEMPLATE, object_id=template.pk, change="created", version=1,
                   changes={"name": (None, name), "elements": (None, len(cleaned)), "service_ids": (None, services),
                            "booking_id": (None, booking_id),
                            "required_before_completion": (None, template.required_before_completion),
                            "customer_visible": (None, template.customer_visible)})
    return template


UPDATABLE = {"name", "description", "elements", "required_before_completion", "customer_visible", "service_ids",
             "booking_id"}


def form_template_update(*, actor: Actor, channel: Channel, template_id: int, **changes: Any) -> FormTemplate:
    """Change a template. New elements are written as the next version (the ones filled keep theirs);
    the same elements again write nothing."""
    _require_staff(actor)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "This cannot be changed.", code="immutable")
    with transaction.atomic():
        template = FormTemplate.objects.select_for_update().filter(pk=template_id, archived_at__isnull=True).first()
        if template is None:
            raise NotFound("form template")
        diff: dict[str, tuple[Any, Any]] = {}
        if "name" in changes:
            name = _label(changes["name"], "name")
            if name != template.name:
                diff["name"], template.name = (template.name, name), name
        if "description" in changes:
            description = _description(changes["description"])
            if description != template.description:
                diff["description"], template.description = (template.description, description), description
        for flag in ("required_before_completion", "customer_visible"):
            if flag in changes and changes[flag] is not None and bool(changes[flag]) != getattr(template, flag):
                diff[flag] = (getattr(template, flag), bool(changes[flag]))
                setattr(template, flag, bool(changes[flag]))
        current_services = sorted(template.services.values_list("pk", flat=True))
        services = changes.get("service_ids", current_services)
        booking_id = changes.get("booking_id", template.booking_id)
        if "service_ids" in changes and "booking_id" not in changes and services:
            booking_id = None  # moving a booking's own form onto services
        if "booking_id" in changes and "service_ids" not in changes and booking_id is not None:
            services = []
        services = _attachment(services, booking_id)
        if services != current_services:
            diff["service_ids"] = (current_services, services)
        if booking_id != template.booking_id:
            diff["booking_id"], template.booking_id = (template.booking_id, booking_id), booking_id
        version = latest_version(template.pk)
        number = version.number if version else 0
        if "elements" in changes:
            cleaned = [element.as_json() for element in clean_elements(changes["elements"])]
            if version is None or cleaned != version.elements:
                number += 1
                FormTemplateVersion.objects.create(template=template, number=number, elements=cleaned,
                                                   created_by=actor.user)
                diff["version"] = (number - 1, number)
        if diff:
            template.save()
            if "service_ids" in diff:
                template.services.set(services)
            log.record(actor=actor, channel=channel, action="form_template_updated", event=FormTemplateChanged,
                       target=TEMPLATE, object_id=template.pk, change="updated", version=number, changes=diff)
    return template


def form_template_archive(*, actor: Actor, channel: Channel, template_id: int) -> FormTemplate:
    """Stop asking a template. Forms filled with it stay on their bookings."""
    _require_staff(actor)
    with transaction.atomic():
        template = FormTemplate.objects.select_for_update().filter(pk=template_id, archived_at__isnull=True).first()
        if template is None:
            raise NotFound("form template")
        template.archived_at = timezone.now()
        template.save(update_fields=["archived_at"])
        log.record(actor=actor, channel=channel, action="form_template_archived", event=FormTemplateChanged,
                   target=TEMPLATE, object_id=template.pk, change="archived",
                   changes={"archived_at": (None, template.archived_at)})
    return template


# --- filling -----------------------------------------------------------------------------------------------


def _booking_for_filling(actor: Actor, booking_id: int):
    from core.bookings import policy
    from core.bookings.models import OPEN_STATUSES, Booking, BookingStatus

    if not actor.is_authenticated:
        raise NotFound("booking", field="bookingId")
    found = Booking.objects.select_for_update().filter(pk=booking_id).first()
    try:
        booking = policy.ensure_visible(found, actor, booking_id=booking_id)
    except NotFound:
        raise NotFound("booking", field="bookingId") from None
    if actor.is_customer:
        raise PermissionDenied("Forms are filled by the office and the job's fieldworkers.")
    if actor.is_fieldworker and not policy.is_assigned(booking, actor, accepted_only=True):
        raise DomainError("not_accepted", "Accept the job before filling its forms.")
    may_fill = booking.status in OPEN_STATUSES or (actor.is_staff and booking.status == BookingStatus.COMPLETED)
    if not may_fill:
        raise DomainError("not_open", "The job is no longer open.")
    return booking


def _submission(booking, template_id: int, *, create: bool) -> FormSubmission | None:
    submission = (FormSubmission.objects.select_for_update().select_related("version", "template")
                  .filter(booking=booking, template_id=template_id).first())
    if submission is not None:
        return submission
    if not template_applies(template_id, booking.pk):
        raise NotFound("form", field="templateId")
    if not create:
        return None
    version = latest_version(template_id)
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(booking=booking, template_id=template_id, version=version)
    except IntegrityError:  # started at the same moment by another request
        return FormSubmission.objects.select_for_update().select_related("version", "template").get(
            booking=booking, template_id=template_id)


def _photo_ids(booking_id: int) -> set[int]:
    from core.chat.models import BookingAttachment

    return set(BookingAttachment.objects.filter(booking_id=booking_id).values_list("pk", flat=True))


def _apply(submission: FormSubmission, answers: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Check every answer first, then write: all or nothing. Returns what changed, for the log."""
    elements = {element.key: element for element in elements_of(submission.version.elements)}
    photos: set[int] | None = None
    clean: dict[str, Any] = {}
    for key, raw in answers.items():
        element = elements.get(key)
        if element is None:
            raise ValidationFailed(f"answers.{key}", "The form has no such question.", code="unknown_field")
        if element.kind == "photo" and photos is None:
            photos = _photo_ids(submission.booking_id)
        clean[key] = clean_answer(element, raw, photo_ids=photos)
    changed: dict[str, tuple[Any, Any]] = {}
    stored = dict(submission.answers)
    for key, value in clean.items():
        before = stored.get(key)
        if before == value:
            continue
        if value is None:
            stored.pop(key, None)
        else:
            stored[key] = value
        shown = lambda v: "(signed)" if v is not None and elements[key].kind == "signature" else v  # noqa: E731,B023
        changed[key] = (shown(before), shown(value))
    submission.answers = stored
    return changed


def form_answers_save(*, actor: Actor, channel: Channel, booking_id: int, template_id: int,
                      answers: Mapping[str, Any]) -> FormSubmission:
    """Save some answers of a booking's form (a partial save; ``None`` clears an answer). The first
    save starts the form against the template's newest version, which it keeps."""
    with transaction.atomic():
        booking = _booking_for_filling(actor, booking_id)
        submission = _submission(booking, template_id, create=True)
        if submission.is_submitted:
            raise DomainError("already_submitted", "This form was submitted already.", field="templateId")
        changed = _apply(submission, answers)
        if changed:
            submission.updated_at = timezone.now()
            submission.save(update_fields=["answers", "updated_at"])
            log.record(actor=actor, channel=channel, action="form_answers_saved", event=FormAnswersSaved,
                       target=SUBMISSION, object_id=submission.pk, booking_id=booking.pk, template_id=template_id,
                       keys=tuple(sorted(changed)), changes=changed)
    return submission


def missing_answers(submission: FormSubmission) -> list[Element]:
    return [element for element in elements_of(submission.version.elements)
            if element.required and not is_answered(element, submission.answers.get(element.key))]


def form_submit(*, actor: Actor, channel: Channel, booking_id: int, template_id: int,
                answers: Mapping[str, Any] | None = None) -> FormSubmission:
    """Hand in a booking's form (with last answers, if given): every required question answered,
    every required checklist item ticked. It goes on the booking's timeline; it is not changed after."""
    from core.bookings import history

    with transaction.atomic():
        booking = _booking_for_filling(actor, booking_id)
        submission = _submission(booking, template_id, create=True)
        if submission.is_submitted:
            raise DomainError("already_submitted", "This form was submitted already.", field="templateId")
        _apply(submission, answers or {})
        missing = missing_answers(submission)
        if missing:
            first = missing[0]
            verb = "Tick" if first.kind == "checklist" else "Answer"
            names = ", ".join(f"'{element.label}'" for element in missing[:5])
            raise ValidationFailed(f"answers.{first.key}", f"{verb} {names} before submitting.", code="required")
        now = timezone.now()
        submission.status = SubmissionStatus.SUBMITTED
        submission.updated_at = submission.submitted_at = now
        submission.submitted_by = actor.user
        submission.submitted_by_label = actor.label[:150]
        submission.save()
        history.record(booking, actor=actor, channel=channel, action="form_submitted",
                       data={"form": submission.template.name, "template_id": template_id,
                             "submission_id": submission.pk, "version": submission.version.number,
                             "customer_visible": submission.template.customer_visible})
    return submission
