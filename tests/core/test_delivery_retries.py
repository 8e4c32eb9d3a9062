"""An SMTP or Twilio outage only delays a message: back to queued with a deferred retry (exponential
back-off, capped), sent when the provider is back, failed after the last attempt, then sent again by
staff (GraphQL over HTTP). A task whose worker was lost finishes its own message once; a lost
message can be retried and still goes out once. (Decisions 0033, 0034.)"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.models import WorkerHeartbeat
from config.tasks import recover_orphans, run_ready
from core.chat import outbox
from core.chat.backends import BaseChatBackend
from core.chat.models import ChatMessage, MessageStatus
from core.outreach.models import EmailKind, EmailMessage, EmailStatus
from core.sms import backends as sms_backends
from core.sms.models import SmsKind, SmsMessage, SmsStatus
from core.sms.tasks import send_booking_sms
from tests import factories
from tests.config.smtp_sink import Sink
from tests.core.sms import fake_twilio
from tests.graphql_api.conftest import bearer, gid

pytestmark = pytest.mark.django_db


def graphql(user, query: str, **variables) -> dict:
    response = Client().post("/graphql/", json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", headers={"Authorization": bearer(user)})
    assert response.status_code == 200
    return response.json()


def time_passes() -> int:
    """Every deferred task becomes due, and a worker's turn runs what is due."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now() - timedelta(seconds=1))
    return run_ready()


@pytest.fixture
def smtp(settings):
    sink = Sink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # down at first
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.FIELDOPS_RETRY_BASE, settings.FIELDOPS_RETRY_CAP, settings.FIELDOPS_RETRY_ATTEMPTS = 30, 90, 4
    try:
        yield sink
    finally:
        sink.stop()


def confirmation(booking) -> EmailMessage:
    return EmailMessage.objects.get(booking=booking, kind=EmailKind.CONFIRMATION)


def test_an_smtp_outage_delays_the_email_with_backoff_until_the_server_is_back(smtp, settings,
                                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.booking()
    row = confirmation(booking)
    assert (row.status, row.attempts) == (EmailStatus.QUEUED, 1)
    assert "ConnectionRefusedError" in row.error
    waits = [row.next_attempt_at - row.updated_at]
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY, task_path="core.outreach.sending.deliver_email")
    assert retry.run_after == row.next_attempt_at  # a deferred task, not a poll
    assert run_ready() == 0  # not due yet
    time_passes()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.QUEUED, 2)
    waits.append(row.next_attempt_at - row.updated_at)
    time_passes()
    row.refresh_from_db()
    waits.append(row.next_attempt_at - row.updated_at)
    assert [round(wait.total_seconds()) for wait in waits] == [30, 60, 90]  # doubling, capped at 90
    settings.EMAIL_PORT = smtp.port  # the server is back
    time_passes()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error, row.next_attempt_at) == (EmailStatus.SENT, 4, "", None)
    assert [subject for _, subject in smtp.delivered] == [row.subject]


def test_after_the_last_attempt_the_email_is_failed_and_staff_send_it_again(smtp, settings,
                                                                             django_capture_on_commit_callbacks):
    settings.FIELDOPS_RETRY_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.booking()
    time_passes()
    row = confirmation(booking)
    assert (row.status, row.attempts, row.next_attempt_at) == (EmailStatus.FAILED, 2, None)
    assert time_passes() == 0  # nothing retries a failed message on its own
    failed = graphql(factories.staff_user(), "{ emailLog(status: \"failed\") { edges { node { id attempts } } } }")
    assert failed["data"]["emailLog"]["edges"] == [{"node": {"id": gid("EmailMessage", row.pk), "attempts": 2}}]
    settings.EMAIL_PORT = smtp.port
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(factories.staff_user(), "mutation($id: ID!) { retryEmail(id: $id) { emailMessage { status }"
                                                 " errors { code } } }", id=gid("EmailMessage", row.pk))
    assert answer["data"]["retryEmail"] == {"emailMessage": {"status": "queued"}, "errors": []}  # before commit
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.SENT, 3) and len(smtp.delivered) == 1


def test_a_task_whose_worker_was_lost_mid_send_finishes_its_own_email_once(smtp, settings):
    settings.EMAIL_PORT = smtp.port
    booking = factories.booking()  # the test never commits: the delivery task waits in its row
    row = confirmation(booking)
    task = DBTaskResult.objects.get(task_path="core.outreach.sending.deliver_email", status=TaskResultStatus.READY)
    # a worker claimed the task and the e-mail, then died before the SMTP server answered
    long_ago = timezone.now() - timedelta(minutes=5)
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.RUNNING, started_at=long_ago,
                                                   worker_ids=["w-dead"])
    EmailMessage.objects.filter(pk=row.pk).update(status=EmailStatus.SENDING, claim=str(task.pk))
    WorkerHeartbeat.objects.create(worker_id="w-dead", started_at=long_ago, seen_at=long_ago)
    # another delivery task for the same row (a sweep, a double enqueue) finds it taken
    from core.outreach.tasks import deliver_email

    deliver_email.enqueue(row.pk, None)
    run_ready()  # (also the booking's other notices)
    assert smtp.delivered == []
    assert recover_orphans() == {"requeued": 1, "failed": 0}
    assert run_ready() == 1
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT and len(smtp.delivered) == 1


def test_a_lost_email_can_be_retried_and_still_goes_out_once(smtp, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_PORT = smtp.port
    booking = factories.booking()
    row = confirmation(booking)
    task = DBTaskResult.objects.get(task_path="core.outreach.sending.deliver_email", status=TaskResultStatus.READY)
    long_ago = timezone.now() - timedelta(minutes=30)
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.RUNNING, started_at=long_ago,
                                                   worker_ids=["w-gone"])
    EmailMessage.objects.filter(pk=row.pk).update(status=EmailStatus.SENDING, claim=str(task.pk), updated_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(factories.staff_user(), "mutation($id: ID!) { retryEmail(id: $id) { emailMessage { status }"
                                                 " errors { code } } }", id=gid("EmailMessage", row.pk))
    assert answer["data"]["retryEmail"]["errors"] == []  # not "not_failed": nobody else would send it
    recover_orphans()  # the lost worker's task runs again too: the claim keeps it to one e-mail
    run_ready()
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT and len(smtp.delivered) == 1


@pytest.fixture
def twilio(settings):
    fake = fake_twilio.start()
    settings.SMS_BACKEND = "conversations.sms.twilio_backend.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "1" * 32, "token-123"
    settings.TWILIO_FROM_NUMBER, settings.TWILIO_MESSAGING_SERVICE_SID = "+61400999999", ""
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # unreachable at first
    settings.FIELDOPS_RETRY_BASE, settings.FIELDOPS_RETRY_ATTEMPTS = 30, 3
    sms_backends._backend.cache_clear()
    try:
        yield fake
    finally:
        sms_backends._backend.cache_clear()
        fake.server.shutdown()
        fake.server.server_close()


def test_twilio_unreachable_delays_an_automated_text_then_it_is_sent_once(twilio, settings):
    booking = factories.booking()
    send_booking_sms.enqueue(SmsKind.CONFIRMATION, booking.pk)
    run_ready()
    [row] = SmsMessage.objects.filter(booking=booking, kind=SmsKind.CONFIRMATION)
    assert (row.status, row.attempts, row.sid) == (SmsStatus.QUEUED, 1, None)
    assert row.next_attempt_at is not None and "unreachable" in row.error_message
    settings.TWILIO_API_BASE_URL = twilio.url
    sms_backends._backend.cache_clear()
    time_passes()
    row.refresh_from_db()
    assert row.status == SmsStatus.QUEUED and row.sid.startswith("SMfake") and row.attempts == 2
    assert len(twilio.received) == 1
    assert time_passes() == 0 and len(twilio.received) == 1


def test_twilio_unreachable_delays_a_book_again_text_then_it_is_sent_once(twilio, settings):
    """The text of a reminder to book again (decision 0625) is an automated one: retried, sent once."""
    from core.actors import Actor, Channel
    from core.outreach import services as outreach
    from core.outreach.models import ServiceReminder

    customer = factories.customer(preferred_channel="sms")
    service = factories.service(name="Gutter clean", rebook_reminder_days=30)
    booking = factories.booking(cust=customer, svc=service, start=timezone.now() - timedelta(days=40))
    ServiceReminder.objects.create(customer=customer, service=service, booking=booking,
                                   completed_at=timezone.now() - timedelta(days=31),
                                   due_at=timezone.now() - timedelta(days=1))
    assert outreach.service_reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM) == 1
    run_ready()
    row = SmsMessage.objects.get(kind=SmsKind.BOOK_AGAIN)
    assert (row.status, row.attempts, row.sid) == (SmsStatus.QUEUED, 1, None) and row.next_attempt_at is not None
    settings.TWILIO_API_BASE_URL = twilio.url
    sms_backends._backend.cache_clear()
    time_passes()
    row.refresh_from_db()
    assert row.sid.startswith("SMfake") and row.attempts == 2
    assert time_passes() == 0
    assert [got.form["Body"] for got in twilio.received if "Gutter clean" in got.form.get("Body", "")] == [row.body]


def test_a_text_failed_after_its_attempts_is_sent_again_by_staff_over_graphql(twilio, settings,
                                                                             django_capture_on_commit_callbacks):
    booking = factories.booking()
    send_booking_sms.enqueue(SmsKind.CONFIRMATION, booking.pk)
    run_ready()
    time_passes()
    time_passes()
    [row] = SmsMessage.objects.filter(booking=booking, kind=SmsKind.CONFIRMATION)
    assert (row.status, row.attempts) == (SmsStatus.FAILED, 3)
    staff = factories.staff_user()
    listed = graphql(staff, "{ smsHistory(status: \"failed\") { edges { node { id attempts nextAttemptAt } } } }")
    assert listed["data"]["smsHistory"]["edges"] == [
        {"node": {"id": gid("SmsMessage", row.pk), "attempts": 3, "nextAttemptAt": None}}]
    retry = "mutation($id: ID!) { retrySms(id: $id) { smsMessage { status } errors { code } } }"
    settings.TWILIO_API_BASE_URL = twilio.url
    sms_backends._backend.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(staff, retry, id=gid("SmsMessage", row.pk))
    assert answer["data"]["retrySms"] == {"smsMessage": {"status": "queued"}, "errors": []}  # accepted by Twilio
    row.refresh_from_db()
    assert row.sid.startswith("SMfake") and len(twilio.received) == 1
    again = graphql(staff, retry, id=gid("SmsMessage", row.pk))["data"]["retrySms"]
    assert again["errors"] == [{"code": "not_failed"}]


def test_a_chat_message_stops_retrying_after_its_attempts_and_can_be_sent_again(settings):
    settings.FIELDOPS_RETRY_ATTEMPTS = 2
    settings.CHAT_BACKEND = "tests.core.test_delivery_retries.DownChat"
    message = outbox.send(4242, "Hello")
    assert outbox.deliver(message.pk) == MessageStatus.PENDING
    ChatMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(message.pk) == MessageStatus.FAILED
    from core.chat.services import chat_message_retry

    staff = factories.staff_actor()
    from core.actors import Channel

    retried = chat_message_retry(actor=staff, channel=Channel.ADMIN, message_id=message.pk)
    assert retried.status == MessageStatus.PENDING and retried.attempts == 0


class DownChat(BaseChatBackend):
    """A Bot API that is down (a transport stand-in, as the console and in-memory ones are)."""

    def call(self, *, method, params):
        from core.chat.backends import ChatSendError

        raise ChatSendError("Bot API down", retry_after=None)


def test_the_sweep_sends_messages_whose_task_is_gone_once(smtp, settings, twilio):
    from config.jobs import sweep_deliveries

    settings.EMAIL_PORT = smtp.port
    settings.TWILIO_API_BASE_URL = twilio.url
    sms_backends._backend.cache_clear()
    booking = factories.booking()
    send_booking_sms.enqueue(SmsKind.REMINDER, booking.pk)
    run_ready()
    email = confirmation(booking)
    [text] = SmsMessage.objects.filter(booking=booking, kind=SmsKind.REMINDER)
    # as if written before this engine, or their task rows pruned: queued for an hour, no task
    long_ago = timezone.now() - timedelta(hours=1)
    EmailMessage.objects.filter(pk=email.pk).update(status=EmailStatus.QUEUED, updated_at=long_ago, sent_at=None)
    SmsMessage.objects.filter(pk=text.pk).update(status=SmsStatus.QUEUED, sid=None, claim="", updated_at=long_ago)
    DBTaskResult.objects.all().delete()
    smtp.delivered.clear()
    twilio.received.clear()
    assert sweep_deliveries.call() == {"email": 1, "sms": 1, "fieldworker": 0, "webhook": 0}
    assert sweep_deliveries.call() == {"email": 0, "sms": 0, "fieldworker": 0, "webhook": 0}  # their tasks are queued now: nothing twice
    run_ready()
    email.refresh_from_db()
    text.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(smtp.delivered) == 1
    assert text.sid.startswith("SMfake") and len(twilio.received) == 1
