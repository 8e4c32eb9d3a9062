"""Forms over HTTP, per role: staff set templates up (a new version on edit), the job's fieldworker
fills and submits typed answers, the customer reads the submitted customer-visible ones, and
completing the job waits for required forms. Refusals are payload errors that change nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.actors import Channel
from core.bookings import services as booking_services
from core.jobdata import forms_services
from core.jobdata.forms_models import FormSubmission, FormTemplateVersion
from tests.core.jobdata.conftest import png_data_url
from tests.core.support import db_state

from ..conftest import gid
from ..over_http import URL, sign_in

G = Channel.GRAPHQL


def post(user, query: str, **variables):
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


CREATE = """mutation($i: CreateFormTemplateInput!) { createFormTemplate(input: $i) {
  formTemplate { id name version requiredBeforeCompletion serviceIds elements { key kind label required options {
  value } minValue maxValue step } } errors { code field message } } }"""
UPDATE = """mutation($i: UpdateFormTemplateInput!) { updateFormTemplate(input: $i) {
  formTemplate { id version elements { key } } errors { code field } } }"""
FORMS = """query($b: ID!) { bookingForms(bookingId: $b) { templateId name version status submittedBy
  elements { key kind } answers { key value { text number date time boolean choices signature photoId } } } }"""
SAVE = """mutation($i: SaveFormAnswersInput!) { saveFormAnswers(input: $i) {
  bookingForm { status answers { key value { text number date boolean choices signature } } }
  errors { code field message } } }"""
SUBMIT = """mutation($i: SubmitFormInput!) { submitForm(input: $i) {
  bookingForm { status submittedBy } errors { code field message errorCode: __typename } } }"""
COMPLETE = """mutation($id: ID!) { completeBooking(id: $id) { booking { status } errors { code message } } }"""

ELEMENTS = [
    {"kind": "HEADING", "label": "Safety"},
    {"kind": "CHECKLIST", "label": "Power off", "required": True},
    {"kind": "INCREMENT", "label": "Filters", "minValue": "0", "maxValue": "9", "step": "1"},
    {"kind": "DATE", "label": "Last service"},
    {"kind": "CHECKBOX_MULTI", "label": "Rooms", "options": [{"value": "kitchen"}, {"value": "hall"}]},
    {"kind": "SIGNATURE", "label": "Signed"},
]


@pytest.fixture
def form(world):
    made = post(world.staff.user, CREATE, i={"name": "Safety check", "elements": ELEMENTS,
                                             "requiredBeforeCompletion": True, "customerVisible": True,
                                             "serviceIds": [gid("Service", world.service.pk)]})["createFormTemplate"]
    assert made["errors"] == []
    return made["formTemplate"]


def answers(**values):
    return [{"key": key, "value": value} for key, value in values.items()]


def test_staff_set_up_a_form_and_an_edit_makes_a_new_version(world, form):
    assert form["version"] == 1 and form["requiredBeforeCompletion"] is True
    assert [(e["key"], e["kind"]) for e in form["elements"]][:3] == [("safety", "HEADING"), ("power_off", "CHECKLIST"),
                                                                    ("filters", "INCREMENT")]
    assert form["elements"][2]["minValue"] == "0" and form["elements"][2]["step"] == "1"
    edited = post(world.staff.user, UPDATE, i={"id": form["id"], "elements": ELEMENTS[:2]})["updateFormTemplate"]
    assert edited["errors"] == [] and edited["formTemplate"]["version"] == 2
    assert [e["key"] for e in edited["formTemplate"]["elements"]] == ["safety", "power_off"]
    assert FormTemplateVersion.objects.count() == 2
    for user in (world.fw_a.user, world.cust_a.user):
        refused = post(user, UPDATE, i={"id": form["id"], "name": "Mine"})["updateFormTemplate"]
        assert refused == {"formTemplate": None, "errors": [{"code": "forbidden", "field": None}]}


def test_bad_templates_are_payload_errors_and_change_nothing(world):
    sign_in(world.staff.user)
    before = db_state()
    for elements, code, field in (
        ([], "required", "elements"),
        ([{"kind": "RADIO", "label": "Pick"}], "required", "elements.0.options"),
        ([{"kind": "INSTRUCTION", "label": "Read", "required": True}], "not_answerable", "elements.0.required"),
    ):
        got = post(world.staff.user, CREATE, i={"name": "X", "elements": elements})["createFormTemplate"]["errors"]
        assert [(e["code"], e["field"]) for e in got] == [(code, field)]
    assert db_state() == before


def test_the_fieldworker_fills_in_steps_submits_and_then_completes(world, form):
    fw, booking = world.fw_a.user, gid("Booking", world.booking_a.pk)
    (shown,) = post(fw, FORMS, b=booking)["bookingForms"]
    assert (shown["name"], shown["status"], shown["version"]) == ("Safety check", "NOT_STARTED", 1)
    first = post(fw, SAVE, i={"bookingId": booking, "templateId": form["id"],
                              "answers": answers(filters={"number": "3"}, last_service={"date": "2026-04-02"})})
    assert first["saveFormAnswers"]["errors"] == []
    assert first["saveFormAnswers"]["bookingForm"]["status"] == "DRAFT"
    signature = png_data_url()
    post(fw, SAVE, i={"bookingId": booking, "templateId": form["id"],
                      "answers": answers(rooms={"choices": ["hall", "kitchen"]}, signed={"signature": signature})})
    (read,) = post(fw, FORMS, b=booking)["bookingForms"]
    assert {a["key"]: {k: v for k, v in a["value"].items() if v is not None} for a in read["answers"]} == {
        "filters": {"number": "3"}, "last_service": {"date": "2026-04-02"}, "rooms": {"choices": ["kitchen", "hall"]},
        "signed": {"signature": signature}}
    booking_services.booking_confirm(actor=world.staff, channel=G, booking_id=world.booking_a.pk)
    booking_services.booking_start(actor=world.fw_actor_a, channel=G, booking_id=world.booking_a.pk)
    before = db_state()
    refused = post(fw, COMPLETE, id=booking)["completeBooking"]
    assert refused == {"booking": None, "errors": [
        {"code": "form_required", "message": "Submit the form 'Safety check' before completing the job."}]}
    not_ticked = post(fw, SUBMIT, i={"bookingId": booking, "templateId": form["id"]})["submitForm"]
    assert [(e["code"], e["field"], e["errorCode"]) for e in not_ticked["errors"]] == [
        ("required", "answers.power_off", "CommonError")]
    assert db_state() == before
    done = post(fw, SUBMIT, i={"bookingId": booking, "templateId": form["id"],
                               "answers": answers(power_off={"boolean": True})})["submitForm"]
    assert done["errors"] == [] and done["bookingForm"]["status"] == "SUBMITTED"
    assert post(fw, COMPLETE, id=booking)["completeBooking"] == {"booking": {"status": "COMPLETED"}, "errors": []}


def test_bad_answers_are_payload_errors_and_change_nothing(world, form):
    fw, booking = world.fw_a.user, gid("Booking", world.booking_a.pk)
    post(fw, SAVE, i={"bookingId": booking, "templateId": form["id"], "answers": answers(filters={"number": "1"})})
    before = db_state()
    for given, code, field in (
        (answers(filters={"number": "10"}), "out_of_range", "answers.filters"),
        (answers(filters={"text": "x", "number": "2"}), "one_value", "answers.0.value"),
        (answers(rooms={"choices": ["attic"]}), "invalid_choice", "answers.rooms"),
        (answers(safety={"text": "x"}), "not_answerable", "answers.safety"),
        (answers(nope={"text": "x"}), "unknown_field", "answers.nope"),
        (answers(signed={"signature": "data:image/png;base64,AAAA"}), "invalid_signature", "answers.signed"),
        (answers(power_off={"photoId": gid("BookingAttachment", 1)}), "wrong_type", "answers.power_off"),
        (answers(filters={"number": "2"}) * 2, "duplicate", "answers.1.key"),
    ):
        got = post(fw, SAVE, i={"bookingId": booking, "templateId": form["id"], "answers": given})["saveFormAnswers"]
        assert [(e["code"], e["field"]) for e in got["errors"]] == [(code, field)], given
    assert db_state() == before
    assert FormSubmission.objects.get().answers == {"filters": "1"}


def test_who_sees_and_fills_a_bookings_forms(world, form):
    booking = gid("Booking", world.booking_a.pk)
    assert post(world.fw_b.user, FORMS, b=booking)["bookingForms"] == []
    assert post(world.cust_b.user, FORMS, b=booking)["bookingForms"] == []
    assert post(world.cust_a.user, FORMS, b=booking)["bookingForms"] == []  # not submitted yet
    for user in (world.fw_b.user, world.cust_b.user):
        got = post(user, SAVE, i={"bookingId": booking, "templateId": form["id"],
                                  "answers": answers(filters={"number": "1"})})["saveFormAnswers"]
        assert [(e["code"], e["field"]) for e in got["errors"]] == [("not_found", "bookingId")]
    forms_services.form_submit(actor=world.fw_actor_a, channel=G, booking_id=world.booking_a.pk,
                               template_id=int(FormTemplateVersion.objects.get().template_id),
                               answers={"power_off": True})
    (seen,) = post(world.cust_a.user, FORMS, b=booking)["bookingForms"]
    assert seen["status"] == "SUBMITTED" and seen["submittedBy"] == world.fw_a.name
    assert seen["answers"] == [{"key": "power_off", "value": {"text": None, "number": None, "date": None,
                                                              "time": None, "boolean": True, "choices": None,
                                                              "signature": None, "photoId": None}}]


def test_booking_forms_costs_the_same_queries_for_two_forms_or_six(world, django_assert_num_queries):
    sign_in(world.staff.user)
    make = lambda n: forms_services.form_template_create(  # noqa: E731
        actor=world.staff, channel=G, name=f"Form {n}", elements=[{"kind": "toggle", "label": "Tidy"}],
        service_ids=[world.service.pk])
    first, _second = make(0), make(1)
    forms_services.form_answers_save(actor=world.staff, channel=G, booking_id=world.booking_a.pk,
                                     template_id=first.pk, answers={"tidy": True})
    booking = gid("Booking", world.booking_a.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert len(post(world.staff.user, FORMS, b=booking)["bookingForms"]) == 2
    for n in range(2, 6):
        make(n)
    with django_assert_num_queries(len(one)):
        assert len(post(world.staff.user, FORMS, b=booking)["bookingForms"]) == 6


HISTORY = """query($b: ID!) { bookingHistory(bookingId: $b) { action } }"""


def test_the_timeline_shows_a_submitted_form_and_the_customer_only_the_visible_ones(world):
    make = lambda name, visible: forms_services.form_template_create(  # noqa: E731
        actor=world.staff, channel=G, name=name, elements=[{"kind": "toggle", "label": "Tidy"}],
        service_ids=[world.service.pk], customer_visible=visible)
    for template in (make("Shown", True), make("Internal", False)):
        forms_services.form_submit(actor=world.fw_actor_a, channel=G, booking_id=world.booking_a.pk,
                                   template_id=template.pk, answers={"tidy": True})
    booking = gid("Booking", world.booking_a.pk)
    staff_rows = [row["action"] for row in post(world.staff.user, HISTORY, b=booking)["bookingHistory"]]
    customer_rows = [row["action"] for row in post(world.cust_a.user, HISTORY, b=booking)["bookingHistory"]]
    assert staff_rows.count("form_submitted") == 2 and customer_rows.count("form_submitted") == 1


LIST = "{ formTemplates { name version elements { key } serviceIds } }"


def test_the_template_list_costs_the_same_queries_for_two_or_six(world, django_assert_num_queries):
    sign_in(world.staff.user)
    for n in range(2):
        forms_services.form_template_create(actor=world.staff, channel=G, name=f"Form {n}",
                                            elements=[{"kind": "toggle", "label": "Tidy"}],
                                            service_ids=[world.service.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        assert len(post(world.staff.user, LIST)["formTemplates"]) == 2
    for n in range(2, 6):
        made = forms_services.form_template_create(actor=world.staff, channel=G, name=f"Form {n}",
                                                   elements=[{"kind": "toggle", "label": "Tidy"}])
        forms_services.form_template_update(actor=world.staff, channel=G, template_id=made.pk,
                                            elements=[{"kind": "toggle", "label": "Neat"}])
    with django_assert_num_queries(len(two)):
        listed = post(world.staff.user, LIST)["formTemplates"]
    assert [(t["name"], t["version"], t["elements"][0]["key"]) for t in listed][-1] == ("Form 5", 2, "neat")
