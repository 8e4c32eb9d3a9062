from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from core.accounts.services import token_create
from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.bookings.models import Booking
from tests import factories

from .private_redis import PrivateRedis


def token_for(user: Any) -> str:
    return token_create(actor=Actor.from_user(user), channel=Channel.GRAPHQL).raw


@dataclass
class World:
    staff: Any
    staff_token: str
    customer: Any
    customer_token: str
    other_customer: Any
    other_token: str
    fieldworker: Any
    fieldworker_token: str
    other_fieldworker: Any
    other_fieldworker_token: str
    booking: Booking
    other_booking: Booking

    @property
    def staff_actor(self) -> Actor:
        return Actor.from_user(self.staff)

    @property
    def customer_actor(self) -> Actor:
        return Actor.from_user(self.customer.user)

    @property
    def fieldworker_actor(self) -> Actor:
        return Actor.from_user(self.fieldworker.user)


@pytest.fixture
def world(transactional_db) -> World:
    """Committed rows (the consumer reads them from other threads) and one token per person."""
    staff = factories.staff_user()
    customer = factories.customer(with_login=True)
    other = factories.customer(with_login=True)
    fieldworker = factories.fieldworker()
    other_fw = factories.fieldworker()
    staff_actor = Actor.from_user(staff)
    booking = factories.booking(cust=customer, actor=staff_actor)
    other_booking = factories.booking(cust=other, actor=staff_actor)
    bookings.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                            fieldworker_id=fieldworker.pk)
    return World(
        staff=staff, staff_token=token_for(staff),
        customer=customer, customer_token=token_for(customer.user),
        other_customer=other, other_token=token_for(other.user),
        fieldworker=fieldworker, fieldworker_token=token_for(fieldworker.user),
        other_fieldworker=other_fw, other_fieldworker_token=token_for(other_fw.user),
        booking=booking, other_booking=other_booking,
    )


@pytest.fixture
def app():
    from config.asgi import application

    return application


@pytest.fixture
def world_db(db) -> dict:
    """The same cast as ``world`` inside the test transaction (for tests without a socket)."""
    staff = Actor.from_user(factories.staff_user())
    customer = factories.customer(with_login=True)
    fieldworker = factories.fieldworker()
    booking = factories.booking(cust=customer, actor=staff)
    bookings.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk, fieldworker_id=fieldworker.pk)
    return {"staff": staff, "customer": customer, "fieldworker": fieldworker,
            "other_fieldworker": factories.fieldworker(), "booking": booking}


@pytest.fixture(scope="module")
def module_redis():
    """A Redis server of the module's own (tests/realtime/private_redis.py), for the restart tests."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def module_redis_up(module_redis):
    """``module_redis`` is up when a test starts: one that failed mid-outage leaves it down."""
    if module_redis.process is None:
        module_redis.start()
    return module_redis
