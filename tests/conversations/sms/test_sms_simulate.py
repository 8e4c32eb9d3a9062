"""``manage.py sms_simulate`` signs like Twilio, posts to a running server and prints the reply."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from core.bookings.models import Booking, BookingStatus
from tests import factories

from .conftest import prompted_booking


def test_simulate_talks_to_a_running_server(live_server, settings, transactional_db):
    settings.FIELDOPS_PUBLIC_URL = live_server.url
    booking = prompted_booking(factories.customer())
    out = io.StringIO()
    call_command("sms_simulate", f"CANCEL {booking.number}", "--from", booking.customer.mobile, stdout=out)
    assert f"Booking #{booking.number}" in out.getvalue() and "is cancelled" in out.getvalue()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_simulate_with_another_token_is_refused_by_the_server(live_server, settings, transactional_db):
    settings.FIELDOPS_PUBLIC_URL = live_server.url
    booking = prompted_booking(factories.customer())
    with pytest.raises(CommandError, match="403"):
        call_command("sms_simulate", "YES", "--from", booking.customer.mobile, "--token", "someone-elses-token",
                     stdout=io.StringIO())
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING


def test_simulate_says_when_no_server_listens(settings, db):
    with pytest.raises(CommandError, match="No server"):
        call_command("sms_simulate", "YES", "--from", "+61400000000", "--server", "http://127.0.0.1:9",
                     stdout=io.StringIO())
