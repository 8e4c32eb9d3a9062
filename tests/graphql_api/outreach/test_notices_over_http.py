"""From the outside: staff work over GraphQL (HTTP, bearer token) and the customer's e-mail and SMS
transports show what reached them. A series is confirmed and cancelled with one message each way;
its status is active until its last day; a booking recorded after the fact sends nothing; the texts
offer cancelling only while customers may cancel."""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.bookings.models import Booking, BookingSeries
from core.sms import backends as sms_backends
from tests import factories
from tests.core.outreach.support import cancel_links_to, db_state, deliver, set_company
from tests.graphql_api.conftest import bearer, gid

pytestmark = pytest.mark.django_db

CREATE_SERIES = """mutation($input: CreateBookingSeriesInput!) { createBookingSeries(input: $input) {
  series { id status } created { id number } errors { code field } } }"""
CANCEL_SERIES = """mutation($input: CancelBookingSeriesInput!) { cancelBookingSeries(input: $input) {
  cancelled { id } errors { code field } } }"""
CREATE_BOOKING = """mutation($v: CreateBookingInput!) { createBooking(input: $v) {
  booking { id number } errors { code field } } }"""


@pytest.fixture(autouse=True)
def _transports(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.TWILIO_FROM_NUMBER = "+61400999999"
    mail.outbox = []
    sms_backends.outbox.clear()
    yield
    sms_backends.outbox.clear()


@pytest.fixture
def token(db) -> str:
    set_company(time_zone="Australia/Sydney", name="Harbour Lawns")
    return bearer(factories.staff_user())


def graphql(token: str, query: str, **variables) -> dict:
    response = Client().post("/graphql/", json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200
    deliver()
    return response.json()["data"]


def local_today():
    return timezone.now().astimezone(zoneinfo.ZoneInfo("Australia/Sydney")).date()


def series_input(customer, start_date, rule="FREQ=WEEKLY;COUNT=6") -> dict:
    return {"customerId": gid("Customer", customer.pk), "rule": rule, "startDate": start_date.isoformat(),
            "startTime": "14:00", "durationMinutes": 90,
            "lines": [{"serviceId": gid("Service", factories.service(name="Mow").pk)}]}


def test_a_series_over_graphql_is_active_and_tells_the_customer_once_when_made_and_once_when_cancelled(token):
    customer = factories.customer()
    out = graphql(token, CREATE_SERIES, input=series_input(customer, local_today() + timedelta(days=3)))
    made = out["createBookingSeries"]
    assert made["errors"] == [] and len(made["created"]) == 6
    assert made["series"]["status"] == "active"  # not "ended" because every date is booked
    assert len(mail.outbox) == 1 and "6 dates" in mail.outbox[0].subject
    assert [entry.to for entry in sms_backends.outbox] == [customer.mobile]
    assert "6 bookings" in sms_backends.outbox[0].body

    out = graphql(token, CANCEL_SERIES, input={"bookingId": made["created"][0]["id"], "scope": "ALL",
                                               "reason": "Moving away"})
    assert out["cancelBookingSeries"]["errors"] == [] and len(out["cancelBookingSeries"]["cancelled"]) == 6
    assert len(mail.outbox) == 2 and "cancelled (6 dates)" in mail.outbox[1].subject
    assert len(sms_backends.outbox) == 2 and "cancelled" in sms_backends.outbox[1].body


def test_a_series_whose_dates_are_all_past_is_ended_and_sends_nothing(token):
    customer = factories.customer()
    out = graphql(token, CREATE_SERIES, input=series_input(customer, local_today() - timedelta(days=30),
                                                           rule="FREQ=WEEKLY;COUNT=2"))
    made = out["createBookingSeries"]
    assert made["errors"] == [] and made["created"] == [] and made["series"]["status"] == "ended"
    assert mail.outbox == [] and sms_backends.outbox == []


def test_a_series_ends_the_day_after_its_last_date_when_the_extension_runs(token):
    from io import StringIO

    from django.core.management import call_command

    customer = factories.customer()
    made = graphql(token, CREATE_SERIES, input=series_input(customer, local_today() + timedelta(days=3),
                                                            rule="FREQ=WEEKLY;COUNT=2"))["createBookingSeries"]
    series = BookingSeries.objects.get()
    call_command("extend_booking_series", stdout=StringIO())
    assert BookingSeries.objects.get().status == "active"
    # a month later: moving the series a month back stands in for the month passing
    shift = timedelta(days=30)
    BookingSeries.objects.filter(pk=series.pk).update(start_date=series.start_date - shift,
                                                      materialised_until=series.materialised_until - shift)
    call_command("extend_booking_series", stdout=StringIO())
    assert BookingSeries.objects.get().status == "ended"
    assert len(made["created"]) == 2


def test_a_booking_recorded_after_the_fact_over_graphql_sends_no_confirmation(token):
    customer = factories.customer()
    prop = factories.property_for(customer)
    start = (timezone.now() - timedelta(days=7)).replace(microsecond=0)
    out = graphql(token, CREATE_BOOKING, v={
        "customerId": gid("Customer", customer.pk), "propertyId": gid("Property", prop.pk),
        "scheduledStart": start.isoformat(), "scheduledEnd": (start + timedelta(hours=2)).isoformat(),
        "lines": [{"serviceId": gid("Service", factories.service().pk)}]})
    assert out["createBooking"]["errors"] == []
    assert Booking.objects.filter(number=out["createBooking"]["booking"]["number"]).exists()
    assert mail.outbox == [] and sms_backends.outbox == []


@pytest.mark.parametrize("may_cancel", [True, False])
def test_the_confirmation_offers_cancel_only_while_customers_may_cancel(token, may_cancel):
    set_company(customers_may_cancel=may_cancel)
    customer = factories.customer()
    start = (timezone.now() + timedelta(days=4)).replace(microsecond=0)
    out = graphql(token, CREATE_BOOKING, v={
        "customerId": gid("Customer", customer.pk), "scheduledStart": start.isoformat(),
        "lines": [{"serviceId": gid("Service", factories.service().pk)}]})
    booking = Booking.objects.get(number=out["createBooking"]["booking"]["number"])
    [email] = mail.outbox
    [text] = sms_backends.outbox
    assert bool(cancel_links_to(booking, email.body)) is may_cancel
    assert ("CANCEL" in text.body) is may_cancel, text.body
    assert "YES to confirm" in text.body


def test_a_refused_series_cancel_sends_nothing_and_changes_nothing(token):
    customer = factories.customer()
    made = graphql(token, CREATE_SERIES, input=series_input(customer, local_today() + timedelta(days=3)))
    mail.outbox = []
    sms_backends.outbox.clear()
    before = db_state()
    out = graphql(token, CANCEL_SERIES, input={"bookingId": made["createBookingSeries"]["created"][0]["id"],
                                               "scope": "ALL", "reason": "  "})
    assert out["cancelBookingSeries"]["errors"] == [{"code": "reason_required", "field": "reason"}]
    assert db_state() == before and mail.outbox == [] and sms_backends.outbox == []
