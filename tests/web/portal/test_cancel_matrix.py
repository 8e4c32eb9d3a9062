"""Flag on/off x channel (portal, e-mail link, SMS, staff) x timing (outside / inside the notice
window, after the start) x state (open, already cancelled, completed).

Each case drives the real front: the portal and e-mail link pages over HTTP, the Twilio webhook
for SMS, the GraphQL mutation for staff. A cancel records the channel and the fee and sends one
cancellation e-mail; a refusal leaves the database as it was (the SMS front's own message log
aside) and sends nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking, BookingStatus
from core.company.models import FeeType
from core.sms import backends as sms_backends
from tests import factories
from tests.conversations.sms.conftest import OUR_NUMBER, SMS_PATH, inbound_params, parse_reply, post_signed
from tests.core.outreach.support import db_state, deliver, set_company
from tests.graphql_api.conftest import gid, run

from .support import link, portal_client

pytestmark = pytest.mark.django_db

FEE = Decimal("30.00")
TIMINGS = {"outside": timedelta(days=3), "inside": timedelta(hours=2), "after_start": -timedelta(minutes=30)}
CHANNELS = ("portal", "email_link", "sms", "staff")

QUOTE = """query($id: ID!) { cancellationQuote(bookingId: $id) { allowed fee code } }"""
CANCEL = """mutation($input: CancelBookingInput!) {
  cancelBooking(input: $input) { booking { status cancellationFee } errors { code } } }"""


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.TWILIO_FROM_NUMBER = OUR_NUMBER
    settings.TWILIO_AUTH_TOKEN = "test-auth-token-0123456789"
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.SMS_CANCEL_IS_CARRIER_OPT_OUT = True
    sms_backends.outbox.clear()
    yield
    sms_backends.outbox.clear()


def _booking(state: str, timing: str) -> Booking:
    customer = factories.customer()
    start = timezone.now() + TIMINGS[timing]
    booking = factories.booking(cust=customer, start=start, hours=2)
    system = Actor.system()
    if state == "cancelled":
        booking_services.booking_cancel(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk, reason="earlier")
    elif state == "completed":
        for step in (booking_services.booking_confirm, booking_services.booking_start,
                     booking_services.booking_complete):
            step(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk)
    deliver()
    booking.refresh_from_db()
    return booking


def _attempt(channel: str, booking: Booking, shown_fee: Decimal, staff: Actor) -> None:
    form = {"reason": "Plans changed", "accept_fee": str(shown_fee)}
    if channel == "portal":
        portal_client(booking.customer).post(f"/portal/bookings/{booking.pk}/cancel", form)
    elif channel == "email_link":
        Client().post(link(booking, "cancel"), form)
    elif channel == "sms":
        client = Client()
        reply = parse_reply(post_signed(client, SMS_PATH,
                                        inbound_params(f"CANCEL {booking.number}", booking.customer.mobile)))
        if "fee" in reply.text.lower() and "YES" in reply.text:  # the SMS front states the fee and asks
            post_signed(client, SMS_PATH, inbound_params("YES", booking.customer.mobile))
    else:
        quote = run(staff, QUOTE, id=gid("Booking", booking.pk))["data"]["cancellationQuote"]
        run(staff, CANCEL, input={"id": gid("Booking", booking.pk), "reason": "Plans changed",
                                  "acceptFee": quote["fee"]})
    deliver()


def _expected(channel: str, flag: bool, timing: str, state: str) -> Decimal | None:
    """The fee the cancel is recorded with, or None when it must be refused."""
    if state != "open":
        return None
    if channel != "staff" and (not flag or timing == "after_start"):
        return None
    return FEE if timing in ("inside", "after_start") else Decimal("0.00")


CASES = [(flag, channel, timing, "open") for flag in (True, False) for channel in CHANNELS for timing in TIMINGS]
CASES += [(flag, channel, "outside", state) for flag in (True, False) for channel in CHANNELS
          for state in ("cancelled", "completed")]


@pytest.mark.parametrize(("flag", "channel", "timing", "state"), CASES,
                         ids=[f"{'on' if f else 'off'}-{c}-{t}-{s}" for f, c, t, s in CASES])
def test_cancel_matrix(flag, channel, timing, state):
    set_company(customers_may_cancel=flag, cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=FEE,
                cancellation_notice_hours=24, phone="+61290000000")
    booking = _booking(state, timing)
    expected = _expected(channel, flag, timing, state)
    staff = factories.staff_actor()
    mail.outbox = []
    before = db_state()

    _attempt(channel, booking, expected if expected is not None else Decimal("0.00"), staff)

    after = db_state()
    booking.refresh_from_db()
    if expected is None:
        if channel == "sms":  # the SMS front logs the exchange itself; nothing else may change
            before = {k: v for k, v in before.items() if not k.startswith("sms.")}
            after = {k: v for k, v in after.items() if not k.startswith("sms.")}
        assert after == before
        assert mail.outbox == []
        return
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancel_channel == {"staff": "graphql"}.get(channel, channel)
    assert booking.cancellation_fee == expected
    assert len(mail.outbox) == 1 and "is cancelled" in mail.outbox[0].subject
