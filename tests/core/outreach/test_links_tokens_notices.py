"""Signed booking links, one-time portal sign-in links, fieldworker notices, booking requests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.outreach import links, selectors, services
from core.outreach.models import FieldworkerNotification, PortalLoginToken
from tests import factories
from tests.core.support import assert_refused

from .support import deliver, view_links_to

pytestmark = pytest.mark.django_db


# --- booking links ----------------------------------------------------------------------------------


def test_token_names_exactly_its_booking():
    one, two = factories.booking(), factories.booking()
    assert links.read_booking_token(links.booking_token(one)) == one
    assert links.read_booking_token(links.booking_token(two)) == two


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature broken
    lambda t: "x" + t,
    lambda t: "",
    lambda t: "a" * 500,
])
def test_forged_tokens_are_invalid(mangle):
    token = links.booking_token(factories.booking())
    assert links.read_booking_token(mangle(token)) == links.LinkProblem("invalid")


def test_a_token_signed_for_another_purpose_or_naming_another_number_is_invalid():
    booking = factories.booking()
    other_salt = signing.dumps({"b": booking.pk, "n": booking.number}, salt="something.else", compress=True)
    wrong_number = signing.dumps({"b": booking.pk, "n": booking.number + 1}, salt=links.BOOKING_SALT, compress=True)
    assert links.read_booking_token(other_salt) == links.LinkProblem("invalid")
    assert links.read_booking_token(wrong_number) == links.LinkProblem("invalid")


def test_link_expires_after_the_booking_plus_grace(settings):
    settings.OUTREACH_LINK_GRACE_HOURS = 1
    booking = factories.booking(start=timezone.now() - timedelta(hours=5), hours=2)  # ended 3 hours ago
    assert links.read_booking_token(links.booking_token(booking)) == links.LinkProblem("expired")
    settings.OUTREACH_LINK_GRACE_HOURS = 4
    assert links.read_booking_token(links.booking_token(booking)) == booking


def test_links_sent_before_the_one_builder_still_work():
    """Links the SMS side e-mailed before it delegated to core.outreach.links (0407, 0601) signed
    this same payload with this same salt; they must keep opening their booking."""
    booking = factories.booking()
    legacy = signing.dumps({"b": booking.pk, "n": booking.number}, salt="fieldops.booking.cancel-link", compress=True)
    assert links.read_booking_token(legacy) == booking


# --- portal sign-in links -------------------------------------------------------------------------


def _raw_from_outbox(mail_outbox) -> str:
    body = mail_outbox[-1].body
    return body.split("/portal/login/")[1].split("/")[0]


def test_sign_in_link_is_one_time(mailoutbox):
    customer = factories.customer(email="Ann@Example.com")
    assert services.portal_link_request(actor=Actor.anonymous(), channel=Channel.PORTAL, email="ann@example.com") == 1
    deliver()
    raw = _raw_from_outbox(mailoutbox)
    assert PortalLoginToken.objects.get().token_hash != raw  # only a hash is stored
    assert services.portal_link_check(raw).customer == customer
    assert services.portal_link_redeem(actor=Actor.anonymous(), channel=Channel.PORTAL, raw=raw) == customer
    assert services.portal_link_check(raw) is None
    assert_refused(lambda: services.portal_link_redeem(actor=Actor.anonymous(), channel=Channel.PORTAL, raw=raw),
                   "invalid_link")


def test_sign_in_link_expires(mailoutbox):
    factories.customer(email="bo@example.com")
    services.portal_link_request(actor=Actor.anonymous(), channel=Channel.PORTAL, email="bo@example.com")
    deliver()
    raw = _raw_from_outbox(mailoutbox)
    PortalLoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(lambda: services.portal_link_redeem(actor=Actor.anonymous(), channel=Channel.PORTAL, raw=raw),
                   "invalid_link")


def test_unknown_address_sends_nothing(mailoutbox):
    assert services.portal_link_request(actor=Actor.anonymous(), channel=Channel.PORTAL, email="no@one.example") == 0
    deliver()
    assert mailoutbox == [] and not PortalLoginToken.objects.exists()


# --- fieldworker in-app notifications --------------------------------------------------------------


def _assigned_booking():
    booking = factories.booking(workers_required=2)
    staff = factories.staff_actor()
    workers = [factories.fieldworker(), factories.fieldworker()]
    for worker in workers:
        booking_services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        fieldworker_id=worker.pk)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                            booking_id=booking.pk, accept=True)
    deliver()
    return booking, workers


def test_each_assigned_fieldworker_gets_one_unread_notice_and_can_mark_it_read():
    booking, (ann, bob) = _assigned_booking()
    booking_services.booking_cancel(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    reason="Customer moved")
    deliver()
    ann_actor, bob_actor = Actor.for_fieldworker(ann), Actor.for_fieldworker(bob)
    assert [n.title for n in selectors.visible_notifications(ann_actor)] == [f"Booking #{booking.number} was cancelled"]
    assert selectors.unread_count(ann_actor) == selectors.unread_count(bob_actor) == 1
    bobs = selectors.visible_notifications(bob_actor).get()
    # Ann cannot mark Bob's notice: it is ignored like a missing one.
    assert services.notifications_mark_read(actor=ann_actor, channel=Channel.GRAPHQL, ids=[bobs.pk]) == 0
    assert services.notifications_mark_read(actor=bob_actor, channel=Channel.GRAPHQL, ids=[bobs.pk]) == 1
    assert selectors.unread_count(bob_actor) == 0 and selectors.unread_count(ann_actor) == 1
    assert services.notifications_mark_read(actor=ann_actor, channel=Channel.GRAPHQL, mark_all=True) == 1


def test_a_second_cancel_notifies_no_one_again():
    booking, _ = _assigned_booking()
    staff = factories.staff_actor()
    booking_services.booking_cancel(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="x")
    deliver()
    assert FieldworkerNotification.objects.count() == 2
    assert_refused(lambda: booking_services.booking_cancel(actor=staff, channel=Channel.GRAPHQL,
                                                           booking_id=booking.pk, reason="again"),
                   "already_cancelled")
    deliver()
    assert FieldworkerNotification.objects.count() == 2


def test_customers_and_staff_have_no_notifications(customer_actor, staff_actor):
    assert_refused(lambda: services.notifications_mark_read(actor=customer_actor, channel=Channel.PORTAL,
                                                            mark_all=True), "forbidden")
    assert list(selectors.visible_notifications(staff_actor)) == []


# --- booking requests ----------------------------------------------------------------------------------


def test_customer_request_is_pending_for_staff(customer, customer_actor):
    svc = factories.service(name="Deep clean")
    tomorrow = timezone.localdate() + timedelta(days=1)
    request = services.booking_request_create(actor=customer_actor, channel=Channel.PORTAL, service_id=svc.pk,
                                              preferred_date=tomorrow, notes=" after 3pm ", customer_id=999999)
    assert (request.customer, request.status, request.notes, request.channel) == (customer, "pending", "after 3pm",
                                                                                 "portal")
    assert list(selectors.visible_booking_requests(factories.staff_actor())) == [request]
    other = Actor.for_customer(factories.customer())
    assert list(selectors.visible_booking_requests(other)) == []


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"preferred_date": date(2001, 1, 1)}, "in_past"),
    ({"preferred_date": "2030-01-01"}, "required"),
    ({"service_id": 987654}, "not_found"),
    ({"notes": "x" * 2001}, "too_long"),
])
def test_bad_requests_are_refused_and_write_nothing(customer_actor, kwargs, code):
    values = {"preferred_date": timezone.localdate() + timedelta(days=2), **kwargs}
    assert_refused(lambda: services.booking_request_create(actor=customer_actor, channel=Channel.PORTAL, **values),
                   code)


def test_fieldworkers_cannot_request(fieldworker_actor):
    assert_refused(lambda: services.booking_request_create(
        actor=fieldworker_actor, channel=Channel.PORTAL, preferred_date=timezone.localdate()), "forbidden")


def test_the_fieldworker_who_cancels_is_not_notified_the_other_is():
    from .support import set_company

    set_company(fieldworkers_may_cancel=True)
    booking, (ann, bob) = _assigned_booking()
    booking_services.booking_cancel(actor=Actor.for_fieldworker(ann), channel=Channel.TELEGRAM,
                                    booking_id=booking.pk, reason="Van broke down")
    deliver()
    assert list(FieldworkerNotification.objects.values_list("fieldworker_id", flat=True)) == [bob.pk]


def test_a_confirmation_for_a_booking_already_started_has_no_cancel_link(mailoutbox):
    booking = factories.booking(start=timezone.now() - timedelta(minutes=5), hours=2)
    deliver()
    assert view_links_to(booking, mailoutbox[0].body) and "/cancel" not in mailoutbox[0].body
