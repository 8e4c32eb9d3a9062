"""The portal and the e-mail link pages over HTTP: what each page shows, CSRF, link scanners,
forged and expired links, the flag off, fees, sign-in by one-time link, rate limits, requests."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.bookings.models import BookingStatus
from core.company.models import FeeType
from core.outreach.models import BookingRequest, EmailKind, EmailMessage
from tests import factories
from tests.core.outreach.support import db_state, deliver, set_company

from .support import link, path_of, portal_client

pytestmark = pytest.mark.django_db


def make(**kw):
    booking = factories.booking(**kw)
    deliver()
    mail.outbox = []
    return booking


def csrf_from(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "the page has no CSRF token"
    return match.group(1)


def text(response) -> str:
    return response.content.decode()


# --- e-mail links -------------------------------------------------------------------------------------


def test_cancel_link_from_the_email_opens_a_confirmation_and_a_post_with_csrf_cancels():
    set_company(customers_may_cancel=True)
    customer = factories.customer()
    factories.booking(cust=customer)
    deliver()
    booking = customer.bookings.get()
    cancel_url = re.search(r"https://fieldops\.example/b/\S+/cancel", mail.outbox[0].body).group(0)
    mail.outbox = []
    client = Client(enforce_csrf_checks=True)

    before = db_state()
    for method in (client.get, client.head):  # link scanners and previews: never a change
        assert method(path_of(cancel_url)).status_code == 200
    page = client.get(path_of(cancel_url))
    assert "Why are you cancelling?" in text(page) and 'method="post"' in text(page)
    assert db_state() == before

    assert client.post(path_of(cancel_url), {"reason": "Moving", "accept_fee": "0.00"}).status_code == 403  # no CSRF
    assert db_state() == before

    response = client.post(path_of(cancel_url), {"reason": "Moving", "accept_fee": "0.00",
                                                 "csrfmiddlewaretoken": csrf_from(page)})
    assert response.status_code == 303
    view = client.get(response["Location"])
    assert '<span class="status status-cancelled" id="booking-status">Cancelled</span>' in text(view)
    assert "Schedule an appointment" in text(view) and "Cancel booking" not in text(view)
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_channel, booking.cancel_reason) == ("cancelled", "email_link", "Moving")
    deliver()
    assert len(mail.outbox) == 1 and "is cancelled" in mail.outbox[0].subject

    # A replayed link or a double click: nothing changes, nobody hears twice.
    before = db_state()
    again = client.post(path_of(cancel_url), {"reason": "again", "accept_fee": "0.00",
                                              "csrfmiddlewaretoken": csrf_from(page)})
    assert again.status_code == 409 and "already cancelled" in text(again)
    deliver()
    assert db_state() == before and len(mail.outbox) == 1


def test_view_link_shows_details_and_the_cancel_button_when_allowed():
    set_company(customers_may_cancel=True)
    booking = make()
    page = Client().get(link(booking))
    assert page.status_code == 200
    body = text(page)
    assert f"Booking #{booking.number}" in body and "Pending" in body and booking.property.address in body
    assert 'id="cancel-booking"' in body and "<dialog" in body


def test_flag_off_no_button_and_old_links_and_direct_posts_refused_with_contact():
    set_company(customers_may_cancel=True, phone="+61290000000", email="office@sparkle.example")
    booking = make()
    old_cancel = link(booking, "cancel")  # sent while the flag was on
    set_company(customers_may_cancel=False)
    before = db_state()
    view = Client().get(link(booking))
    assert 'id="cancel-booking"' not in text(view) and "+61290000000" in text(view)
    for response in (Client().get(old_cancel), Client().post(old_cancel, {"reason": "x", "accept_fee": "0.00"}),
                     Client().post(old_cancel, {})):
        assert response.status_code == 403
        assert "Cancelling online is not available" in text(response)
        assert "+61290000000" in text(response) and "office@sparkle.example" in text(response)
    portal = portal_client(booking.customer)
    assert portal.post(f"/portal/bookings/{booking.pk}/cancel", {"reason": "x", "accept_fee": "0"}).status_code == 403
    assert db_state() == before and mail.outbox == []


@pytest.mark.parametrize("mangle", ["forged", "other-salt", "other-booking-number", "expired"])
def test_bad_links_are_refused_and_change_nothing(mangle, settings):
    booking = make()
    token = link(booking, "cancel").split("/")[2]
    from django.core import signing

    from core.outreach import links

    if mangle == "forged":
        token = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    elif mangle == "other-salt":
        token = signing.dumps({"b": booking.pk, "n": booking.number}, salt="fieldops.other", compress=True)
    elif mangle == "other-booking-number":  # validly signed, but id and number name different bookings
        other = make()
        token = signing.dumps({"b": booking.pk, "n": other.number}, salt=links.BOOKING_SALT, compress=True)
    else:
        settings.OUTREACH_LINK_GRACE_HOURS = 0
        booking.scheduled_start = timezone.now() - timedelta(hours=3)
        booking.scheduled_end = timezone.now() - timedelta(hours=1)
        booking.save()
    before = db_state()
    status = 410 if mangle == "expired" else 400
    for path in (f"/b/{token}/", f"/b/{token}/cancel", f"/b/{token}/request"):
        response = Client().get(path)
        assert response.status_code == status and "This link" in text(response)
    for path in (f"/b/{token}/cancel", f"/b/{token}/request"):
        response = Client().post(path, {"reason": "x", "accept_fee": "0.00", "preferred_date": "2099-01-01"})
        assert response.status_code == status and "This link" in text(response)
    assert db_state() == before


def test_one_bookings_link_cannot_touch_another_booking():
    mine, other = make(), make()
    response = Client().post(link(mine, "cancel"), {"reason": "x", "accept_fee": "0.00"})
    assert response.status_code == 303
    other.refresh_from_db()
    mine.refresh_from_db()
    assert other.status == BookingStatus.PENDING and mine.status == BookingStatus.CANCELLED


def test_fee_is_shown_and_must_be_the_fee_that_applies():
    set_company(customers_may_cancel=True, cancellation_fee_type=FeeType.PERCENT,
                cancellation_fee_amount=Decimal("50"), cancellation_notice_hours=24)
    booking = make(start=timezone.now() + timedelta(hours=3))  # total 132.00 -> fee 66.00
    page = Client().get(link(booking, "cancel"))
    assert "66.00" in text(page) and 'name="accept_fee" value="66.00"' in text(page)
    before = db_state()
    missing = Client().post(link(booking, "cancel"), {"reason": "Sick"})
    assert missing.status_code == 400 and "66.00" in text(missing)
    changed = Client().post(link(booking, "cancel"), {"reason": "Sick", "accept_fee": "0.00"})
    assert changed.status_code == 409 and "has changed" in text(changed) and "66.00" in text(changed)
    no_reason = Client().post(link(booking, "cancel"), {"reason": "  ", "accept_fee": "66.00"})
    assert no_reason.status_code == 400 and "tell us why" in text(no_reason)
    assert db_state() == before
    assert Client().post(link(booking, "cancel"), {"reason": "Sick", "accept_fee": "66.00"}).status_code == 303
    booking.refresh_from_db()
    assert booking.cancellation_fee == Decimal("66.00")


def test_after_the_start_the_page_says_too_late_and_a_post_changes_nothing():
    booking = make(start=timezone.now() - timedelta(minutes=10), hours=3)
    page = Client().get(link(booking, "cancel"))
    assert page.status_code == 200 and "already started" in text(page) and 'id="cancel-booking"' not in text(page)
    before = db_state()
    assert Client().post(link(booking, "cancel"), {"reason": "x", "accept_fee": "0.00"}).status_code == 409
    assert db_state() == before


def test_schedule_an_appointment_from_a_cancelled_booking_creates_a_pending_request():
    svc = factories.service(name="Window cleaning")
    booking = make()
    Client().post(link(booking, "cancel"), {"reason": "x", "accept_fee": "0.00"})
    form = Client().get(link(booking, "request"))
    assert form.status_code == 200 and "Window cleaning" in text(form)
    when = (timezone.localdate() + timedelta(days=7)).isoformat()
    before = db_state()
    bad = Client().post(link(booking, "request"), {"preferred_date": "2001-01-01"})
    assert bad.status_code == 400 and db_state() == before
    done = Client().post(link(booking, "request"), {"service": svc.pk, "preferred_date": when,
                                                    "preferred_time": "09:30", "notes": "Mornings please"})
    assert done.status_code == 200 and "Request received" in text(done)
    request = BookingRequest.objects.get()
    assert (request.customer, request.service, str(request.preferred_date), str(request.preferred_time),
            request.follows_booking, request.channel, request.status) == (
        booking.customer, svc, when, "09:30:00", booking, "email_link", "pending")


# --- the portal -----------------------------------------------------------------------------------------


def test_sign_in_by_one_time_link_and_see_only_your_bookings():
    customer = factories.customer(email="ann@example.com")
    mine = make(cust=customer)
    theirs = make()
    client = Client(enforce_csrf_checks=True)
    assert client.get("/portal/").status_code == 302  # not signed in
    login = client.get("/portal/login/")
    answer = client.post("/portal/login/", {"email": "ANN@example.com", "csrfmiddlewaretoken": csrf_from(login)})
    unknown = client.post("/portal/login/", {"email": "nobody@example.com", "csrfmiddlewaretoken": csrf_from(login)})
    # the same answer for a known and an unknown address
    assert answer.status_code == unknown.status_code == 200
    assert "Check your e-mail" in text(answer) and "Check your e-mail" in text(unknown)
    deliver()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]
    url = re.search(r"https://fieldops\.example/portal/login/\S+/", mail.outbox[0].body).group(0)
    assert EmailMessage.objects.get(kind=EmailKind.PORTAL_LINK).status == "sent"

    confirm = client.get(path_of(url))  # a scanner's GET does not use the link up
    assert confirm.status_code == 200 and client.get(path_of(url)).status_code == 200
    signed = client.post(path_of(url), {"csrfmiddlewaretoken": csrf_from(confirm)})
    assert signed.status_code == 303
    home = client.get("/portal/")
    assert f"#{mine.number}" in text(home) and f"#{theirs.number}" not in text(home)
    assert client.get(f"/portal/bookings/{mine.pk}/").status_code == 200
    before = db_state()
    assert client.get(f"/portal/bookings/{theirs.pk}/").status_code == 404
    assert client.post(f"/portal/bookings/{theirs.pk}/cancel",
                       {"reason": "x", "accept_fee": "0", "csrfmiddlewaretoken": csrf_from(home)}).status_code == 404
    assert db_state() == before

    # the link worked once
    assert Client().post(path_of(url)).status_code == 410


def test_portal_cancel_uses_the_portal_channel_then_offers_a_new_appointment():
    booking = make()
    client = portal_client(booking.customer)
    page = client.get(f"/portal/bookings/{booking.pk}/")
    assert 'id="cancel-booking"' in text(page)
    response = client.post(f"/portal/bookings/{booking.pk}/cancel", {"reason": "Away", "accept_fee": "0.00"})
    assert response.status_code == 303
    after = client.get(response["Location"])
    assert "Cancelled" in text(after) and f"/portal/request/?after={booking.pk}" in text(after)
    booking.refresh_from_db()
    assert booking.cancel_channel == "portal"
    when = (timezone.localdate() + timedelta(days=3)).isoformat()
    done = client.post(f"/portal/request/?after={booking.pk}", {"preferred_date": when})
    assert "Request received" in text(done)
    assert BookingRequest.objects.get().follows_booking == booking


def test_sign_in_is_rate_limited():
    factories.customer(email="ann@example.com")
    client = Client()
    codes = [client.post("/portal/login/", {"email": "ann@example.com"}).status_code for _ in range(7)]
    assert codes == [200] * 5 + [429, 429]
    deliver()
    assert len(mail.outbox) == 5


def test_cancel_posts_are_rate_limited():
    booking = make()
    client = Client()
    codes = [client.post(link(booking, "cancel"), {"reason": "", "accept_fee": "0.00"}).status_code
             for _ in range(11)]
    assert codes == [400] * 10 + [429]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_sign_out_is_a_post():
    booking = make()
    client = portal_client(booking.customer)
    assert client.get("/portal/logout/").status_code == 405
    assert client.post("/portal/logout/").status_code == 302
    assert client.get("/portal/").status_code == 302
