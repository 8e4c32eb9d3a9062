"""The job data services: definitions, groups, values; who may do what; refusals change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core import events
from core.actors import Actor, Channel
from core.bookings.models import BookingEvent
from core.jobdata import services
from core.jobdata.events import CustomFieldChanged, CustomFieldGroupChanged, CustomFieldValuesSet
from core.jobdata.models import CustomField, CustomFieldChoice, CustomFieldValue, JobDataLog
from tests import factories
from tests.core.support import assert_refused

from .conftest import accept, offer, png_data_url

G = Channel.GRAPHQL


def make(actor, target="booking", kind="short_text", label="Gate code", **extra) -> CustomField:
    return services.field_create(actor=actor, channel=G, target=target, label=label, field_type=kind, **extra)


def put(actor, target, object_id, **values):
    return services.values_set(actor=actor, channel=G, target=target, object_id=object_id, values=values)


# --- definitions ----------------------------------------------------------------------------------


def test_create_a_field_writes_a_log_row_and_its_event(staff_actor, published):
    group = services.group_create(actor=staff_actor, channel=G, target="booking", name="Access")
    published.clear()
    field = make(staff_actor, group_id=group.pk, help_text="For the side gate", required=True)
    assert (field.key, field.group_id, field.position, field.required) == ("gate_code", group.pk, 0, True)
    row = JobDataLog.objects.get(field=field)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == (
        "field_created", "staff", staff_actor.user_id, "graphql")
    assert row.changes["label"] == [None, "Gate code"]
    [event] = published.all()
    assert type(event) is CustomFieldChanged
    assert (event.event_id, event.field_id, event.target, event.change) == (row.pk, field.pk, "booking", "created")


def test_every_type_can_be_defined_with_its_own_settings(staff_actor):
    for kind in ("short_text", "long_text", "date", "time", "toggle", "signature"):
        make(staff_actor, kind=kind, label=f"A {kind}")
    for kind in ("button_group", "radio", "dropdown", "single_list", "checkbox_multi", "checkbox_buttons"):
        make(staff_actor, kind=kind, label=f"A {kind}", options=["x", {"value": "y", "label": "Why"}])
    counter = make(staff_actor, kind="increment", label="Rooms", min_value=1, max_value=10, step=1, default=2)
    assert (counter.min_value, counter.max_value, counter.step, counter.default) == (1, 10, 1, "2")
    assert CustomField.objects.count() == 13
    assert CustomField.objects.get(key="a_radio").options == [{"value": "x", "label": "x"},
                                                              {"value": "y", "label": "Why"}]


@pytest.mark.parametrize(("extra", "code", "field"), [
    ({"label": ""}, "required", "label"),
    ({"field_type": "colour"}, "invalid_type", "fieldType"),
    ({"target": "invoice"}, "invalid_target", "target"),
    ({"key": "Gate Code"}, "invalid_key", "key"),
    ({"field_type": "radio"}, "required", "options"),
    ({"options": ["a"]}, "not_allowed", "options"),
    ({"field_type": "radio", "options": ["a", "a"]}, "duplicate", "options.1"),
    ({"min_value": 1}, "not_allowed", "minValue"),
    ({"field_type": "increment", "min_value": 5, "max_value": 5}, "out_of_range", "maxValue"),
    ({"field_type": "increment", "step": 0}, "out_of_range", "step"),
    ({"field_type": "increment", "min_value": 0, "max_value": 3, "default": 4}, "out_of_range", "default"),
    ({"field_type": "date", "default": "tomorrow"}, "invalid_date", "default"),
    ({"field_type": "signature", "default": "x"}, "not_allowed", "default"),
    ({"group_id": 10**9}, "not_found", "groupId"),
    ({"service_id": 10**9}, "not_found", "serviceId"),
    ({"target": "customer", "service_id": 1}, "not_allowed", "serviceId"),
])
def test_bad_definitions_are_refused_and_change_nothing(staff_actor, published, extra, code, field):
    values = {"target": "booking", "label": "Gate code", "field_type": "short_text", **extra}
    assert_refused(lambda: services.field_create(actor=staff_actor, channel=G, **values), code, field=field,
                   published=published)


def test_keys_are_unique_per_target_and_only_staff_define(staff_actor, customer_actor, fieldworker_actor, published):
    make(staff_actor)
    make(staff_actor, target="customer")  # the same key on another target is another field
    assert_refused(lambda: make(staff_actor), "duplicate", field="key", published=published)
    assert_refused(lambda: make(customer_actor, label="Other"), "forbidden", published=published)
    assert_refused(lambda: make(fieldworker_actor, label="Other"), "forbidden", published=published)


def test_a_group_of_another_target_is_refused(staff_actor, published):
    group = services.group_create(actor=staff_actor, channel=G, target="customer", name="Billing")
    assert_refused(lambda: make(staff_actor, group_id=group.pk), "wrong_target", field="groupId", published=published)


def test_update_changes_what_it_asks_but_not_its_type(staff_actor, published, booking):
    field = make(staff_actor, kind="radio", options=["a", "b"])
    published.clear()
    services.field_update(actor=staff_actor, channel=G, field_id=field.pk, label="Gate", required=True,
                          options=["a", "b", "c"], default="c")
    field.refresh_from_db()
    assert (field.label, field.required, field.default, len(field.options)) == ("Gate", True, "c", 3)
    row = JobDataLog.objects.filter(action="field_updated").get()
    assert set(row.changes) == {"label", "required", "options", "default"}
    assert [event.change for event in published.of(CustomFieldChanged)] == ["updated"]
    assert_refused(lambda: services.field_update(actor=staff_actor, channel=G, field_id=field.pk,
                                                 field_type="short_text"), "immutable", field="fieldType",
                   published=published)
    put(staff_actor, "booking", booking.pk, gate_code="b")
    assert_refused(lambda: services.field_update(actor=staff_actor, channel=G, field_id=field.pk,
                                                 options=["a", "c"], default=None),
                   "option_in_use", field="options", published=published)
    assert_refused(lambda: services.field_update(actor=staff_actor, channel=G, field_id=field.pk, default="z"),
                   "invalid_choice", field="default", published=published)


def test_no_change_writes_no_row(staff_actor, published):
    field = make(staff_actor)
    published.clear()
    services.field_update(actor=staff_actor, channel=G, field_id=field.pk, label="Gate code")
    assert JobDataLog.objects.filter(action="field_updated").count() == 0
    assert published.all() == []


def test_reorder_fields_inside_a_group_and_the_groups(staff_actor, published):
    group = services.group_create(actor=staff_actor, channel=G, target="booking", name="Access")
    other = services.group_create(actor=staff_actor, channel=G, target="booking", name="Pets")
    a, b, c = (make(staff_actor, label=name, group_id=group.pk) for name in ("A", "B", "C"))
    loose = make(staff_actor, label="Loose")
    services.field_reorder(actor=staff_actor, channel=G, target="booking", group_id=group.pk,
                           field_ids=[c.pk, a.pk, b.pk])
    assert list(CustomField.objects.filter(group=group).order_by("position").values_list("key", flat=True)) == [
        "c", "a", "b"]
    assert_refused(lambda: services.field_reorder(actor=staff_actor, channel=G, target="booking", group_id=group.pk,
                                                  field_ids=[c.pk, a.pk]), "mismatch", field="fieldIds",
                   published=published)
    assert_refused(lambda: services.field_reorder(actor=staff_actor, channel=G, target="booking", group_id=group.pk,
                                                  field_ids=[c.pk, a.pk, b.pk, loose.pk]), "mismatch",
                   published=published)
    services.group_reorder(actor=staff_actor, channel=G, target="booking", group_ids=[other.pk, group.pk])
    group.refresh_from_db()
    assert group.position == 1
    assert [event.change for event in published.of(CustomFieldGroupChanged)] == ["reordered"]


def test_archive_a_field_and_an_empty_group(staff_actor, published, booking):
    group = services.group_create(actor=staff_actor, channel=G, target="booking", name="Access")
    field = make(staff_actor, group_id=group.pk)
    put(staff_actor, "booking", booking.pk, gate_code="1234")
    assert_refused(lambda: services.group_archive(actor=staff_actor, channel=G, group_id=group.pk),
                   "group_not_empty", published=published)
    services.field_archive(actor=staff_actor, channel=G, field_id=field.pk)
    services.group_archive(actor=staff_actor, channel=G, group_id=group.pk)
    assert CustomFieldValue.objects.filter(field=field).count() == 1  # kept, no longer read
    assert_refused(lambda: put(staff_actor, "booking", booking.pk, gate_code="1"), "unknown_field",
                   field="values.gate_code", published=published)
    assert_refused(lambda: services.field_update(actor=staff_actor, channel=G, field_id=field.pk, label="x"),
                   "not_found", published=published)


# --- values ---------------------------------------------------------------------------------------


def test_staff_set_typed_values_on_a_booking_and_its_timeline_says_so(staff_actor, published, booking):
    make(staff_actor, label="Gate code")
    make(staff_actor, kind="increment", label="Rooms", min_value=1, max_value=9, step=1)
    make(staff_actor, kind="date", label="Keys by")
    make(staff_actor, kind="checkbox_multi", label="Pets", options=["dog", "cat", "bird"])
    make(staff_actor, kind="signature", label="Signed")
    published.clear()
    changed = put(staff_actor, "booking", booking.pk, gate_code=" 1234 ", rooms=3, keys_by="2026-12-24",
                  pets=["cat", "dog"], signed=png_data_url())
    assert changed["rooms"] == Decimal(3) and changed["keys_by"] == date(2026, 12, 24)
    stored = {row.field.key: row for row in CustomFieldValue.objects.select_related("field")}
    assert stored["gate_code"].text == "1234"
    assert stored["rooms"].number == Decimal(3) and stored["rooms"].text is None
    assert stored["keys_by"].date == date(2026, 12, 24)
    assert stored["pets"].choices == ["dog", "cat"]
    assert sorted(CustomFieldChoice.objects.values_list("choice", flat=True)) == ["cat", "dog"]
    assert stored["signed"].long_text.startswith("data:image/png;base64,")
    row = BookingEvent.objects.filter(booking=booking, action="custom_fields_set").get()
    assert row.changes["rooms"] == [None, "3"] and row.changes["signed"] == [None, "(signed)"]
    [event] = published.all()
    assert type(event) is events.TimelineNoted and event.event_id == row.pk and event.booking_id == booking.pk

    put(staff_actor, "booking", booking.pk, pets=["bird"], gate_code=None)
    assert sorted(CustomFieldChoice.objects.values_list("choice", flat=True)) == ["bird"]
    assert not CustomFieldValue.objects.filter(field__key="gate_code").exists()


def test_setting_the_same_values_again_writes_nothing(staff_actor, published, booking):
    make(staff_actor)
    put(staff_actor, "booking", booking.pk, gate_code="1")
    published.clear()
    before = BookingEvent.objects.count()
    assert put(staff_actor, "booking", booking.pk, gate_code="1") == {}
    assert BookingEvent.objects.count() == before and published.all() == []


def test_values_of_other_targets_go_to_the_job_data_log(staff_actor, published, customer):
    make(staff_actor, target="customer", kind="toggle", label="VIP")
    published.clear()
    put(staff_actor, "customer", customer.pk, vip=True)
    row = JobDataLog.objects.get(action="values_set")
    assert (row.target, row.object_id, row.changes) == ("customer", customer.pk, {"vip": [None, True]})
    [event] = published.all()
    assert type(event) is CustomFieldValuesSet and event.keys == ("vip",) and event.object_id == customer.pk


def test_a_bad_value_refuses_the_whole_set(staff_actor, published, booking):
    make(staff_actor)
    make(staff_actor, kind="increment", label="Rooms", min_value=1, max_value=9)
    assert_refused(lambda: put(staff_actor, "booking", booking.pk, gate_code="1", rooms=12), "out_of_range",
                   field="values.rooms", published=published)
    assert_refused(lambda: put(staff_actor, "booking", booking.pk, nope="1"), "unknown_field",
                   field="values.nope", published=published)
    assert_refused(lambda: put(staff_actor, "booking", 10**9, gate_code="1"), "not_found", field="objectId",
                   published=published)


def test_required_fields_must_hold_a_value_and_take_their_default(staff_actor, published, booking):
    make(staff_actor, label="Gate code", required=True)
    make(staff_actor, kind="toggle", label="Alarm", required=True, default=False)
    make(staff_actor, label="Notes")
    assert_refused(lambda: put(staff_actor, "booking", booking.pk, notes="x"), "required", field="values.gate_code",
                   published=published)
    put(staff_actor, "booking", booking.pk, gate_code="9")
    assert CustomFieldValue.objects.get(field__key="alarm").boolean is False  # the default, stored
    assert_refused(lambda: put(staff_actor, "booking", booking.pk, gate_code=""), "required",
                   field="values.gate_code", published=published)
    put(staff_actor, "booking", booking.pk, notes="now fine")  # the stored value satisfies it


def test_service_scoped_fields_apply_to_bookings_of_that_service(staff_actor, published, booking, service):
    other = factories.service(name="Windows")
    make(staff_actor, label="Carpet colour", service_id=service.pk, required=True)
    make(staff_actor, label="Window count", service_id=other.pk, required=True)
    assert_refused(lambda: put(staff_actor, "booking", booking.pk, window_count="3", carpet_colour="red"),
                   "not_applicable", field="values.window_count", published=published)
    put(staff_actor, "booking", booking.pk, carpet_colour="red")  # the other service's required field is not asked


def test_customers_set_only_fields_meant_for_them_on_their_own_objects(staff_actor, customer, customer_actor,
                                                                        booking, published):
    make(staff_actor, label="Parking", visible_to_customer=True)
    make(staff_actor, label="Internal")
    make(staff_actor, target="customer", label="Birthday", kind="date", visible_to_customer=True)
    put(customer_actor, "booking", booking.pk, parking="street")
    put(customer_actor, "customer", customer.pk, birthday="1990-01-02")
    assert CustomFieldValue.objects.count() == 2
    assert_refused(lambda: put(customer_actor, "booking", booking.pk, internal="x"), "unknown_field",
                   field="values.internal", published=published)
    stranger = factories.booking()
    assert_refused(lambda: put(customer_actor, "booking", stranger.pk, parking="x"), "not_found",
                   published=published)
    assert_refused(lambda: put(customer_actor, "customer", stranger.customer_id, birthday="1990-01-02"),
                   "not_found", published=published)


def test_fieldworkers_set_their_fields_on_bookings_they_accepted(staff_actor, fieldworker, fieldworker_actor,
                                                                 booking, published):
    make(staff_actor, label="Meter reading", kind="increment", visible_to_fieldworker=True)
    make(staff_actor, label="Internal")
    assert_refused(lambda: put(fieldworker_actor, "booking", booking.pk, meter_reading=5), "not_found",
                   published=published)
    offer(booking, fieldworker)
    # an offer shows them the booking, but only an accepted job is theirs to fill in
    assert_refused(lambda: put(fieldworker_actor, "booking", booking.pk, meter_reading=5), "forbidden",
                   published=published)
    booking_actor = Actor.for_fieldworker(fieldworker)
    from core.bookings import services as booking_services

    booking_services.assignment_respond(actor=booking_actor, channel=Channel.TELEGRAM, booking_id=booking.pk,
                                        accept=True)
    put(fieldworker_actor, "booking", booking.pk, meter_reading=5)
    assert CustomFieldValue.objects.get().number == 5
    assert_refused(lambda: put(fieldworker_actor, "booking", booking.pk, internal="x"), "unknown_field",
                   published=published)


def test_anonymous_callers_find_nothing(booking, staff_actor, published):
    make(staff_actor)
    assert_refused(lambda: put(Actor.anonymous(), "booking", booking.pk, gate_code="1"), "not_found",
                   published=published)


def test_fieldworker_accept_helper_and_values_on_their_own_profile(staff_actor, fieldworker, fieldworker_actor,
                                                                   booking, published):
    accept(booking, fieldworker)
    make(staff_actor, target="fieldworker", label="Shirt size", kind="dropdown", options=["S", "M", "L"],
         visible_to_fieldworker=True)
    put(fieldworker_actor, "fieldworker", fieldworker.pk, shirt_size="M")
    other = factories.fieldworker()
    assert_refused(lambda: put(fieldworker_actor, "fieldworker", other.pk, shirt_size="M"), "not_found",
                   published=published)
