"""Reads of forms: which templates a booking asks, the forms of a booking a viewer may see, and
what is still missing before the booking may be completed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from core.actors import Actor

from .forms_models import FormSubmission, FormTemplate, FormTemplateVersion, SubmissionStatus
from .forms_values import Element, elements_of
from .selectors import booking_service_ids


@dataclass
class BookingForm:
    """One form of a booking: its template, the version it is (or will be) filled against, and the
    submission when one was started."""

    template: FormTemplate
    version: FormTemplateVersion
    submission: FormSubmission | None

    @property
    def elements(self) -> list[Element]:
        return elements_of(self.version.elements)

    @property
    def submitted(self) -> bool:
        return self.submission is not None and self.submission.is_submitted

    @property
    def answers(self) -> dict:
        return self.submission.answers if self.submission is not None else {}


def latest_versions(template_ids: list[int]) -> dict[int, FormTemplateVersion]:
    """The newest version of each template, in one query (a template has a handful of versions)."""
    if not template_ids:
        return {}
    newest: dict[int, FormTemplateVersion] = {}
    for version in FormTemplateVersion.objects.filter(template_id__in=template_ids).order_by("template_id", "number"):
        newest[version.template_id] = version
    return newest


def latest_version(template_id: int) -> FormTemplateVersion | None:
    return FormTemplateVersion.objects.filter(template_id=template_id).order_by("-number").first()


def templates_for_booking(booking_id: int) -> list[FormTemplate]:
    """The active templates a booking asks: those of its services and its own."""
    services = booking_service_ids([booking_id]).get(booking_id, set())
    return list(FormTemplate.objects.filter(Q(booking_id=booking_id) | Q(services__in=services),
                                            archived_at__isnull=True).distinct().order_by("name", "id"))


def template_applies(template_id: int, booking_id: int) -> bool:
    return any(template.pk == template_id for template in templates_for_booking(booking_id))


def booking_forms(booking_id: int) -> list[BookingForm]:
    """Every form of a booking: those it asks now and those filled (or started) for it before,
    even if their template was archived since. A started form reads its own version."""
    started = {row.template_id: row for row in FormSubmission.objects.filter(booking_id=booking_id)
               .select_related("template", "version")}
    templates = {template.pk: template for template in templates_for_booking(booking_id)}
    for template_id, submission in started.items():
        templates.setdefault(template_id, submission.template)
    newest = latest_versions([pk for pk in templates if pk not in started])
    forms = [BookingForm(template=template, version=started[pk].version if pk in started else newest[pk],
                         submission=started.get(pk))
             for pk, template in templates.items() if pk in started or pk in newest]
    return sorted(forms, key=lambda form: (form.template.name, form.template.pk))


def visible_booking_forms(actor: Actor, booking_id: int) -> list[BookingForm]:
    """The forms of a booking the actor may see (the booking itself is checked by the caller):
    staff and the job's fieldworkers all of them, its customer the submitted customer-visible ones."""
    forms = booking_forms(booking_id)
    if actor.is_customer:
        return [form for form in forms if form.template.customer_visible and form.submitted]
    return forms


def required_forms_missing(booking_id: int) -> list[FormTemplate]:
    """The templates required before completion that the booking asks and has not had submitted."""
    done = set(FormSubmission.objects.filter(booking_id=booking_id, status=SubmissionStatus.SUBMITTED)
               .values_list("template_id", flat=True))
    return [template for template in templates_for_booking(booking_id)
            if template.required_before_completion and template.pk not in done]


def submitted_forms(booking_id: int, *, customer_visible_only: bool = False) -> list[BookingForm]:
    """Submitted forms of a booking (the job sheet, the portal)."""
    rows = (FormSubmission.objects.filter(booking_id=booking_id, status=SubmissionStatus.SUBMITTED)
            .select_related("template", "version").order_by("submitted_at", "id"))
    if customer_visible_only:
        rows = rows.filter(template__customer_visible=True)
    return [BookingForm(template=row.template, version=row.version, submission=row) for row in rows]


def forms_for_viewer(actor: Actor, booking_id: int) -> list[BookingForm]:
    """What ``bookingForms`` answers: staff every form; a fieldworker those of jobs they accepted;
    the customer the submitted customer-visible forms of their own bookings; anyone else (and a
    booking that is not theirs) nothing, as if the booking had no forms."""
    from core.bookings.models import AssignmentStatus, Booking, BookingAssignment

    if not actor.is_authenticated:
        return []
    if actor.is_fieldworker:  # one query whether or not the booking exists (decision 0150)
        accepted = BookingAssignment.objects.filter(booking_id=booking_id, fieldworker_id=actor.fieldworker_id,
                                                    status=AssignmentStatus.ACCEPTED).exists()
        return booking_forms(booking_id) if accepted else []
    booking = Booking.objects.filter(pk=booking_id).only("pk", "customer_id").first()
    if actor.is_staff:
        return booking_forms(booking_id) if booking is not None else []
    if actor.is_customer and booking is not None and booking.customer_id == actor.customer_id:
        return visible_booking_forms(actor, booking_id)
    return []


@dataclass(frozen=True)
class ShownAnswer:
    """One row of a filled form as a page or a document shows it."""

    kind: str
    label: str
    text: str = ""
    image: str = ""  # a data URL (a signature, a stored photo)

    @property
    def is_heading(self) -> bool:
        return self.kind == "heading"


def shown_answers(form: BookingForm) -> list[ShownAnswer]:
    """A filled form for people: headings, then each question with its answer in words (ticked or
    not, yes or no, the options' labels), signatures and stored photos as images."""
    from core.chat.models import BookingAttachment
    from core.pdf import image_data_uri

    answers = form.answers
    photo_ids = [answers[e.key] for e in form.elements if e.kind == "photo" and answers.get(e.key) is not None]
    photos: dict[int, BookingAttachment] = {}
    if photo_ids and form.submission is not None:
        rows_of = BookingAttachment.objects.filter(
            pk__in=photo_ids, booking_id=form.submission.booking_id).select_related("stored_file")
        photos = {row.pk: row for row in rows_of}
    rows: list[ShownAnswer] = []
    for element in form.elements:
        if element.kind == "heading":
            rows.append(ShownAnswer("heading", element.label))
            continue
        if element.kind == "instruction":
            continue
        value = answers.get(element.key)
        labels = {option["value"]: option["label"] for option in element.options}
        if element.kind == "checklist":
            rows.append(ShownAnswer(element.kind, element.label, "Done" if value else "Not done"))
        elif value is None:
            rows.append(ShownAnswer(element.kind, element.label, "-"))
        elif element.kind == "signature":
            rows.append(ShownAnswer(element.kind, element.label, "Signed", image=value))
        elif element.kind == "photo":
            stored = photo.stored_file if (photo := photos.get(value)) is not None else None  # the bytes (0926)
            shown = "Photo" if stored is not None else "Photo (not available)"
            rows.append(ShownAnswer(element.kind, element.label, shown,
                                    image=image_data_uri(stored.file, stored.content_type) if stored else ""))
        elif element.kind == "toggle":
            rows.append(ShownAnswer(element.kind, element.label, "Yes" if value else "No"))
        elif isinstance(value, list):
            rows.append(ShownAnswer(element.kind, element.label, ", ".join(labels.get(v, v) for v in value)))
        else:
            rows.append(ShownAnswer(element.kind, element.label, str(labels.get(value, value))))
    return rows


def shown_forms(booking_id: int) -> list[tuple[BookingForm, list[ShownAnswer]]]:
    """The submitted customer-visible forms of a booking, ready to show (the job sheet, the portal)."""
    return [(form, shown_answers(form)) for form in submitted_forms(booking_id, customer_visible_only=True)]
