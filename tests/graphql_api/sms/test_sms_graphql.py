"""GraphQL: staff read a customer's / booking's SMS history and pause or resume automated SMS."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.bookings.models import Booking
from core.crm.models import Customer
from core.sms import services as sms_services
from core.sms.models import SmsKind
from core.sms.tasks import send_booking_sms
from tests import factories
from tests.graphql_api.conftest import gid, run

HISTORY = """
query ($customerId: ID, $bookingId: ID) {
  smsHistory(customerId: $customerId, bookingId: $bookingId, first: 50) {
    totalCount
    edges { node { direction kind body status errorCode intent booking { number } customer { name } } }
  }
}"""

SET = """
mutation ($id: ID!, $paused: Boolean!) {
  setAutomatedSms(input: {id: $id, paused: $paused}) {
    booking { number automatedSmsPaused }
    customer { name automatedSmsPaused }
    errors { code field }
  }
}"""


@pytest.fixture
def texts(db):
    customer = factories.customer(name="Sam Lee")
    booking = factories.booking(cust=customer)
    other = factories.booking()
    send_booking_sms.call(SmsKind.CONFIRMATION, booking.pk)
    send_booking_sms.call(SmsKind.CONFIRMATION, other.pk)
    inbound = sms_services.sms_inbound_record(actor=Actor.system(), channel=Channel.SMS, sid="SMgql" + "0" * 29,
                                              from_number=customer.mobile, to_number="+61400999999", body="YES",
                                              customer_id=customer.pk).message
    sms_services.sms_inbound_answer(actor=Actor.system(), channel=Channel.SMS, message=inbound,
                                    intent="confirmed", reply="Thanks!", booking_id=booking.pk)
    return customer, booking, other


def test_staff_see_a_customers_sms_history_in_order(texts):
    customer, booking, _ = texts
    out = run(Actor.from_user(factories.staff_user()), HISTORY, customerId=gid("Customer", customer.pk))
    assert "errors" not in out, out
    nodes = [edge["node"] for edge in out["data"]["smsHistory"]["edges"]]
    assert [(n["direction"], n["kind"], n["body"][:6]) for n in nodes] == [
        ("out", "confirmation", nodes[0]["body"][:6]), ("in", "inbound", "YES"), ("out", "reply", "Thanks")]
    assert {n["booking"]["number"] for n in nodes} == {booking.number}
    assert {n["customer"]["name"] for n in nodes} == {"Sam Lee"}
    assert nodes[1]["intent"] == "confirmed"


def test_a_booking_filter_narrows_the_history(texts):
    _, _, other = texts
    out = run(Actor.from_user(factories.staff_user()), HISTORY, bookingId=gid("Booking", other.pk))
    assert out["data"]["smsHistory"]["totalCount"] == 1


@pytest.mark.parametrize("role", ["customer", "fieldworker", "anonymous"])
def test_only_staff_may_read_sms_history(texts, role):
    customer, _, _ = texts
    actor = {
        "customer": Actor.for_customer(customer),
        "fieldworker": Actor.from_user(factories.fieldworker().user),
        "anonymous": Actor.anonymous(),
    }[role]
    out = run(actor, HISTORY, customerId=gid("Customer", customer.pk))
    assert out["data"] is None or out["data"]["smsHistory"] is None
    assert out["errors"][0]["extensions"]["code"] in {"forbidden", "unauthenticated"}


def test_staff_pause_and_resume_sms_for_a_booking(texts):
    _, booking, _ = texts
    staff = Actor.from_user(factories.staff_user())
    out = run(staff, SET, id=gid("Booking", booking.pk), paused=True)
    assert out["data"]["setAutomatedSms"] == {"booking": {"number": booking.number, "automatedSmsPaused": True},
                                              "customer": None, "errors": []}
    assert Booking.objects.get(pk=booking.pk).automated_sms_paused
    run(staff, SET, id=gid("Booking", booking.pk), paused=False)
    assert not Booking.objects.get(pk=booking.pk).automated_sms_paused


def test_staff_pause_sms_for_a_customer(texts):
    customer, _, _ = texts
    out = run(Actor.from_user(factories.staff_user()), SET, id=gid("Customer", customer.pk), paused=True)
    assert out["data"]["setAutomatedSms"]["customer"] == {"name": "Sam Lee", "automatedSmsPaused": True}
    assert Customer.objects.get(pk=customer.pk).automated_sms_paused


def test_a_fieldworker_cannot_pause_and_nothing_changes(texts):
    _, booking, _ = texts
    out = run(Actor.from_user(factories.fieldworker().user), SET, id=gid("Booking", booking.pk), paused=True)
    assert out["data"]["setAutomatedSms"]["errors"][0]["code"] == "not_found"
    assert not Booking.objects.get(pk=booking.pk).automated_sms_paused


@pytest.mark.parametrize("bad", ["nonsense", gid("Property", 1), ""])
def test_a_bad_id_is_an_input_error(texts, bad):
    out = run(Actor.from_user(factories.staff_user()), SET, id=bad, paused=True)
    assert out["data"]["setAutomatedSms"]["errors"][0]["code"] == "invalid_id"
