"""GraphQL: fieldworker notifications with unread state and mark-read; staff reads of requests and
the e-mail log; staff cancel with the fee offered by the rule, and waived."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.company.models import FeeType
from core.outreach import services as outreach
from tests import factories
from tests.core.outreach.support import db_state, deliver, set_company
from tests.graphql_api.conftest import gid, run

pytestmark = pytest.mark.django_db

NOTIFICATIONS = """query($unread: Boolean!) { unreadNotificationCount
  notifications(unreadOnly: $unread, first: 10) { edges { node { id title read booking { number } } } } }"""
MARK = """mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { marked unread errors { code field } } }"""


def cancelled_with(worker):
    staff = factories.staff_actor()
    booking = factories.booking()
    booking_services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)
    booking_services.booking_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="Rain")
    deliver()
    return booking


def test_fieldworker_sees_own_notifications_and_marks_them_read():
    ann, bob = factories.fieldworker(), factories.fieldworker()
    first, second = cancelled_with(ann), cancelled_with(ann)
    cancelled_with(bob)
    ann_actor = Actor.for_fieldworker(ann)
    data = run(ann_actor, NOTIFICATIONS, unread=True)["data"]
    assert data["unreadNotificationCount"] == 2
    nodes = [e["node"] for e in data["notifications"]["edges"]]
    assert sorted(n["booking"]["number"] for n in nodes) == sorted([first.number, second.number])
    assert all(not n["read"] for n in nodes)

    bobs = run(Actor.for_fieldworker(bob), NOTIFICATIONS, unread=False)["data"]["notifications"]["edges"]
    before = db_state()
    stolen = run(ann_actor, MARK, input={"ids": [bobs[0]["node"]["id"]]})["data"]["markNotificationsRead"]
    assert stolen == {"marked": 0, "unread": 2, "errors": []} and db_state() == before

    done = run(ann_actor, MARK, input={"ids": [nodes[0]["id"]]})["data"]["markNotificationsRead"]
    assert done == {"marked": 1, "unread": 1, "errors": []}
    assert run(ann_actor, NOTIFICATIONS, unread=False)["data"]["unreadNotificationCount"] == 1
    assert len(run(ann_actor, NOTIFICATIONS, unread=True)["data"]["notifications"]["edges"]) == 1
    assert run(ann_actor, MARK, input={"all": True})["data"]["markNotificationsRead"]["marked"] == 1


def test_mark_read_refusals():
    worker = factories.fieldworker()
    cancelled_with(worker)
    someone = Actor.for_customer(factories.customer())
    before = db_state()
    empty = run(Actor.for_fieldworker(worker), MARK, input={})["data"]["markNotificationsRead"]
    assert empty["errors"] == [{"code": "required", "field": "ids"}]
    bad = run(Actor.for_fieldworker(worker), MARK, input={"ids": ["nonsense"]})["data"]["markNotificationsRead"]
    assert bad["errors"][0]["code"] == "invalid_id"
    customer = run(someone, MARK, input={"all": True})
    assert customer["data"]["markNotificationsRead"]["errors"][0]["code"] == "forbidden"
    assert db_state() == before


def test_others_see_no_notifications():
    cancelled_with(factories.fieldworker())
    for actor in (factories.staff_actor(), Actor.for_customer(factories.customer())):
        data = run(actor, NOTIFICATIONS, unread=False)["data"]
        assert data["notifications"]["edges"] == [] and data["unreadNotificationCount"] == 0


def test_staff_read_booking_requests_and_email_log_customers_cannot():
    customer = factories.customer()
    booking = factories.booking(cust=customer)
    deliver()
    outreach.booking_request_create(actor=Actor.for_customer(customer), channel=Channel.PORTAL,
                                    preferred_date=timezone.localdate() + timedelta(days=2), notes="Any time")
    query = """query($b: ID) { bookingRequests(first: 5) { edges { node { notes status customer { name } } } }
      emailLog(bookingId: $b, first: 5) { edges { node { kind status toAddress } } } }"""
    data = run(factories.staff_actor(), query, b=gid("Booking", booking.pk))["data"]
    assert data["bookingRequests"]["edges"][0]["node"] == {"notes": "Any time", "status": "pending",
                                                           "customer": {"name": customer.name}}
    assert data["emailLog"]["edges"][0]["node"] == {"kind": "confirmation", "status": "sent",
                                                    "toAddress": customer.email}
    refused = run(Actor.for_customer(customer), query, b=gid("Booking", booking.pk))
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "forbidden"


def test_staff_cancel_offers_the_rule_fee_and_may_waive_it():
    set_company(cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("45.00"),
                cancellation_notice_hours=24, customers_may_cancel=False)
    staff = factories.staff_actor()
    charged, waived = (factories.booking(start=timezone.now() + timedelta(hours=3)) for _ in range(2))
    quote = """query($id: ID!) { cancellationQuote(bookingId: $id) { allowed fee insideNoticeWindow } }"""
    assert run(staff, quote, id=gid("Booking", charged.pk))["data"]["cancellationQuote"] == {
        "allowed": True, "fee": "45.00", "insideNoticeWindow": True}
    cancel = """mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {
      booking { status cancellationFee } errors { code } } }"""
    one = run(staff, cancel, input={"id": gid("Booking", charged.pk), "reason": "Late", "acceptFee": "45.00"})
    two = run(staff, cancel, input={"id": gid("Booking", waived.pk), "reason": "Goodwill", "waiveFee": True})
    assert one["data"]["cancelBooking"]["booking"] == {"status": "CANCELLED", "cancellationFee": "45.00"}
    assert two["data"]["cancelBooking"]["booking"]["cancellationFee"] == "0.00"


RESOLVE = """mutation($input: ResolveBookingRequestInput!) { resolveBookingRequest(input: $input) {
  bookingRequest { status booking { number } resolvedAt } errors { code field } } }"""


def test_staff_resolve_a_request_once_customers_cannot():
    customer = factories.customer()
    made = factories.booking(cust=customer)
    someone_elses = factories.booking()
    request = outreach.booking_request_create(actor=Actor.for_customer(customer), channel=Channel.PORTAL,
                                              preferred_date=timezone.localdate() + timedelta(days=2))
    staff = factories.staff_actor()
    rid = gid("BookingRequest", request.pk)
    before = db_state()
    as_customer = run(Actor.for_customer(customer), RESOLVE, input={"id": rid, "outcome": "BOOKED"})
    assert as_customer["data"]["resolveBookingRequest"]["errors"][0]["code"] == "forbidden"
    wrong = run(staff, RESOLVE, input={"id": rid, "outcome": "BOOKED", "bookingId": gid("Booking", someone_elses.pk)})
    assert wrong["data"]["resolveBookingRequest"]["errors"] == [{"code": "not_found", "field": "bookingId"}]
    assert db_state() == before
    done = run(staff, RESOLVE, input={"id": rid, "outcome": "BOOKED", "bookingId": gid("Booking", made.pk)})
    node = done["data"]["resolveBookingRequest"]["bookingRequest"]
    assert node["status"] == "booked" and node["booking"] == {"number": made.number} and node["resolvedAt"]
    before = db_state()
    again = run(staff, RESOLVE, input={"id": rid, "outcome": "DECLINED"})
    assert again["data"]["resolveBookingRequest"]["errors"][0]["code"] == "already_resolved"
    assert db_state() == before


RETRY = """mutation($id: ID!) { retryEmail(id: $id) { emailMessage { status } errors { code } } }"""


def test_staff_retry_a_failed_email_once(settings, mailoutbox):
    from core.outreach.models import EmailMessage

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.FIELDOPS_RETRY_ATTEMPTS = 1  # failed after the first attempt (retries: test_email_retries.py)
    booking = factories.booking()
    deliver()
    row = EmailMessage.objects.get(booking=booking)
    assert row.status == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    staff = factories.staff_actor()
    customer = Actor.for_customer(booking.customer)
    before = db_state()
    assert run(customer, RETRY, id=gid("EmailMessage", row.pk))["data"]["retryEmail"]["errors"][0]["code"] \
        == "forbidden"
    assert db_state() == before
    retried = run(staff, RETRY, id=gid("EmailMessage", row.pk))["data"]["retryEmail"]
    assert retried == {"emailMessage": {"status": "queued"}, "errors": []}
    deliver()
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2 and len(mailoutbox) == 1
    again = run(staff, RETRY, id=gid("EmailMessage", row.pk))["data"]["retryEmail"]
    assert again["errors"] == [{"code": "not_failed"}]
