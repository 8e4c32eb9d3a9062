"""The booking's discussion on the portal page and on the e-mail link page: the customer-visible
messages (author, time in the booking's zone, body), never an internal note; the customer writes
back with a POST (CSRF, rate-limited) that lands in the same thread; a GET changes nothing."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import dateformat, timezone

from core.actors import Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingComment
from core.sms import backends
from core.sms.models import CommentDelivery, SmsOptOut
from tests import factories
from tests.core.outreach.support import db_state, deliver

from .support import link, path_of, portal_client

pytestmark = pytest.mark.django_db
ZONE = "America/New_York"  # never the server's UTC: a time printed in UTC would not match


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield
    backends.outbox.clear()


def text(response) -> str:
    return response.content.decode()


def csrf_from(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(response))
    assert match, "the page has no CSRF token"
    return match.group(1)


def local(moment) -> str:
    return dateformat.format(moment.astimezone(zoneinfo.ZoneInfo(ZONE)), "D j M Y, g:i A")


@pytest.fixture
def talk():
    """A booking in New York with a staff message for the customer and an internal note."""
    customer = factories.customer(with_login=True, name="Robin Diaz")
    booking = factories.booking(cust=customer, time_zone=ZONE)
    staff = factories.staff_actor()
    public = booking_services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                          body="We will arrive at 9, please leave the gate open.",
                                          visible_to_customer=True)
    internal = booking_services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                            body="internal: bring the big ladder", visible_to_customer=False)
    deliver()
    backends.outbox.clear()
    mail.outbox = []
    return booking, public, internal, staff


def assert_thread_shown(page, public, internal) -> None:
    body = text(page)
    assert page.status_code == 200
    assert 'id="discussion"' in body
    assert "We will arrive at 9, please leave the gate open." in body
    assert public.author_name in body
    assert local(public.created_at) in body
    # the same moment in UTC is not what the customer reads (New York is 4 or 5 hours behind)
    assert dateformat.format(public.created_at.astimezone(zoneinfo.ZoneInfo("UTC")), "g:i A") not in body
    assert "bring the big ladder" not in body and internal.body not in body


@pytest.mark.parametrize("way", ["portal", "email_link"])
def test_the_page_shows_the_customer_visible_thread_in_the_bookings_local_time(talk, way):
    booking, public, internal, _ = talk
    client = portal_client(booking.customer) if way == "portal" else Client()
    url = f"/portal/bookings/{booking.pk}/" if way == "portal" else link(booking)
    before = db_state()
    for method in (client.get, client.head):  # link scanners and previews: never a change
        assert method(url).status_code == 200
    page = client.get(url)
    assert db_state() == before
    assert_thread_shown(page, public, internal)
    # the booking's own times on the page are local too
    assert local(booking.scheduled_start) in text(page)


@pytest.mark.parametrize("way, channel", [("portal", "portal"), ("email_link", "email_link")])
def test_the_customer_writes_back_and_the_message_joins_the_thread(talk, way, channel):
    booking, *_ = talk
    client = portal_client(booking.customer, enforce_csrf_checks=True) if way == "portal" else \
        Client(enforce_csrf_checks=True)
    page_url = f"/portal/bookings/{booking.pk}/" if way == "portal" else link(booking)
    post_url = f"/portal/bookings/{booking.pk}/discussion" if way == "portal" else link(booking, "discussion")
    page = client.get(page_url)
    assert f'action="{post_url}"' in text(page)

    response = client.post(post_url, {"body": "Thanks! The gate code is 4411.", "csrfmiddlewaretoken": csrf_from(page)})
    assert response.status_code == 303
    assert response["Location"].endswith("?sent=1#discussion")
    comment = BookingComment.objects.get(body="Thanks! The gate code is 4411.")
    assert (comment.booking_id, comment.author_kind, comment.channel, comment.visible_to_customer) == (
        booking.pk, "customer", channel, True)
    deliver()
    # staff hear of it in the thread; the customer is not sent their own words back
    assert backends.outbox == [] and mail.outbox == []
    assert not CommentDelivery.objects.filter(comment=comment).exists()

    after = client.get(response["Location"])
    body = text(after)
    assert "Your message is sent." in body
    assert body.index("We will arrive at 9") < body.index("Thanks! The gate code is 4411.")
    assert "<strong>You</strong>" in body and local(comment.created_at) in body


@pytest.mark.parametrize("way", ["portal", "email_link"])
def test_a_post_without_csrf_or_without_words_changes_nothing(talk, way):
    booking, *_ = talk
    client = portal_client(booking.customer, enforce_csrf_checks=True) if way == "portal" else \
        Client(enforce_csrf_checks=True)
    page_url = f"/portal/bookings/{booking.pk}/" if way == "portal" else link(booking)
    post_url = f"/portal/bookings/{booking.pk}/discussion" if way == "portal" else link(booking, "discussion")
    page = client.get(page_url)
    before = db_state()
    assert client.post(post_url, {"body": "Hello"}).status_code == 403
    empty = client.post(post_url, {"body": "   ", "csrfmiddlewaretoken": csrf_from(page)})
    assert empty.status_code == 400 and "Please write a message." in text(empty)
    long = client.post(post_url, {"body": "x" * 5001, "csrfmiddlewaretoken": csrf_from(page)})
    assert long.status_code == 400 and "At most 5000 characters." in text(long)
    deliver()
    assert db_state() == before


def test_a_get_of_the_post_address_changes_nothing(talk):
    booking, *_ = talk
    before = db_state()
    assert Client().get(link(booking, "discussion")).status_code == 405
    assert portal_client(booking.customer).get(f"/portal/bookings/{booking.pk}/discussion").status_code == 405
    assert db_state() == before


def test_messages_are_rate_limited(talk):
    booking, *_ = talk
    client = Client()
    codes = [client.post(link(booking, "discussion"), {"body": f"Message {n}"}).status_code for n in range(11)]
    assert codes == [303] * 10 + [429]
    assert BookingComment.objects.filter(booking=booking, author_kind="customer").count() == 10


def test_another_customers_booking_and_forged_links_are_refused(talk):
    booking, *_ = talk
    stranger = factories.customer(with_login=True)
    before = db_state()
    response = portal_client(stranger).post(f"/portal/bookings/{booking.pk}/discussion", {"body": "Hi"})
    assert response.status_code == 404
    forged = link(booking, "discussion").replace("/b/", "/b/x", 1)
    assert Client().post(forged, {"body": "Hi"}).status_code == 400
    assert Client().post(f"/portal/bookings/{booking.pk}/discussion", {"body": "Hi"}).status_code == 302  # sign in
    assert db_state() == before


def test_an_expired_link_shows_no_thread_and_takes_no_message(talk):
    booking, *_ = talk
    url = link(booking)
    from core.bookings.models import Booking

    Booking.objects.filter(pk=booking.pk).update(scheduled_start=timezone.now() - timedelta(days=10),
                                                 scheduled_end=timezone.now() - timedelta(days=10, hours=-2))
    before = db_state()
    page = Client().get(url)
    assert page.status_code == 410 and "We will arrive at 9" not in text(page)
    assert Client().post(url + "discussion", {"body": "Hi"}).status_code == 410
    assert db_state() == before


def test_the_e_mail_of_a_message_links_straight_to_the_thread_where_the_customer_answers(settings):
    customer = factories.customer(name="Robin Diaz")
    booking = factories.booking(cust=customer, time_zone=ZONE)
    deliver()
    mail.outbox = []
    SmsOptOut.objects.create(number=customer.mobile, source="keyword")  # so the message goes by e-mail
    booking_services.comment_add(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                 body="Could you move the car out of the driveway?", visible_to_customer=True)
    deliver()
    assert len(mail.outbox) == 1
    url = re.search(r"https://fieldops\.example/b/\S+/#discussion", mail.outbox[0].body).group(0)
    client = Client(enforce_csrf_checks=True)
    page = client.get(path_of(url.split("#")[0]))
    assert "Could you move the car out of the driveway?" in text(page)
    answer = client.post(path_of(url.split("#")[0]) + "discussion",
                         {"body": "Done, it is on the street.", "csrfmiddlewaretoken": csrf_from(page)})
    assert answer.status_code == 303
    assert BookingComment.objects.filter(booking=booking, body="Done, it is on the street.",
                                         channel="email_link").exists()
    deliver()
    assert len(mail.outbox) == 1  # nobody e-mails the customer their own answer


def test_an_internal_note_is_on_no_page_and_in_no_outbox(talk):
    booking, _public, internal, staff = talk
    booking_services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                 body="internal: second note", visible_to_customer=False)
    deliver()
    assert backends.outbox == [] and mail.outbox == []
    for page in (Client().get(link(booking)), portal_client(booking.customer).get(f"/portal/bookings/{booking.pk}/")):
        assert page.status_code == 200 and "We will arrive at 9" in text(page)
        assert "internal: second note" not in text(page) and internal.body not in text(page)
