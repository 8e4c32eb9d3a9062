"""Delivery status reports: forward only, idempotent, 21610 permanent. Posted to the signed
webhook exactly as Twilio sends them."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.errors import ValidationFailed
from core.sms import services as sms_services
from core.sms.models import SmsMessage, SmsOptOut, SmsStatus
from tests import factories
from tests.conversations.sms.conftest import STATUS_PATH, post_signed


@pytest.fixture
def message(db) -> SmsMessage:
    customer = factories.customer()
    return sms_services.sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=customer.mobile, body="Hello",
                                 customer_id=customer.pk)


def report(client, message, status, **extra):
    params = {"MessageSid": message.sid, "MessageStatus": status, "SmsSid": message.sid, "SmsStatus": status,
              "AccountSid": "AC" + "1" * 32, "From": message.from_number, "To": message.to_number,
              "ApiVersion": "2010-04-01", **extra}
    return post_signed(client, f"{STATUS_PATH}?m={message.pk}", params)


def test_statuses_in_order_move_forward(client, message):
    for status in ("sending", "sent", "delivered"):
        assert report(client, message, status).status_code == 204
        message.refresh_from_db()
        assert message.status == status


@pytest.mark.parametrize("late", ["queued", "sending", "sent"])
def test_a_late_earlier_status_never_moves_a_message_back(client, message, late):
    report(client, message, "delivered")
    report(client, message, late)
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED


def test_the_same_report_twice_changes_nothing_more(client, message):
    report(client, message, "sent")
    message.refresh_from_db()
    first = (message.status, message.updated_at)
    report(client, message, "sent")
    message.refresh_from_db()
    assert (message.status, message.updated_at) == first


def test_undelivered_with_21610_is_permanent_and_opts_the_number_out(client, message):
    report(client, message, "sent")
    report(client, message, "undelivered", ErrorCode="21610")
    message.refresh_from_db()
    assert (message.status, message.error_code, message.permanent_failure) == ("undelivered", 21610, True)
    assert SmsOptOut.objects.get(number=message.to_number).opted_out


def test_a_temporary_error_is_not_permanent(client, message):
    report(client, message, "failed", ErrorCode="30003", ErrorMessage="Unreachable destination handset")
    message.refresh_from_db()
    assert (message.status, message.error_code, message.permanent_failure) == ("failed", 30003, False)
    assert not SmsOptOut.objects.exists()


def test_an_unknown_status_is_refused_and_changes_nothing(client, message):
    response = report(client, message, "teleported")
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == SmsStatus.QUEUED


def test_a_report_for_an_unknown_message_is_acknowledged_and_ignored(client, message):
    params = {"MessageSid": "SMunknown00000000000000000000000", "MessageStatus": "delivered"}
    assert post_signed(client, STATUS_PATH, params).status_code == 204
    assert SmsMessage.objects.filter(sid="SMunknown00000000000000000000000").count() == 0


def test_the_service_refuses_unknown_statuses(message):
    with pytest.raises(ValidationFailed):
        sms_services.sms_status_update(actor=Actor.system(), channel=Channel.SMS, sid=message.sid, status="lost")


def test_a_report_after_delivered_changes_nothing_on_the_message(client, message):
    report(client, message, "delivered")
    message.refresh_from_db()
    before = SmsMessage.objects.filter(pk=message.pk).values().get()
    assert report(client, message, "undelivered", ErrorCode="30003", ErrorMessage="late").status_code == 204
    assert SmsMessage.objects.filter(pk=message.pk).values().get() == before
    assert not SmsOptOut.objects.exists()


@pytest.mark.parametrize("code", ["9" * 31, "\uff11\uff12\uff13\uff14\uff15", "-30003"])
def test_an_error_code_that_is_not_twilios_is_dropped_not_a_500(client, message, code):
    response = report(client, message, "failed", ErrorCode=code, ErrorMessage="odd")
    assert response.status_code == 204
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", None)
