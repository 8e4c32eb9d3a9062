"""Reminders to book a service again over GraphQL (decision 0625): staff set a service's
``rebookReminderDays``, complete a booking over HTTP, list the reminder, the periodic job's task sends
it once; bad settings and withdrawals by the wrong caller or of the wrong id change nothing; a page
of reminders costs a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.catalog.models import Service
from core.outreach.models import ServiceReminder
from tests import factories
from tests.core.outreach.support import db_state, deliver, run_job_at
from tests.graphql_api.conftest import gid, run
from tests.graphql_api.over_http import gql

pytestmark = pytest.mark.django_db

REMINDERS = """query($filter: ServiceReminderFilter, $first: Int) { serviceReminders(filter: $filter, first: $first) {
  edges { node { id status reason dueAt completedAt customer { name } service { name rebookReminderDays }
                 booking { number } email { status kind } channel sms { kind toNumber body } } } } }"""
WITHDRAW = """mutation($id: ID!) { withdrawServiceReminder(id: $id) {
  serviceReminder { id status reason } errors { code field message } } }"""
UPDATE_SERVICE = """mutation($input: UpdateServiceInput!) { updateService(input: $input) {
  service { id rebookReminderDays } errors { code field message } } }"""
CREATE_SERVICE = """mutation($input: CreateServiceInput!) { createService(input: $input) {
  service { id name rebookReminderDays } errors { code field message } } }"""


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIELDOPS_PUBLIC_URL = "https://fieldops.example"
    mail.outbox = []


@pytest.fixture
def staff_user(db):
    return factories.staff_user()


@pytest.fixture
def termite(db):
    return factories.service(name="Termite inspection", rebook_reminder_days=180)


def _complete_over_http(user, booking) -> None:
    for op in ("confirmBooking", "startBooking", "completeBooking"):
        result = gql(user, f"mutation($id: ID!) {{ {op}(id: $id) {{ booking {{ status }} errors {{ code }} }} }}",
                     id=gid("Booking", booking.pk))[op]
        assert result["errors"] == [], result
    deliver()


def test_staff_complete_a_booking_and_the_job_emails_its_reminder_once(staff_user, termite, monkeypatch):
    emailer = factories.customer(preferred_channel="email")  # a mobile too: the preference picks e-mail
    booking = factories.booking(cust=emailer, svc=termite, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    [edge] = gql(staff_user, REMINDERS)["serviceReminders"]["edges"]
    node = edge["node"]
    assert (node["status"], node["customer"]["name"], node["service"], node["booking"]["number"], node["email"]) == (
        "PENDING", booking.customer.name, {"name": "Termite inspection", "rebookReminderDays": 180}, booking.number,
        None)
    reminder = ServiceReminder.objects.get()
    mail.outbox = []
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=2)) == 1
    assert len(mail.outbox) == 1 and "Termite inspection" in mail.outbox[0].subject
    node = gql(staff_user, REMINDERS)["serviceReminders"]["edges"][0]["node"]
    assert (node["status"], node["channel"], node["email"], node["sms"]) == (
        "SENT", "EMAIL", {"status": "sent", "kind": "service_reminder"}, None)
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=7)) == 0
    assert len(mail.outbox) == 1


def test_an_sms_preferring_customer_is_texted_once_and_the_list_shows_the_channel(staff_user, termite, monkeypatch,
                                                                                   twilio_sms):
    texter = factories.customer(preferred_channel="sms")
    booking = factories.booking(cust=texter, svc=termite, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    reminder = ServiceReminder.objects.get()
    assert gql(staff_user, REMINDERS)["serviceReminders"]["edges"][0]["node"]["channel"] is None  # not sent yet
    mail.outbox = []
    twilio_sms.clear()
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=2)) == 1
    assert run_job_at(monkeypatch, reminder.due_at + timedelta(minutes=7)) == 0
    [text] = twilio_sms
    assert text.to == texter.mobile and "Termite inspection" in text.body and "/again/" in text.body
    assert mail.outbox == []
    node = gql(staff_user, REMINDERS)["serviceReminders"]["edges"][0]["node"]
    assert (node["status"], node["channel"], node["email"]) == ("SENT", "SMS", None)
    assert node["sms"] == {"kind": "book_again", "toNumber": texter.mobile, "body": text.body}


def test_an_opted_out_customer_without_email_is_listed_skipped_with_the_reason(staff_user, termite, monkeypatch,
                                                                               twilio_sms):
    from core.sms import services as sms_services

    silent = factories.customer(email="")
    booking = factories.booking(cust=silent, svc=termite, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    sms_services.sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=silent.mobile, keyword="STOP")
    twilio_sms.clear()
    assert run_job_at(monkeypatch, ServiceReminder.objects.get().due_at + timedelta(minutes=1)) == 0
    assert twilio_sms == [] and mail.outbox == []
    node = gql(staff_user, REMINDERS)["serviceReminders"]["edges"][0]["node"]
    assert (node["status"], node["reason"], node["channel"], node["sms"], node["email"]) == (
        "SKIPPED", "opted_out", None, None, None)


def test_a_rebooked_customer_is_skipped_with_the_reason_and_no_email(staff_user, termite, monkeypatch):
    booking = factories.booking(svc=termite, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    factories.booking(cust=booking.customer, svc=termite, start=timezone.now() + timedelta(days=170))
    deliver()
    mail.outbox = []
    assert run_job_at(monkeypatch, ServiceReminder.objects.get().due_at + timedelta(minutes=1)) == 0
    node = gql(staff_user, REMINDERS)["serviceReminders"]["edges"][0]["node"]
    assert (node["status"], node["reason"], node["email"]) == ("SKIPPED", "rebooked", None)
    assert mail.outbox == []


def test_the_setting_is_made_and_cleared_through_the_catalogue(staff_user, termite):
    made = gql(staff_user, CREATE_SERVICE, input={"name": "Gutter clean", "price": "90", "rebookReminderDays": 365})
    assert made["createService"]["service"]["rebookReminderDays"] == 365
    cleared = gql(staff_user, UPDATE_SERVICE, input={"id": gid("Service", termite.pk), "rebookReminderDays": None})
    assert cleared["updateService"]["service"]["rebookReminderDays"] is None
    assert Service.objects.get(pk=termite.pk).rebook_reminder_days is None
    kept = gql(staff_user, UPDATE_SERVICE, input={"id": gid("Service", termite.pk), "price": "130"})
    assert kept["updateService"]["service"]["rebookReminderDays"] is None


@pytest.mark.parametrize("days", [0, 5000, -3])
def test_days_outside_1_to_1095_are_refused_and_nothing_changes(staff_user, termite, days):
    gql(staff_user, "{ me { kind } }")
    before = db_state()
    updated = gql(staff_user, UPDATE_SERVICE, input={"id": gid("Service", termite.pk), "rebookReminderDays": days})
    assert updated["updateService"]["service"] is None
    [error] = updated["updateService"]["errors"]
    assert (error["code"], error["field"]) == ("out_of_range", "rebookReminderDays")
    assert "1095" in error["message"]
    created = gql(staff_user, CREATE_SERVICE, input={"name": "Never", "price": "5", "rebookReminderDays": days})
    assert created["createService"]["errors"][0]["code"] == "out_of_range"
    assert db_state() == before
    assert Service.objects.get(pk=termite.pk).rebook_reminder_days == 180


def _pending(staff_user, termite):
    booking = factories.booking(svc=termite, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, booking)
    return ServiceReminder.objects.get(booking=booking)


def test_staff_withdraw_a_pending_reminder(staff_user, termite):
    reminder = _pending(staff_user, termite)
    result = gql(staff_user, WITHDRAW, id=gid("ServiceReminder", reminder.pk))["withdrawServiceReminder"]
    assert result == {"serviceReminder": {"id": gid("ServiceReminder", reminder.pk), "status": "WITHDRAWN",
                                          "reason": "by_staff"}, "errors": []}
    again = gql(staff_user, WITHDRAW, id=gid("ServiceReminder", reminder.pk))["withdrawServiceReminder"]
    assert again["errors"][0]["code"] == "not_pending"


def test_withdrawing_as_customer_or_fieldworker_or_a_wrong_id_is_refused_and_changes_nothing(staff_user, termite):
    reminder = _pending(staff_user, termite)
    customer = factories.customer(with_login=True)
    fieldworker = factories.fieldworker()
    for user in (customer.user, fieldworker.user):
        gql(user, "{ me { kind } }")
    before = db_state()
    for user in (customer.user, fieldworker.user):
        refused = gql(user, WITHDRAW, id=gid("ServiceReminder", reminder.pk))["withdrawServiceReminder"]
        assert refused["serviceReminder"] is None and refused["errors"][0]["code"] == "forbidden"
    missing = gql(staff_user, WITHDRAW, id=gid("ServiceReminder", reminder.pk + 100))["withdrawServiceReminder"]
    assert missing["errors"][0]["code"] == "not_found"
    wrong_type = gql(staff_user, WITHDRAW, id=gid("Booking", reminder.booking_id))["withdrawServiceReminder"]
    assert wrong_type["errors"][0]["code"] == "invalid_id"
    assert db_state() == before
    assert ServiceReminder.objects.get().status == "pending"


def test_only_staff_list_reminders_and_the_filters_narrow_them(staff_user, termite):
    first = _pending(staff_user, termite)
    other_service = factories.service(name="Carpet clean", rebook_reminder_days=30)
    second = factories.booking(svc=other_service, start=timezone.now() - timedelta(hours=3))
    _complete_over_http(staff_user, second)
    second_reminder = ServiceReminder.objects.get(booking=second)
    customer = factories.customer(with_login=True)
    denied = run(Actor.from_user(customer.user), "{ serviceReminders(first: 5) { edges { node { id } } } }")
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"

    def ids(**filter_) -> list[str]:
        edges = gql(staff_user, REMINDERS, filter=filter_)["serviceReminders"]["edges"]
        return [edge["node"]["id"] for edge in edges]

    a, b = gid("ServiceReminder", first.pk), gid("ServiceReminder", second_reminder.pk)
    assert ids() == [b, a]  # soonest due first: 30 days before 180
    assert ids(serviceId=gid("Service", termite.pk)) == [a]
    assert ids(customerId=gid("Customer", second.customer_id)) == [b]
    assert ids(status="PENDING") == [b, a] and ids(status="SENT") == []
    assert ids(dueFrom=(second_reminder.due_at + timedelta(days=1)).isoformat()) == [a]
    assert ids(dueBefore=(second_reminder.due_at + timedelta(days=1)).isoformat()) == [b]


def _reminders(n: int, termite) -> None:
    staff = factories.staff_actor()
    for _ in range(n):
        booking = factories.booking(svc=termite, start=timezone.now() - timedelta(hours=3))
        for step in (booking_services.booking_confirm, booking_services.booking_start,
                     booking_services.booking_complete):
            step(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk)


def test_a_page_of_reminders_costs_the_same_queries_whatever_its_size(termite, django_assert_num_queries):
    staff = factories.staff_actor()
    _reminders(3, termite)
    with CaptureQueriesContext(connection) as three:
        result = run(staff, REMINDERS, first=10)
    assert "errors" not in result and len(result["data"]["serviceReminders"]["edges"]) == 3
    _reminders(5, termite)
    with django_assert_num_queries(len(three.captured_queries)):
        result = run(staff, REMINDERS, first=10)
    assert len(result["data"]["serviceReminders"]["edges"]) == 8
