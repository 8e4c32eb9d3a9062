"""The production transport: the real twilio.rest.Client, pointed at a fake Twilio on 127.0.0.1."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.sms import backends
from core.sms import services as sms_services
from core.sms.models import SmsKind, SmsMessage, SmsOptOut, SmsStatus
from tests import factories

from . import fake_twilio

ACCOUNT = "AC" + "a" * 32
TOKEN = "fake-auth-token-for-tests"


@pytest.fixture
def fake():
    server = fake_twilio.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def twilio(settings, fake):
    settings.SMS_BACKEND = "conversations.sms.twilio_backend.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = "+61400999999"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = fake.url
    settings.FIELDOPS_PUBLIC_URL = "https://ops.example.com"
    settings.SMS_STATUS_CALLBACK_URL = "https://ops.example.com/webhooks/twilio/status/"
    backends._backend.cache_clear()
    yield fake
    backends._backend.cache_clear()


def send(customer, body="Hello from the office", kind=SmsKind.MANUAL) -> SmsMessage:
    return sms_services.sms_send(actor=factories.staff_actor(), channel=Channel.GRAPHQL, to=customer.mobile, body=body,
                                 kind=kind, customer_id=customer.pk)


def test_the_real_client_sends_to_twilios_messages_resource_with_a_status_callback(db, twilio):
    customer = factories.customer()
    row = send(customer)
    [request] = twilio.received
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request.auth == (ACCOUNT, TOKEN)
    assert request.form == {
        "To": customer.mobile, "From": "+61400999999", "Body": "Hello from the office",
        "StatusCallback": f"https://ops.example.com/webhooks/twilio/status/?m={row.pk}",
    }
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert row.sid.startswith("SMfake") and row.status == SmsStatus.QUEUED
    assert row.from_number == "+61400999999"


def test_a_messaging_service_replaces_the_from_number(db, twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "b" * 32
    customer = factories.customer()
    row = send(customer)
    [request] = twilio.received
    assert request.form["MessagingServiceSid"] == "MG" + "b" * 32
    assert "From" not in request.form
    assert row.from_number == "+61400777777"  # the sender Twilio picked, from its answer


def test_error_21610_is_a_permanent_failure_and_records_the_opt_out(db, twilio):
    customer = factories.customer()
    twilio.blocked.add(customer.mobile)
    row = send(customer)
    assert (row.status, row.error_code, row.permanent_failure, row.sid) == (SmsStatus.FAILED, 21610, True, None)
    assert "unsubscribed" in row.error_message
    assert SmsOptOut.objects.get(number=customer.mobile).source == "error_21610"
    # and nothing more is attempted for that number
    second = send(customer, kind=SmsKind.REMINDER)
    assert second.status == SmsStatus.SKIPPED
    assert len(twilio.received) == 1


def test_twilio_unreachable_is_a_temporary_failure(db, twilio, settings, fake):
    fake.server.shutdown()
    fake.server.server_close()
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    backends._backend.cache_clear()
    customer = factories.customer()
    row = send(customer)
    assert (row.status, row.permanent_failure) == (SmsStatus.FAILED, False)
    assert "unreachable" in row.error_message
    assert not SmsOptOut.objects.exists()


def test_the_console_backend_prints_and_keeps_the_message(db, settings, capsys):
    settings.SMS_BACKEND = "core.sms.backends.ConsoleSmsBackend"
    customer = factories.customer()
    row = sms_services.sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=customer.mobile, body="Hi there")
    assert f"SMS {row.sid} to {customer.mobile}" in capsys.readouterr().out
    assert backends.outbox[-1].body == "Hi there"
