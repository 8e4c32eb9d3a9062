"""NUL characters in a signed Twilio webhook (decision 0151). On PostgreSQL each reached the
database driver and the webhook answered 500, so Twilio retried it."""

from __future__ import annotations

import pytest

from core.sms.models import Direction, SmsMessage
from tests import factories

from .conftest import SMS_PATH, STATUS_PATH, inbound_params, new_sid, post_signed


@pytest.fixture
def booking(db):
    return factories.booking(cust=factories.customer())


def test_an_inbound_text_with_a_nul_is_kept_without_it_and_answered(booking, sms):
    reply = sms("YES\x00", booking.customer.mobile)
    assert reply.status == 200
    inbound = SmsMessage.objects.get(direction=Direction.INBOUND)
    assert (inbound.body, inbound.intent, inbound.booking_id) == ("YES", "confirmed", booking.pk)
    booking.refresh_from_db()
    assert booking.status == "confirmed"


@pytest.mark.parametrize("where", ["MessageSid", "From", "To"])
def test_an_address_or_id_with_a_nul_is_malformed_and_stores_nothing(client, booking, where):
    params = inbound_params("YES", booking.customer.mobile)
    params[where] = params[where] + "\x00"
    if where == "MessageSid":
        params["SmsSid"] = params["MessageSid"]
    response = post_signed(client, SMS_PATH, params)
    assert response.status_code == 400
    assert not SmsMessage.objects.exists()


def test_a_status_report_with_a_nul_is_refused_or_kept_without_it(client, booking, sms):
    sms("YES", booking.customer.mobile)
    reply = SmsMessage.objects.get(kind="reply")
    bad_sid = post_signed(client, f"{STATUS_PATH}?m={reply.pk}", {"MessageSid": new_sid() + "\x00",
                                                                  "MessageStatus": "sent"})
    assert bad_sid.status_code == 400
    sid = new_sid()
    report = post_signed(client, f"{STATUS_PATH}?m={reply.pk}", {
        "MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003", "ErrorMessage": "Unreachable\x00"})
    assert report.status_code == 204
    reply.refresh_from_db()
    assert (reply.sid, reply.status, reply.error_code, reply.error_message) == (
        sid, "undelivered", 30003, "Unreachable")
