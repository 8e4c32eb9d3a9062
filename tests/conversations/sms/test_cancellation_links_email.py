"""A bare CANCEL by SMS (a carrier opt-out word) e-mails the customer a link per open booking to
cancel it. That e-mail is logged and claimed like every customer e-mail (decision 0038): its task,
run again as after a lost worker, sends nothing more."""

from __future__ import annotations

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.tasks import run_ready
from core.outreach.models import EmailKind, EmailMessage, EmailStatus
from core.sms.tasks import email_cancellation_links
from tests import factories
from tests.core.outreach.support import deliver

from .conftest import prompted_booking


def _run_again(task_path: str) -> int:
    """Put this path's finished task rows back in the queue, as orphan recovery does for the
    task of a worker that was lost before it could record the outcome, and run them."""
    again = DBTaskResult.objects.filter(task_path=task_path).update(status=TaskResultStatus.READY, finished_at=None)
    assert again
    return run_ready()


def test_a_bare_cancel_e_mails_the_links_once_even_when_its_task_runs_twice(db, sms, mailoutbox):
    customer = factories.customer(email="nell@example.com")
    booking = prompted_booking(customer)
    deliver()
    mailoutbox.clear()

    sms("CANCEL", customer.mobile)
    deliver()
    [mail] = mailoutbox
    assert mail.to == ["nell@example.com"] and "cancel your booking?" in mail.subject
    assert f"Booking #{booking.number}" in mail.body and mail.alternatives
    [logged] = EmailMessage.objects.filter(kind=EmailKind.CANCEL_LINKS)
    assert (logged.status, logged.customer_id, logged.booking_id) == (EmailStatus.SENT, customer.pk, booking.pk)

    assert _run_again("core.outreach.sending.deliver_email") >= 1
    assert len(mailoutbox) == 1
    assert EmailMessage.objects.filter(kind=EmailKind.CANCEL_LINKS).count() == 1


def test_a_task_row_written_before_the_log_sends_once_when_run_twice(db, mailoutbox):
    customer = factories.customer(email="olga@example.com")
    booking = factories.booking(cust=customer)
    deliver()
    mailoutbox.clear()
    DBTaskResult.objects.all().delete()

    email_cancellation_links.enqueue(customer.pk, [booking.pk])
    deliver()
    assert [m.subject for m in mailoutbox if "cancel your booking?" in m.subject]
    assert _run_again("core.sms.tasks.email_cancellation_links") >= 1
    assert _run_again("core.outreach.sending.deliver_email") >= 1
    assert len([m for m in mailoutbox if "cancel your booking?" in m.subject]) == 1
    [logged] = EmailMessage.objects.filter(kind=EmailKind.CANCEL_LINKS)
    assert logged.status == EmailStatus.SENT and logged.dedupe_key.startswith("cancel-links:")
