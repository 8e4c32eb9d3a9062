"""Inquiries: what staff must answer (unmatched SMS, cancellation requests)."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.bookings.models import BookingEvent
from core.crm.models import Inquiry, InquiryKind
from core.crm.services import inquiry_open
from core.errors import ValidationFailed
from tests import factories


def test_a_cancellation_request_lands_on_the_booking_timeline(db):
    booking = factories.booking()
    actor = Actor.for_customer(booking.customer)
    inquiry = inquiry_open(actor=actor, channel=Channel.SMS, kind=InquiryKind.CANCELLATION_REQUEST,
                           body="CANCEL", customer_id=booking.customer_id, booking_ids=[booking.pk],
                           contact=booking.customer.mobile)
    assert (inquiry.kind, inquiry.status, inquiry.channel) == ("cancellation_request", "open", "sms")
    row = BookingEvent.objects.get(booking=booking, action="cancellation_requested")
    assert (row.channel, row.actor_kind, row.data["inquiry_id"]) == ("sms", "customer", inquiry.pk)


def test_a_plain_inquiry_needs_no_customer(db):
    inquiry = inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="  Do you clean gutters? ",
                           contact="+61499888777")
    assert (inquiry.kind, inquiry.body, inquiry.customer_id) == ("inquiry", "Do you clean gutters?", None)


def test_an_unknown_kind_is_refused_and_nothing_is_written(db):
    with pytest.raises(ValidationFailed) as caught:
        inquiry_open(actor=Actor.system(), channel=Channel.SMS, kind="complaint", body="x")
    assert caught.value.field == "kind"
    assert not Inquiry.objects.exists()
