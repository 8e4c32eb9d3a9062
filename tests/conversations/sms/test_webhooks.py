"""The webhooks' own duties: signature, idempotency, the public URL, the TwiML shape."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from core.bookings.models import Booking, BookingComment, BookingStatus
from core.crm.models import Inquiry
from core.sms.models import Direction, SmsKind, SmsMessage, SmsOptOut, SmsPrompt, SmsStatus
from tests import factories

from .conftest import SMS_PATH, STATUS_PATH, inbound_params, parse_reply, post_signed, prompted_booking


def state() -> dict:
    return {
        "messages": list(SmsMessage.objects.order_by("pk").values()),
        "bookings": list(Booking.objects.order_by("pk").values()),
        "comments": list(BookingComment.objects.values()),
        "inquiries": list(Inquiry.objects.values()),
        "optouts": list(SmsOptOut.objects.values()),
        "prompts": list(SmsPrompt.objects.values()),
    }


@pytest.fixture
def booking(db):
    return prompted_booking(factories.customer())


@pytest.mark.parametrize("how", ["missing", "wrong", "other_token", "tampered_body", "other_url"])
def test_a_forged_or_missing_signature_gets_403_and_changes_nothing(client, booking, how):
    params = inbound_params(f"CANCEL {booking.number}", booking.customer.mobile)
    good = {"missing": "", "wrong": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "other_token": None, "tampered_body": None,
            "other_url": None}[how]
    from conversations.sms.signing import sign

    url = f"{settings.FIELDOPS_PUBLIC_URL}{SMS_PATH}"
    if how == "other_token":
        good = sign(url, params, token="not-our-token")
    elif how == "tampered_body":
        good = sign(url, params)
        params = {**params, "Body": "YES"}
    elif how == "other_url":
        good = sign(f"http://testserver{SMS_PATH}", params)
    before = state()
    response = post_signed(client, SMS_PATH, params, signature=good)
    assert response.status_code == 403
    assert state() == before


def test_status_webhook_refuses_unsigned_requests(client, booking):
    message = SmsMessage.objects.get(kind=SmsKind.CONFIRMATION)
    before = state()
    response = post_signed(client, STATUS_PATH, {"MessageSid": message.sid, "MessageStatus": "delivered"},
                           signature="")
    assert response.status_code == 403
    assert state() == before


def test_get_is_not_allowed(client, db):
    assert client.get(SMS_PATH).status_code == 405


def test_the_signature_is_checked_against_the_public_url_not_the_host_header(client, booking, settings):
    settings.FIELDOPS_PUBLIC_URL = "https://sms.fieldops.example"
    params = inbound_params("yes", booking.customer.mobile)
    ok = parse_reply(post_signed(client, SMS_PATH, params))  # signed for https://sms.fieldops.example/...
    assert "is confirmed" in ok.text
    again = inbound_params("yes", booking.customer.mobile)
    refused = post_signed(client, SMS_PATH, again, url=f"http://testserver{SMS_PATH}")
    assert refused.status_code == 403


def test_the_query_string_is_part_of_what_is_signed(client, booking, settings):
    params = inbound_params("Hello there", booking.customer.mobile)
    path = f"{SMS_PATH}?tenant=main"
    assert post_signed(client, path, params).status_code == 200
    before = state()
    forged = post_signed(client, path, inbound_params("Hello", booking.customer.mobile),
                         url=f"{settings.FIELDOPS_PUBLIC_URL}{SMS_PATH}")
    assert forged.status_code == 403
    assert state() == before


def test_a_replayed_message_sid_gets_the_same_reply_and_no_second_effect(client, booking, sms):
    first = sms("Gate code is 4411", booking.customer.mobile, sid="SMreplay0000000000000000000000001")
    before = state()
    second = sms("Gate code is 4411", booking.customer.mobile, sid="SMreplay0000000000000000000000001")
    assert second.xml == first.xml
    assert "passed your message on" in second.text
    assert state() == before
    assert BookingComment.objects.filter(booking=booking).count() == 1


def test_a_replayed_cancel_does_not_cancel_twice_or_answer_differently(client, booking, sms, published):
    sid = "SMreplay0000000000000000000000002"
    first = sms(f"CANCEL {booking.number}", booking.customer.mobile, sid=sid)
    published.clear()
    second = sms(f"CANCEL {booking.number}", booking.customer.mobile, sid=sid)
    assert first.text == second.text and "is cancelled" in first.text
    assert published.names == []
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL: the SQLite test database is in-memory "
                    "shared cache, which fails concurrent writers instead of waiting for them")
@pytest.mark.django_db(transaction=True)
def test_concurrent_redeliveries_act_once(booking_factory_tx):
    """Two deliveries of one MessageSid at the same moment: the unique constraint lets one win."""
    from django.test import Client

    booking = booking_factory_tx
    params = inbound_params("Please ring the bell", booking.customer.mobile, sid="SMconcurrent000000000000000000001")
    results: list = []
    barrier = threading.Barrier(2)

    def deliver():
        barrier.wait()
        try:
            results.append(parse_reply(post_signed(Client(), SMS_PATH, params)))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in results] == [200, 200]
    assert results[0].text == results[1].text
    assert BookingComment.objects.filter(booking=booking).count() == 1
    assert SmsMessage.objects.filter(direction=Direction.INBOUND).count() == 1


@pytest.fixture
def booking_factory_tx(transactional_db):
    return prompted_booking(factories.customer())


def test_every_message_is_logged_with_customer_and_booking(booking, sms):
    reply = sms("yes", booking.customer.mobile)
    inbound = SmsMessage.objects.get(direction=Direction.INBOUND)
    out = SmsMessage.objects.get(kind=SmsKind.REPLY)
    assert (inbound.customer_id, inbound.booking_id, inbound.intent) == (booking.customer_id, booking.pk, "confirmed")
    assert inbound.reply == reply.text
    assert (out.body, out.to_number, out.booking_id, out.in_reply_to_id) == (
        reply.text, booking.customer.mobile, booking.pk, inbound.pk)
    assert out.status == SmsStatus.QUEUED


def test_the_twiml_reply_carries_a_status_callback_that_attaches_its_sid(client, booking, sms):
    reply = sms("yes", booking.customer.mobile)
    out = SmsMessage.objects.get(kind=SmsKind.REPLY)
    assert f'action="http://127.0.0.1:8000/webhooks/twilio/status/?m={out.pk}"'.encode() in reply.xml
    response = post_signed(client, f"{STATUS_PATH}?m={out.pk}",
                           {"MessageSid": "SMreply000000000000000000000000001", "MessageStatus": "delivered"})
    assert response.status_code == 204
    out.refresh_from_db()
    assert (out.sid, out.status) == ("SMreply000000000000000000000000001", SmsStatus.DELIVERED)


def test_a_sender_that_is_not_a_phone_number_is_logged_and_answered_with_nothing(sms, db):
    reply = sms("STOP", "FIELDOPS")
    assert reply.status == 200 and reply.messages == []
    inbound = SmsMessage.objects.get(direction=Direction.INBOUND)
    assert inbound.intent == "error:invalid_phone"
    assert not SmsOptOut.objects.exists()
