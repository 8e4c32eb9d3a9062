"""Forms and checklists against the services: templates and versions, filling and submitting, the
validation table per element kind (each refusal changes nothing), and completing a booking."""

from __future__ import annotations

from datetime import date

import pytest

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingEvent, BookingStatus
from core.chat.models import BookingAttachment
from core.jobdata import forms_services as forms
from core.jobdata.events import FormAnswersSaved, FormTemplateChanged
from core.jobdata.forms_models import FormSubmission, FormTemplateVersion, SubmissionStatus
from core.jobdata.forms_selectors import booking_forms, visible_booking_forms
from core.jobdata.models import JobDataLog
from tests import factories
from tests.core.support import assert_refused

from .conftest import accept, offer, png_data_url

G = Channel.GRAPHQL

ALL_KINDS = [
    {"kind": "heading", "label": "Before you start"},
    {"kind": "instruction", "label": "Switch the power off at the board."},
    {"kind": "checklist", "label": "Power off", "required": True},
    {"kind": "short_text", "label": "Gate code"},
    {"kind": "long_text", "label": "Notes"},
    {"kind": "date", "label": "Last service"},
    {"kind": "time", "label": "Arrived at"},
    {"kind": "increment", "label": "Filters", "min_value": "0", "max_value": "10", "step": "1"},
    {"kind": "toggle", "label": "Pets"},
    {"kind": "button_group", "label": "Condition", "options": ["good", "fair", "poor"]},
    {"kind": "radio", "label": "Access", "options": ["front", "back"]},
    {"kind": "dropdown", "label": "Floor", "options": ["ground", "first"]},
    {"kind": "single_list", "label": "Unit", "options": ["a", "b"]},
    {"kind": "checkbox_multi", "label": "Rooms", "options": ["kitchen", "hall", "bath"]},
    {"kind": "checkbox_buttons", "label": "Parts", "options": ["fan", "belt"]},
    {"kind": "photo", "label": "Photo of the unit"},
    {"kind": "signature", "label": "Customer signature"},
]


def template(actor, *, service=None, booking=None, elements=None, **extra):
    return forms.form_template_create(
        actor=actor, channel=G, name=extra.pop("name", "Service checklist"), elements=ALL_KINDS if elements is None else elements,
        service_ids=[service.pk] if service else [], booking_id=booking.pk if booking else None, **extra)


def save(actor, booking, tpl, **answers):
    return forms.form_answers_save(actor=actor, channel=G, booking_id=booking.pk, template_id=tpl.pk,
                                   answers=answers)


@pytest.fixture
def worker(booking, fieldworker):
    accept(booking, fieldworker)
    return Actor.for_fieldworker(fieldworker)


@pytest.fixture
def photo(booking):
    return BookingAttachment.objects.create(booking=booking, telegram_file_id="f1", telegram_file_unique_id="u1",
                                            author_kind="fieldworker", channel="telegram")


# --- templates and versions -----------------------------------------------------------------------------


def test_a_template_is_written_with_its_first_version_and_a_log_row(staff_actor, service, published):
    tpl = template(staff_actor, service=service, required_before_completion=True)
    version = FormTemplateVersion.objects.get(template=tpl)
    assert version.number == 1
    assert [e["key"] for e in version.elements][:4] == ["before_you_start", "switch_the_power_off_at_the_board",
                                                        "power_off", "gate_code"]
    assert version.elements[7] == {"key": "filters", "kind": "increment", "label": "Filters", "min_value": "0",
                                   "max_value": "10", "step": "1"}
    assert JobDataLog.objects.get(object_id=tpl.pk, target="form_template").action == "form_template_created"
    assert published.of(FormTemplateChanged)[0].change == "created"


def test_editing_elements_writes_the_next_version_and_a_started_form_keeps_its_own(staff_actor, booking, service,
                                                                                 worker):
    tpl = template(staff_actor, service=service, elements=[{"kind": "short_text", "label": "Gate code"}])
    started = save(worker, booking, tpl, gate_code="1234")
    forms.form_template_update(actor=staff_actor, channel=G, template_id=tpl.pk,
                               elements=[{"kind": "short_text", "label": "Gate code"},
                                         {"kind": "toggle", "label": "Dog"}])
    forms.form_template_update(actor=staff_actor, channel=G, template_id=tpl.pk, name="Renamed",
                               elements=[{"kind": "short_text", "label": "Gate code"},
                                         {"kind": "toggle", "label": "Dog"}])  # same elements: no version
    assert list(FormTemplateVersion.objects.filter(template=tpl).values_list("number", flat=True)) == [1, 2]
    (form,) = booking_forms(booking.pk)
    assert form.version.number == 1 and form.submission.pk == started.pk
    assert [e.key for e in form.elements] == ["gate_code"]
    with pytest.raises(RuntimeError):
        form.version.save()  # a version is never changed


def test_only_staff_write_templates_and_bad_elements_change_nothing(staff_actor, worker, customer_actor, service,
                                                                   published):
    for actor in (worker, customer_actor):
        assert_refused(lambda a=actor: template(a, service=service), "forbidden", published=published)
    for elements, code, field in (
        ([], "required", "elements"),
        ("text", "wrong_type", "elements"),
        ([{"kind": "rocket", "label": "X"}], "invalid_type", "elements.0.kind"),
        ([{"kind": "short_text", "label": ""}], "required", "elements.0.label"),
        ([{"kind": "radio", "label": "X"}], "required", "elements.0.options"),
        ([{"kind": "short_text", "label": "X", "options": ["a"]}], "not_allowed", "elements.0.options"),
        ([{"kind": "toggle", "label": "X", "min_value": "1"}], "not_allowed", "elements.0.minValue"),
        ([{"kind": "increment", "label": "X", "min_value": "5", "max_value": "1"}], "out_of_range",
         "elements.0.maxValue"),
        ([{"kind": "heading", "label": "X", "required": True}], "not_answerable", "elements.0.required"),
        ([{"kind": "toggle", "label": "X", "key": "a"}, {"kind": "toggle", "label": "Y", "key": "a"}], "duplicate",
         "elements.1.key"),
        ([{"kind": "toggle", "label": "X", "key": "Bad Key"}], "invalid_key", "elements.0.key"),
    ):
        assert_refused(lambda e=elements: template(staff_actor, service=service, elements=e), code, field=field,
                       published=published)
    assert_refused(lambda: forms.form_template_create(actor=staff_actor, channel=G, name="X", elements=ALL_KINDS,
                                                      service_ids=[service.pk], booking_id=1),
                   "ambiguous", field="bookingId", published=published)


# --- filling: the validation table -----------------------------------------------------------------------

VALID = [
    ("power_off", True, True), ("power_off", "yes", True), ("gate_code", "  12B ", "12B"),
    ("notes", "Line one\nline two", "Line one\nline two"), ("last_service", "2026-03-01", "2026-03-01"),
    ("arrived_at", "09:30", "09:30:00"), ("filters", "10", "10"), ("filters", 0, "0"), ("pets", False, False),
    ("condition", "fair", "fair"), ("access", "back", "back"), ("floor", "ground", "ground"), ("unit", "b", "b"),
    ("rooms", ["bath", "kitchen"], ["kitchen", "bath"]), ("parts", [], None), ("gate_code", "", None),
]
INVALID = [
    ("power_off", "maybe", "wrong_type"), ("gate_code", 5, "wrong_type"), ("gate_code", "x" * 256, "too_long"),
    ("long_text_missing", "a", "unknown_field"), ("gate_code", "a\x00b", "invalid"), ("last_service", "2026-02-30", "invalid_date"),
    ("last_service", "1800-01-01", "out_of_range"), ("arrived_at", "25:00", "invalid_time"),
    ("filters", "11", "out_of_range"), ("filters", "1.5", "off_step"), ("filters", "lots", "wrong_type"),
    ("pets", "perhaps", "wrong_type"), ("condition", "great", "invalid_choice"),
    ("rooms", "kitchen", "wrong_type"), ("rooms", ["kitchen", "kitchen"], "duplicate_choice"),
    ("parts", ["wheel"], "invalid_choice"), ("customer_signature", 5, "wrong_type"),
    ("customer_signature", "data:image/png;base64,AAAA", "invalid_signature"),
    ("customer_signature", "data:image/jpeg;base64,AAAA", "invalid_signature"),
    ("photo_of_the_unit", 999999, "invalid_photo"), ("photo_of_the_unit", True, "wrong_type"),
    ("before_you_start", "x", "not_answerable"),
]


@pytest.mark.parametrize(("key", "raw", "stored"), VALID)
def test_valid_answers_are_stored_typed(staff_actor, booking, service, worker, key, raw, stored):
    tpl = template(staff_actor, service=service)
    submission = save(worker, booking, tpl, **{key: raw})
    assert submission.answers.get(key) == stored


@pytest.mark.parametrize(("key", "raw", "code"), INVALID)
def test_invalid_answers_are_refused_and_change_nothing(staff_actor, booking, service, worker, published, key, raw,
                                                        code):
    tpl = template(staff_actor, service=service)
    save(worker, booking, tpl, gate_code="kept")
    error = assert_refused(lambda: save(worker, booking, tpl, notes="also new", **{key: raw}), code,
                           published=published)
    assert error.field == f"answers.{key}"
    assert FormSubmission.objects.get().answers == {"gate_code": "kept"}


def test_a_photo_answer_names_a_photo_of_the_job_and_a_signature_is_a_png(staff_actor, booking, service, worker,
                                                                           photo):
    tpl = template(staff_actor, service=service)
    other = factories.booking(svc=service)
    elsewhere = BookingAttachment.objects.create(booking=other, telegram_file_id="f2", telegram_file_unique_id="u2",
                                                 author_kind="staff", channel="graphql")
    assert_refused(lambda: save(worker, booking, tpl, photo_of_the_unit=elsewhere.pk), "invalid_photo")
    signature = png_data_url()
    saved = save(worker, booking, tpl, photo_of_the_unit=str(photo.pk), customer_signature=signature)
    assert saved.answers["photo_of_the_unit"] == photo.pk and saved.answers["customer_signature"] == signature
    row = JobDataLog.objects.filter(action="form_answers_saved").last()
    assert row.changes["customer_signature"] == [None, "(signed)"]


def test_partial_saves_then_submit_goes_on_the_timeline(staff_actor, booking, service, worker, published):
    tpl = template(staff_actor, service=service, customer_visible=True)
    save(worker, booking, tpl, gate_code="1234")
    published.clear()
    save(worker, booking, tpl, filters=3, gate_code=None)
    (saved,) = published.of(FormAnswersSaved)
    assert saved.keys == ("filters", "gate_code") and saved.booking_id == booking.pk
    assert FormSubmission.objects.get().answers == {"filters": "3"}
    error = assert_refused(lambda: forms.form_submit(actor=worker, channel=G, booking_id=booking.pk,
                                                     template_id=tpl.pk), "required", published=published)
    assert (error.field, error.message) == ("answers.power_off", "Tick 'Power off' before submitting.")
    done = forms.form_submit(actor=worker, channel=G, booking_id=booking.pk, template_id=tpl.pk,
                             answers={"power_off": True})
    assert done.status == SubmissionStatus.SUBMITTED and done.submitted_by == worker.user
    row = BookingEvent.objects.filter(booking=booking, action="form_submitted").get()
    assert row.data["form"] == "Service checklist" and row.channel == "graphql"
    (noted,) = [e for e in published.all() if getattr(e, "action", "") == "form_submitted"]
    assert noted.booking_id == booking.pk and noted.event_id == row.pk
    assert_refused(lambda: save(worker, booking, tpl, gate_code="late"), "already_submitted")


def test_who_fills_forms(staff_actor, booking, service, customer_actor, published):
    tpl = template(staff_actor, service=service)
    stranger = Actor.for_fieldworker(factories.fieldworker())
    offered = factories.fieldworker()
    offer(booking, offered)
    assert_refused(lambda: save(stranger, booking, tpl, gate_code="x"), "not_found", field="bookingId",
                   published=published)
    assert_refused(lambda: save(Actor.for_fieldworker(offered), booking, tpl, gate_code="x"), "not_accepted",
                   published=published)
    assert_refused(lambda: save(customer_actor, booking, tpl, gate_code="x"), "forbidden", published=published)
    other_tpl = template(staff_actor, name="Other booking's", booking=factories.booking(svc=service))
    assert_refused(lambda: save(staff_actor, booking, other_tpl, gate_code="x"), "not_found", field="templateId",
                   published=published)
    assert save(staff_actor, booking, tpl, gate_code="x").answers == {"gate_code": "x"}


def test_a_customer_sees_only_submitted_customer_visible_forms(staff_actor, booking, service, customer_actor, worker):
    shown = template(staff_actor, service=service, name="A shown", customer_visible=True,
                     elements=[{"kind": "toggle", "label": "Tidy"}])
    template(staff_actor, booking=booking, name="B internal", elements=[{"kind": "toggle", "label": "Tidy"}])
    assert [f.template.name for f in visible_booking_forms(staff_actor, booking.pk)] == ["A shown", "B internal"]
    assert visible_booking_forms(customer_actor, booking.pk) == []
    forms.form_submit(actor=worker, channel=G, booking_id=booking.pk, template_id=shown.pk, answers={"tidy": True})
    assert [f.template.name for f in visible_booking_forms(customer_actor, booking.pk)] == ["A shown"]


# --- completing -----------------------------------------------------------------------------------------


def test_completing_with_a_required_form_not_submitted_is_refused(staff_actor, booking, service, worker, published):
    tpl = template(staff_actor, service=service, required_before_completion=True, name="Safety check",
                   elements=[{"kind": "checklist", "label": "Power off", "required": True}])
    template(staff_actor, service=service, name="Optional", elements=[{"kind": "toggle", "label": "Tidy"}])
    booking_services.booking_confirm(actor=staff_actor, channel=G, booking_id=booking.pk)
    booking_services.booking_start(actor=worker, channel=G, booking_id=booking.pk)
    for actor in (worker, staff_actor):
        error = assert_refused(lambda a=actor: booking_services.booking_complete(actor=a, channel=G,
                                                                                 booking_id=booking.pk),
                               "form_required", published=published)
        assert error.message == "Submit the form 'Safety check' before completing the job."
    save(worker, booking, tpl, power_off=True)  # saved, not submitted: still refused
    assert_refused(lambda: booking_services.booking_complete(actor=worker, channel=G, booking_id=booking.pk),
                   "form_required")
    forms.form_submit(actor=worker, channel=G, booking_id=booking.pk, template_id=tpl.pk)
    done = booking_services.booking_complete(actor=worker, channel=G, booking_id=booking.pk)
    assert done.status == BookingStatus.COMPLETED


def test_an_archived_required_template_no_longer_blocks_and_its_filled_form_stays(staff_actor, booking, service,
                                                                                 worker):
    tpl = template(staff_actor, service=service, required_before_completion=True,
                   elements=[{"kind": "date", "label": "Checked on"}])
    save(worker, booking, tpl, checked_on=date(2026, 5, 1).isoformat())
    forms.form_template_archive(actor=staff_actor, channel=G, template_id=tpl.pk)
    booking_services.booking_confirm(actor=staff_actor, channel=G, booking_id=booking.pk)
    booking_services.booking_start(actor=worker, channel=G, booking_id=booking.pk)
    assert booking_services.booking_complete(actor=worker, channel=G, booking_id=booking.pk).status == "completed"
    (form,) = booking_forms(booking.pk)
    assert form.answers == {"checked_on": "2026-05-01"} and form.template.archived_at is not None
