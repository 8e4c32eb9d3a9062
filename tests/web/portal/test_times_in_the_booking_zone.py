"""Every person-facing time of a booking is on the wall clock of the booking's zone (decision 0620).

One booking at 14:00-16:00 in Australia/Brisbane, for a business whose own zone is UTC. Each
page, e-mail, SMS and chat text that shows its time is read the way its reader meets it (the
portal and link pages over HTTP, e-mails from the outbox, texts from the SMS and chat transports,
an SMS reply through the signed webhook, the in-app notice over GraphQL): each shows 2:00 PM (or
14:00) and never the UTC 4:00 AM (04:00) or 6:00 AM (06:00).
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import series as series_services
from core.bookings import services as booking_services
from core.bookings.services import LineInput
from core.chat import backends as chat_backends
from core.chat.models import ChatBinding
from core.outreach import services as outreach_services
from core.sms import backends as sms_backends
from core.sms.models import SmsKind
from core.sms.tasks import send_booking_sms
from tests import factories
from tests.conversations.sms.conftest import OUR_NUMBER, SMS_PATH, inbound_params, parse_reply, post_signed
from tests.core.outreach.support import deliver, set_company
from tests.graphql_api.conftest import bearer

from .support import link, portal_client

pytestmark = pytest.mark.django_db

BRISBANE = zoneinfo.ZoneInfo("Australia/Brisbane")  # UTC+10 all year
LOCAL = re.compile(r"\b(2:00 ?[AaPp][Mm]|14:00)")
UTC_TIMES = re.compile(r"\b(0?[46]:00 ?[Aa][Mm]|0[46]:00)\b")


@pytest.fixture(autouse=True)
def _transports(settings):
    settings.TWILIO_FROM_NUMBER = OUR_NUMBER
    settings.TWILIO_AUTH_TOKEN = "test-auth-token-0123456789"
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.SMS_CANCEL_IS_CARRIER_OPT_OUT = True
    settings.CHAT_BACKEND = "core.chat.backends.LocmemChatBackend"
    sms_backends.outbox.clear()
    chat_backends.reset()
    yield
    sms_backends.outbox.clear()
    chat_backends.reset()


def two_pm_in_brisbane() -> datetime:
    day = timezone.now().astimezone(BRISBANE).date() + timedelta(days=9)
    return datetime.combine(day, time(14), tzinfo=BRISBANE)


@dataclass
class Job:
    booking: object
    staff: Actor


@pytest.fixture
def job(db) -> Job:
    set_company(time_zone="UTC", name="Brisbane Gardens")
    customer = factories.customer(name="Robin Ng")
    prop = factories.property_for(customer, time_zone="Australia/Brisbane")
    # no zone given: the booking takes its property's
    booking = factories.booking(cust=customer, prop=prop, start=two_pm_in_brisbane(), hours=2)
    assert booking.time_zone == "Australia/Brisbane"
    deliver()
    return Job(booking, factories.staff_actor())


# --- how each reader meets the time -----------------------------------------------------------------


def _page(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [response.content.decode()]


def _mails(kind_in_subject: str = "") -> list[str]:
    deliver()
    found = [m for m in mail.outbox if kind_in_subject in m.subject]
    assert found, [m.subject for m in mail.outbox]
    # one text per e-mail: its subject, plain text and HTML together
    return ["\n".join((m.subject, m.body, *[body for body, _type in m.alternatives])) for m in found]


def _sms(kind: str, job: Job) -> list[str]:
    deliver()
    from core.sms.models import SmsMessage

    bodies = list(SmsMessage.objects.filter(booking=job.booking, kind=kind).values_list("body", flat=True))
    sent = [entry.body for entry in sms_backends.outbox if entry.body in bodies]
    assert sent, [entry.body for entry in sms_backends.outbox]
    return sent


def _cancel(job: Job, *, with_worker: bool = False) -> None:
    if with_worker:
        worker = factories.fieldworker()
        booking_services.booking_assign(actor=job.staff, channel=Channel.GRAPHQL, booking_id=job.booking.pk,
                                        fieldworker_id=worker.pk)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                            booking_id=job.booking.pk, accept=True)
        job.worker = worker
    deliver()
    mail.outbox = []
    booking_services.booking_cancel(actor=job.staff, channel=Channel.GRAPHQL, booking_id=job.booking.pk,
                                    reason="Rain")
    deliver()


def portal_home(job):
    return _page(portal_client(job.booking.customer).get("/portal/"))


def portal_booking(job):
    return _page(portal_client(job.booking.customer).get(f"/portal/bookings/{job.booking.pk}/"))


def portal_cancel_page(job):
    return _page(portal_client(job.booking.customer).get(f"/portal/bookings/{job.booking.pk}/cancel"))


def portal_booking_cancelled(job):
    _cancel(job)
    return _page(portal_client(job.booking.customer).get(f"/portal/bookings/{job.booking.pk}/?cancelled=1"))


def link_booking(job):
    return _page(Client().get(link(job.booking)))


def link_cancel_page(job):
    return _page(Client().get(link(job.booking, "cancel")))


def confirmation_email(job):
    return _mails("booking #")


def reminder_email(job):
    mail.outbox = []
    outreach_services.reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM,
                                         now=job.booking.scheduled_start - timedelta(hours=1))
    return _mails("reminder")


def cancellation_email(job):
    _cancel(job)
    return _mails("cancelled")


def confirmation_sms(job):
    return _sms(SmsKind.CONFIRMATION, job)


def reminder_sms(job):
    send_booking_sms.call(SmsKind.REMINDER, job.booking.pk)
    return _sms(SmsKind.REMINDER, job)


def cancellation_sms(job):
    _cancel(job)
    return _sms(SmsKind.CANCELLATION, job)


def sms_reply(job):
    reply = parse_reply(post_signed(Client(), SMS_PATH, inbound_params("YES", job.booking.customer.mobile)))
    assert "confirmed" in reply.text, reply.text
    return [reply.text]


def cancel_links_email(job):
    mail.outbox = []
    post_signed(Client(), SMS_PATH, inbound_params("CANCEL", job.booking.customer.mobile))  # bare: an opt-out
    return _mails("cancel your booking")


def chat_offer(job):
    worker = factories.fieldworker()
    ChatBinding.objects.create(fieldworker=worker, telegram_user_id=4242, chat_id=4242)
    booking_services.booking_assign(actor=job.staff, channel=Channel.GRAPHQL, booking_id=job.booking.pk,
                                    fieldworker_id=worker.pk)
    deliver()
    texts = [entry.params.get("text", "") for entry in chat_backends.outbox if entry.params.get("chat_id") == 4242]
    assert texts
    return texts


def fieldworker_notice(job):
    _cancel(job, with_worker=True)
    response = Client().post("/graphql/", json.dumps({"query": "{ notifications { edges { node { title body } } } }"}),
                             content_type="application/json", HTTP_AUTHORIZATION=bearer(job.worker.user))
    edges = response.json()["data"]["notifications"]["edges"]
    assert edges
    return [edge["node"]["body"] for edge in edges]


def _series(job) -> object:
    booking = job.booking
    start = two_pm_in_brisbane() + timedelta(days=1)
    result = series_services.series_create(
        actor=job.staff, channel=Channel.GRAPHQL, customer_id=booking.customer_id, property_id=booking.property_id,
        rule="FREQ=WEEKLY;COUNT=3", start_date=start.date(), start_time=time(14),
        lines=[LineInput(service_id=booking.lines.first().service_id)], duration_minutes=120)
    return result


def series_confirmation_email(job):
    mail.outbox = []
    _series(job)
    return _mails("recurring")


def series_confirmation_sms(job):
    first = _series(job).created[0]
    deliver()
    return [entry.body for entry in sms_backends.outbox if "recurring" in entry.body and first.customer.mobile == entry.to]


def series_cancellation_email_and_sms(job):
    result = _series(job)
    deliver()
    mail.outbox = []
    sms_backends.outbox.clear()
    series_services.series_cancel(actor=job.staff, channel=Channel.GRAPHQL, booking_id=result.created[0].pk,
                                  scope="all", reason="Moving away")
    texts = _mails("recurring")
    return texts + [entry.body for entry in sms_backends.outbox]


READERS: dict[str, Callable[[Job], list[str]]] = {
    "portal: my bookings": portal_home,
    "portal: booking": portal_booking,
    "portal: cancel page": portal_cancel_page,
    "portal: cancelled booking": portal_booking_cancelled,
    "e-mail link: booking": link_booking,
    "e-mail link: cancel page": link_cancel_page,
    "e-mail: confirmation": confirmation_email,
    "e-mail: reminder": reminder_email,
    "e-mail: cancellation": cancellation_email,
    "e-mail: cancel links after a bare CANCEL": cancel_links_email,
    "e-mail: series confirmation": series_confirmation_email,
    "e-mail and SMS: series cancellation": series_cancellation_email_and_sms,
    "SMS: confirmation": confirmation_sms,
    "SMS: reminder": reminder_sms,
    "SMS: cancellation": cancellation_sms,
    "SMS: reply to YES": sms_reply,
    "SMS: series confirmation": series_confirmation_sms,
    "chat: job offer": chat_offer,
    "in-app: fieldworker's cancellation notice": fieldworker_notice,
}


@pytest.mark.parametrize("reader", READERS, ids=list(READERS))
def test_every_text_shows_the_booking_zones_wall_clock(reader, job):
    texts = READERS[reader](job)
    assert texts
    for text in texts:
        assert LOCAL.search(text), f"{reader}: no 2:00 PM / 14:00 in {text[:400]!r}"
        assert not UTC_TIMES.search(text), f"{reader}: a UTC time in {text[:400]!r}"


@pytest.mark.parametrize(("property_zone", "company_zone"), [("Australia/Brisbane", "UTC"), ("", "Australia/Brisbane")],
                         ids=["the property's zone", "the company's zone"])
def test_a_booking_stored_without_a_zone_shows_its_propertys_else_the_companys(property_zone, company_zone):
    from core.bookings.models import Booking

    set_company(time_zone=company_zone)
    customer = factories.customer()
    prop = factories.property_for(customer, time_zone=property_zone)
    booking = factories.booking(cust=customer, prop=prop, start=two_pm_in_brisbane(), hours=2)
    deliver()
    Booking.objects.filter(pk=booking.pk).update(time_zone="")  # a row written before zones were stored
    sms_backends.outbox.clear()
    send_booking_sms.call(SmsKind.REMINDER, booking.pk)
    texts = [*_page(portal_client(customer).get(f"/portal/bookings/{booking.pk}/")),
             *[entry.body for entry in sms_backends.outbox]]
    assert len(texts) == 2
    for text in texts:
        assert LOCAL.search(text) and not UTC_TIMES.search(text), text[:300]
    assert "(Australia/Brisbane)" in texts[0]
