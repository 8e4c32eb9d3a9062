"""The portal's appointment request asks the booking fields meant for the customer, checked by the
job data service: a bad answer is a form error and nothing is kept, not even the request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.jobdata import services
from core.jobdata.models import CustomFieldValue, JobDataLog
from core.outreach.models import BookingRequest
from tests import factories
from tests.core.outreach.support import db_state
from tests.core.support import db_state as domain_state

from .support import portal_client

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def setup():
    staff = Actor.from_user(factories.staff_user())
    carpets, windows = factories.service(name="Carpets"), factories.service(name="Windows")
    make = lambda **kw: services.field_create(actor=staff, channel=G, target="booking", **kw)  # noqa: E731
    access = services.group_create(actor=staff, channel=G, target="booking", name="Access")
    make(label="Parking", field_type="dropdown", options=["street", "drive"], visible_to_customer=True,
         required=True, group_id=access.pk)
    make(label="Rooms", field_type="increment", min_value=1, max_value=9, step=1, visible_to_customer=True,
         default=2)
    make(label="Pets", field_type="checkbox_multi", options=["dog", "cat"], visible_to_customer=True)
    make(label="Stairs", field_type="toggle", visible_to_customer=True)
    make(label="Carpet colour", field_type="short_text", visible_to_customer=True, service_id=carpets.pk)
    make(label="Internal code", field_type="short_text")
    make(label="Signed", field_type="signature", visible_to_customer=True)
    customer = factories.customer()
    return customer, carpets, windows


def test_the_form_asks_the_fields_meant_for_the_customer(setup):
    customer, _carpets, _windows = setup
    page = portal_client(customer).get("/portal/request/").content.decode()
    for name in ("cf_parking", "cf_rooms", "cf_pets", "cf_stairs", "cf_carpet_colour"):
        assert f'name="{name}"' in page
    assert "cf_internal_code" not in page and "cf_signed" not in page
    assert "<h2>Access</h2>" in page and "(for Carpets)" in page
    assert 'name="cf_rooms" value="2"' in page and 'min="1"' in page and 'max="9"' in page


def test_answers_are_kept_with_the_request(setup):
    customer, carpets, _windows = setup
    when = (timezone.localdate() + timedelta(days=5)).isoformat()
    done = portal_client(customer).post("/portal/request/", {
        "service": carpets.pk, "preferred_date": when, "cf_parking": "drive", "cf_rooms": "3",
        "cf_pets": ["cat", "dog"], "cf_stairs": "on", "cf_carpet_colour": "Beige"})
    assert done.status_code == 200, done.content.decode()[:3000]
    request = BookingRequest.objects.get()
    kept = {row.field.key: row for row in CustomFieldValue.objects.filter(target="booking_request",
                                                                          object_id=request.pk)}
    assert kept["parking"].text == "drive" and kept["rooms"].number == 3 and kept["stairs"].boolean is True
    assert kept["pets"].choices == ["dog", "cat"] and kept["carpet_colour"].text == "Beige"
    row = JobDataLog.objects.get(action="values_set")
    assert (row.target, row.object_id, row.channel, row.actor_kind) == ("booking_request", request.pk, "portal",
                                                                        "customer")


def test_a_field_of_another_service_is_not_taken(setup):
    customer, _carpets, windows = setup
    when = (timezone.localdate() + timedelta(days=5)).isoformat()
    portal_client(customer).post("/portal/request/", {"service": windows.pk, "preferred_date": when,
                                                      "cf_parking": "street", "cf_carpet_colour": "Red"})
    assert not CustomFieldValue.objects.filter(field__key="carpet_colour").exists()
    assert CustomFieldValue.objects.filter(field__key="parking").count() == 1


@pytest.mark.parametrize(("answers", "message"), [
    ({"cf_rooms": "3"}, "Parking is required."),
    ({"cf_parking": "drive", "cf_rooms": "12"}, "Between 1 and 9."),
    ({"cf_parking": "drive", "cf_rooms": "2.5"}, "In steps of 1."),
])
def test_a_bad_answer_is_a_form_error_and_nothing_is_kept(setup, answers, message):
    customer, _carpets, windows = setup
    client = portal_client(customer)
    client.get("/portal/request/")
    when = (timezone.localdate() + timedelta(days=5)).isoformat()
    before, domain_before = db_state(), domain_state()
    refused = client.post("/portal/request/", {"service": windows.pk, "preferred_date": when, **answers})
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert db_state() == before and domain_state() == domain_before
    assert not BookingRequest.objects.exists()


def test_booking_the_request_carries_the_answers_onto_the_booking(setup):
    from core.bookings.models import BookingEvent
    from core.outreach import services as outreach

    customer, carpets, _windows = setup
    when = (timezone.localdate() + timedelta(days=5)).isoformat()
    portal_client(customer).post("/portal/request/", {"service": carpets.pk, "preferred_date": when,
                                                      "cf_parking": "drive", "cf_rooms": "3",
                                                      "cf_carpet_colour": "Beige"})
    request = BookingRequest.objects.get()
    staff = Actor.from_user(factories.staff_user())
    booking = factories.booking(cust=customer, svc=carpets)
    services.values_set(actor=staff, channel=G, target="booking", object_id=booking.pk,
                        values={"rooms": 5, "parking": "street"})  # staff already said: kept
    outreach.booking_request_resolve(actor=staff, channel=G, request_id=request.pk, status="booked",
                                     booking_id=booking.pk)
    held = {row.field.key: row for row in CustomFieldValue.objects.filter(target="booking", object_id=booking.pk)}
    assert (held["rooms"].number, held["parking"].text, held["carpet_colour"].text) == (5, "street", "Beige")
    row = BookingEvent.objects.filter(booking=booking, action="custom_fields_set").last()
    # an unticked toggle on the form is an answer too (no)
    assert row.changes == {"carpet_colour": [None, "Beige"], "stairs": [None, False]}
    assert row.data == {"from_request_id": request.pk}
