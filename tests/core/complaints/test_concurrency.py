"""A customer's open complaint limit holds when their submissions race (decision 0933): the count is
taken under the booking's row lock, so of eight at once with four filed already, exactly one passes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.actors import Actor, Channel
from core.complaints import services
from core.complaints.models import Complaint
from core.errors import DomainError
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_racing_submissions_never_pass_the_limit_together():
    customer = factories.customer(with_login=True)
    booking = factories.booking(cust=customer)
    actor = Actor.from_user(customer.user)
    for n in range(services.CUSTOMER_OPEN_LIMIT - 1):
        services.complaint_raise(actor=actor, channel=Channel.PORTAL, booking_id=booking.pk, description=f"#{n}")
    racers = 8
    barrier = threading.Barrier(racers)
    results: list[object] = [None] * racers

    def raise_one(i: int) -> None:
        try:
            barrier.wait()
            results[i] = services.complaint_raise(actor=actor, channel=Channel.PORTAL, booking_id=booking.pk,
                                                  description=f"race {i}").pk
        except DomainError as exc:  # collected and asserted below
            results[i] = exc.code
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_one, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, results)).count("too_many") == racers - 1, results
    assert Complaint.objects.filter(booking=booking).count() == services.CUSTOMER_OPEN_LIMIT
