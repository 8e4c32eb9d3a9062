"""Complaints by SMS over the signed webhook (decision 0936): "COMPLAINT <what went wrong>" files a
complaint on the sender's job finished in the last 14 days (or on "COMPLAINT 1042 ..."), through the
SMS channel, and staff hear of it; without such a job it reaches staff as an inquiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.sms.intents import Intent, parse
from core.bookings.models import Booking
from core.complaints.defaults import ensure_lists
from core.complaints.models import Complaint, ComplaintEvent
from core.crm.models import Inquiry
from tests import factories
from tests.core.complaints.support import completed, db_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists(db) -> None:
    ensure_lists()


@pytest.mark.parametrize("body, number, text", [
    ("COMPLAINT The bathroom was not cleaned", None, "The bathroom was not cleaned"),
    ("complaint: mud on the carpet", None, "mud on the carpet"),
    ("Complain 1042 - they broke a vase", 1042, "they broke a vase"),
    ("COMPLAINT #77 late", 77, "late"),
    ("COMPLAINT", None, ""),
])
def test_the_keyword_is_read_with_an_optional_number(body, number, text):
    parsed = parse(body)
    assert (parsed.intent, parsed.number, parsed.text) == (Intent.COMPLAINT, number, text)


def test_complaining_in_a_sentence_is_not_the_keyword():
    assert parse("I want to make a complaint").intent == Intent.TEXT


def test_help_tells_how_to_complain(sms):
    reply = sms("HELP", factories.customer().mobile)
    assert "COMPLAINT and what went wrong to report a problem" in reply.text and not reply.text.endswith("...")


def test_a_complaint_by_sms_files_against_the_job_just_finished(sms, published):
    customer = factories.customer()
    older = factories.booking(cust=customer)
    completed(older)
    latest = factories.booking(cust=customer)
    completed(latest)
    Booking.objects.filter(pk=older.pk).update(completed_at=timezone.now() - timedelta(days=2))
    published.clear()

    reply = sms("COMPLAINT The oven was left dirty", customer.mobile)
    assert reply.status == 200
    assert f"Your complaint about booking #{latest.number} is with our team" in reply.text
    complaint = Complaint.objects.get()
    assert (complaint.booking_id, complaint.channel, complaint.raised_by_kind, complaint.description) == (
        latest.pk, "sms", "customer", "The oven was left dirty")
    assert complaint.visible_to_customer is True
    assert ComplaintEvent.objects.get(complaint=complaint).channel == "sms"


def test_a_booking_number_chooses_the_job(sms):
    customer = factories.customer()
    named = factories.booking(cust=customer)
    completed(named)
    Booking.objects.filter(pk=named.pk).update(completed_at=timezone.now() - timedelta(days=60))
    reply = sms(f"COMPLAINT {named.number} they scratched the floor", customer.mobile)
    assert f"booking #{named.number}" in reply.text
    assert Complaint.objects.get().booking_id == named.pk


def test_without_a_recent_job_the_message_goes_to_staff_as_an_inquiry(sms):
    customer = factories.customer()
    old = factories.booking(cust=customer)
    completed(old)
    Booking.objects.filter(pk=old.pk).update(completed_at=timezone.now() - timedelta(days=15))
    reply = sms("COMPLAINT nobody came", customer.mobile)
    assert "We passed your message to our team" in reply.text
    assert not Complaint.objects.exists()
    inquiry = Inquiry.objects.get()
    assert inquiry.customer_id == customer.pk and "COMPLAINT nobody came" in inquiry.body


def test_refusals_reply_and_change_nothing(sms):
    customer = factories.customer()
    other = factories.customer()
    theirs = factories.booking(cust=other)
    mine = factories.booking(cust=customer)
    completed(mine)
    for n in range(5):
        assert "is with our team" in sms(f"COMPLAINT problem {n}", customer.mobile).text
    before = db_state()
    empty = sms("COMPLAINT", customer.mobile)
    assert "Please reply COMPLAINT followed by what happened." in empty.text
    not_mine = sms(f"COMPLAINT {theirs.number} awful", customer.mobile)
    assert f"We could not find booking #{theirs.number} for this number." in not_mine.text
    sixth = sms("COMPLAINT and another thing", customer.mobile)
    assert f"We already have your complaints about booking #{mine.number}" in sixth.text
    after = db_state()
    # only the SMS log grew (each inbound message and its reply are logged)
    assert {k: v for k, v in after.items() if not k.startswith("sms.")} == \
        {k: v for k, v in before.items() if not k.startswith("sms.")}
    assert Complaint.objects.count() == 5
