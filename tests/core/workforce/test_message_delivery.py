"""Messages to fieldworkers are delivered like the customer-side ones (decision 0196): an SMTP, Twilio
or Bot API outage puts the message back in the queue with a deferred retry (exponential back-off),
it is sent once when the provider is back, failed after the last attempt, and sent again by staff
(GraphQL over HTTP, the admin). A text becomes delivered (or failed) from Twilio's signed status
report. Refusals of a retry change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.tasks import run_ready
from core.accounts.models import User
from core.actors import Actor, Channel
from core.chat import backends as chat_backends
from core.chat.models import ChatBinding, ChatMessage
from core.sms import backends as sms_backends
from core.sms.models import SmsKind, SmsMessage
from core.workforce import messaging
from core.workforce.models import FieldworkerLog, FieldworkerMessage
from tests import factories
from tests.conversations.sms.conftest import STATUS_PATH, post_signed
from tests.core.test_delivery_retries import DownChat, graphql, smtp, time_passes, twilio  # noqa: F401
from tests.graphql_api.conftest import gid

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL
TASK = "core.workforce.messaging.deliver_fieldworker_message"
RETRY = """mutation($id: ID!) { retryFieldworkerMessage(id: $id) { message { status attempts }
  errors { code ... on CommonError { errorCode } } } }"""
FAILED = """query($f: ID!) { fieldworkerMessages(fieldworkerId: $f, status: "failed") {
  edges { node { id status attempts nextAttemptAt error } } } }"""


def send(staff_actor, fieldworker, medium: str, body: str = "Team meeting at 8") -> FieldworkerMessage:
    [message] = messaging.fieldworker_message_send(actor=staff_actor, channel=G, medium=medium, body=body,
                                                   fieldworker_id=fieldworker.pk)
    return message


def statuses(message: FieldworkerMessage) -> list[tuple[str, str]]:
    """The message's history in the fieldworker's activity log: (action, status)."""
    return [(row.action, row.data.get("status", "")) for row in FieldworkerLog.objects.filter(
        fieldworker_id=message.fieldworker_id, data__message_id=message.pk).order_by("id")]


def state() -> dict:
    return {"messages": list(FieldworkerMessage.objects.order_by("pk").values()),
            "log": FieldworkerLog.objects.count(), "tasks": DBTaskResult.objects.count(),
            "sms": SmsMessage.objects.count()}


def test_an_smtp_outage_delays_the_message_until_the_server_is_back(smtp, settings, fieldworker,  # noqa: F811
                                                                     staff_actor):
    message = send(staff_actor, fieldworker, "email")
    run_ready()
    row = FieldworkerMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts) == ("queued", 1) and "ConnectionRefusedError" in row.error
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY, task_path=TASK)
    assert task.run_after == row.next_attempt_at  # a deferred task, not a poll
    assert round((row.next_attempt_at - row.updated_at).total_seconds()) == 30
    assert run_ready() == 0  # not due yet
    time_passes()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 2)
    assert round((row.next_attempt_at - row.updated_at).total_seconds()) == 60  # doubling
    settings.EMAIL_PORT = smtp.port  # the server is back
    time_passes()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error, row.next_attempt_at) == ("sent", 3, "", None)
    assert len(smtp.delivered) == 1
    assert time_passes() == 0 and len(smtp.delivered) == 1  # nothing sends it twice
    assert statuses(row) == [("message_sent", ""), ("message_status", "queued"), ("message_status", "queued"),
                             ("message_status", "sent")]


def test_after_the_last_attempt_it_is_failed_and_staff_send_it_again_over_graphql(
        smtp, settings, fieldworker, staff_actor, django_capture_on_commit_callbacks):  # noqa: F811
    settings.FIELDOPS_RETRY_ATTEMPTS = 2
    message = send(staff_actor, fieldworker, "email")
    run_ready()
    time_passes()
    row = FieldworkerMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)
    assert time_passes() == 0  # nothing retries a failed message on its own
    staff = factories.staff_user()
    listed = graphql(staff, FAILED, f=gid("Fieldworker", fieldworker.pk))["data"]["fieldworkerMessages"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [gid("FieldworkerMessage", row.pk)]
    assert listed[0]["node"]["attempts"] == 2 and "ConnectionRefusedError" in listed[0]["node"]["error"]
    settings.EMAIL_PORT = smtp.port
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(staff, RETRY, id=gid("FieldworkerMessage", row.pk))["data"]["retryFieldworkerMessage"]
    assert answer["errors"] == []
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 3) and len(smtp.delivered) == 1
    assert [action for action, _ in statuses(row)][-2:] == ["message_retried", "message_status"]


def test_a_retry_refused_changes_nothing(fieldworker, staff_actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(staff_actor, fieldworker, "email")
    received = messaging.fieldworker_sms_received(actor=Actor.system(), channel=Channel.SMS,
                                                  sender=fieldworker.mobile, body="Running late", sms_message_id=1)
    failed = send(staff_actor, fieldworker, "email")
    FieldworkerMessage.objects.filter(pk=failed.pk).update(status="failed", error="SMTP down", attempts=8)
    staff = factories.staff_user()
    cases = [
        (staff, sent.pk, "not_failed"),  # sent already
        (staff, received.pk, "cannot_retry"),  # the fieldworker's own text
        (staff, 987654, "not_found"),
        (fieldworker.user, failed.pk, "forbidden"),  # a fieldworker, even about their own message
        (factories.customer(with_login=True).user, failed.pk, "forbidden"),
    ]
    for user, pk, code in cases:
        before = state()
        answer = graphql(user, RETRY, id=gid("FieldworkerMessage", pk))["data"]["retryFieldworkerMessage"]
        assert answer["message"] is None and [error["code"] for error in answer["errors"]] == [code], (pk, answer)
        assert state() == before, code


def test_a_text_retries_while_twilio_is_unreachable_then_is_delivered_by_the_status_report(
        twilio, settings, fieldworker, staff_actor):  # noqa: F811
    message = send(staff_actor, fieldworker, "sms")
    run_ready()
    row = FieldworkerMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts) == ("queued", 1) and row.next_attempt_at is not None
    settings.TWILIO_API_BASE_URL = twilio.url
    sms_backends._backend.cache_clear()
    time_passes()
    row.refresh_from_db()
    text = SmsMessage.objects.get(pk=int(row.external_id))
    assert (row.status, row.attempts, text.kind) == ("sent", 2, SmsKind.FIELDWORKER)
    assert len(twilio.received) == 1 and text.sid.startswith("SMfake")
    report = {"MessageSid": text.sid, "MessageStatus": "delivered", "AccountSid": settings.TWILIO_ACCOUNT_SID}
    assert post_signed(Client(), f"{STATUS_PATH}?m={text.pk}", report).status_code == 204
    row.refresh_from_db()
    assert row.status == "delivered"
    late = {**report, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    post_signed(Client(), f"{STATUS_PATH}?m={text.pk}", late)  # after delivered: changes nothing
    row.refresh_from_db()
    assert (row.status, row.error) == ("delivered", "")
    assert statuses(row)[-1] == ("message_status", "delivered")


def test_an_undelivered_text_is_failed_and_a_retry_sends_a_new_one(twilio, settings, fieldworker,  # noqa: F811
                                                                   staff_actor, django_capture_on_commit_callbacks):
    settings.TWILIO_API_BASE_URL = twilio.url
    sms_backends._backend.cache_clear()
    message = send(staff_actor, fieldworker, "sms")
    run_ready()
    row = FieldworkerMessage.objects.get(pk=message.pk)
    first = SmsMessage.objects.get(pk=int(row.external_id))
    report = {"MessageSid": first.sid, "MessageStatus": "undelivered", "ErrorCode": "30003",
              "ErrorMessage": "Unreachable handset", "AccountSid": settings.TWILIO_ACCOUNT_SID}
    post_signed(Client(), f"{STATUS_PATH}?m={first.pk}", report)
    row.refresh_from_db()
    assert row.status == "failed" and "Unreachable" in row.error
    with django_capture_on_commit_callbacks(execute=True):
        answer = graphql(factories.staff_user(), RETRY, id=gid("FieldworkerMessage", row.pk))
    assert answer["data"]["retryFieldworkerMessage"]["errors"] == []
    row.refresh_from_db()
    assert row.status == "sent" and int(row.external_id) != first.pk and len(twilio.received) == 2


@pytest.fixture
def chat(settings, fieldworker):
    settings.CHAT_BACKEND = "tests.core.test_delivery_retries.DownChat"
    chat_backends.reset()
    ChatBinding.objects.create(fieldworker=fieldworker, telegram_user_id=5151, chat_id=5151)
    yield settings
    chat_backends.reset()


def test_a_chat_message_retries_while_the_bot_api_is_down_and_goes_once(chat, fieldworker, staff_actor):
    message = send(staff_actor, fieldworker, "chat", body="Keys are under the mat")
    run_ready()
    row = FieldworkerMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts, row.error) == ("queued", 1, "Bot API down")
    chat.CHAT_BACKEND = "core.chat.backends.LocmemChatBackend"
    time_passes()  # this message's retry and the outbox's own task: one send between them
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert ChatMessage.objects.get().pk == int(row.external_id)
    assert [entry.params["text"] for entry in chat_backends.outbox] == ["Keys are under the mat"]


def test_the_sweep_sends_a_lost_message_once(fieldworker, staff_actor, settings):
    from config.jobs import sweep_deliveries

    message = send(staff_actor, fieldworker, "email")
    DBTaskResult.objects.all().delete()  # its task row pruned: nothing would ever send it
    FieldworkerMessage.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert sweep_deliveries.call()["fieldworker"] == 1
    assert sweep_deliveries.call()["fieldworker"] == 0  # its task is queued now: nothing twice
    run_ready()
    from django.core import mail

    assert FieldworkerMessage.objects.get(pk=message.pk).status == "sent" and len(mail.outbox) == 1


def test_staff_send_failed_messages_again_from_the_admin(fieldworker, staff_actor,
                                                         django_capture_on_commit_callbacks):
    from django.core import mail

    admin_client = Client()
    admin_client.force_login(User.objects.create_superuser(email="root@example.com", password="pw-root-123",
                                                           full_name="Root Admin"))
    failed, sent = send(staff_actor, fieldworker, "email"), send(staff_actor, fieldworker, "email", body="Other")
    FieldworkerMessage.objects.filter(pk=failed.pk).update(status="failed", error="SMTP down")
    FieldworkerMessage.objects.filter(pk=sent.pk).update(status="sent")
    listing = admin_client.get("/admin/workforce/fieldworkermessage/?status__exact=failed")
    assert b"SMTP down" in listing.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/workforce/fieldworkermessage/",
                                     {"action": "retry", "_selected_action": [failed.pk, sent.pk]}, follow=True)
    notices = [str(notice) for notice in response.context["messages"]]
    assert any("Only failed messages are sent again" in notice for notice in notices)  # the sent one: refused
    assert FieldworkerMessage.objects.get(pk=failed.pk).status == "sent" and len(mail.outbox) == 1
    assert FieldworkerMessage.objects.get(pk=sent.pk).status == "sent"
