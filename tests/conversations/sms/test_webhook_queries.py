"""What one inbound SMS costs in statements, per kind of message (decisions 0044, 0045): each
subscriber that the event does not concern opens no savepoint, a cancellation reads its booking
and customer once for the e-mail, a comment reads its author's name with the booking. The tasks
the webhook writes run after the test's transaction, outside the count."""

from __future__ import annotations

import pytest

from core.bookings.models import Booking, BookingComment, BookingStatus
from core.outreach.models import EmailMessage
from core.sales.models import Invoice
from tests import factories

from .conftest import SMS_PATH, inbound_params, parse_reply, post_signed, prompted_booking


@pytest.fixture
def booking(db, twilio_sms):
    return prompted_booking(factories.customer(name="Dana Webb"))


def test_a_cancel_by_sms_costs_a_fixed_number_of_statements(client, booking, django_assert_num_queries):
    with django_assert_num_queries(24):
        reply = parse_reply(post_signed(client, SMS_PATH, inbound_params(f"CANCEL {booking.number}",
                                                                           booking.customer.mobile)))
    assert "is cancelled" in reply.text
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    assert EmailMessage.objects.filter(booking=booking, kind="cancellation",
                                       to_address=booking.customer.email).count() == 1
    assert not Invoice.objects.exists()  # no fee, no invoice


def test_a_confirmation_by_sms_costs_a_fixed_number_of_statements(client, booking, django_assert_num_queries):
    with django_assert_num_queries(14):
        reply = parse_reply(post_signed(client, SMS_PATH, inbound_params("YES", booking.customer.mobile)))
    assert "is confirmed" in reply.text
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    assert not Invoice.objects.exists()


def test_a_comment_by_sms_signs_with_the_customers_name_read_with_the_booking(client, booking,
                                                                                 django_assert_num_queries):
    with django_assert_num_queries(17):
        reply = parse_reply(post_signed(client, SMS_PATH, inbound_params("The gate code is 4411",
                                                                           booking.customer.mobile)))
    assert "passed your message on" in reply.text
    comment = BookingComment.objects.get(booking=booking)
    assert (comment.author_name, comment.author_kind, comment.body) == ("Dana Webb", "customer",
                                                                         "The gate code is 4411")
