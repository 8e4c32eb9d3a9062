"""Helpers for GraphQL tests: run operations as an actor, and a small world of two of each role."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from core.accounts.services import token_create
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.crm.models import Customer, Property
from core.workforce.models import Fieldworker
from graphql_api.ids import encode_id
from graphql_api.schema import schema
from tests import factories


def run(actor: Actor, query: str, **variables: Any) -> dict[str, Any]:
    """Execute in process with ``actor`` as the viewer; returns the response as a client sees it."""
    context = SimpleNamespace(request=None, response=None, actor=actor)
    result = schema.execute_sync(query, variable_values=variables or None, context_value=context)
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [error.formatted for error in result.errors]
    return out


def gid(type_name: str, pk: int) -> str:
    return encode_id(type_name, pk)


def bearer(user) -> str:
    issued = token_create(actor=Actor.from_user(user), channel=Channel.SYSTEM, name="test")
    return f"Bearer {issued.raw}"


@dataclass
class World:
    staff: Actor
    cust_a: Customer
    cust_b: Customer
    actor_a: Actor
    actor_b: Actor
    prop_a: Property
    prop_b: Property
    fw_a: Fieldworker
    fw_b: Fieldworker
    fw_actor_a: Actor
    fw_actor_b: Actor
    booking_a: Any
    booking_b: Any
    service: Any

    def actor(self, role: str) -> Actor:
        return {
            "staff": self.staff, "customer": self.actor_a, "fieldworker": self.fw_actor_a,
            "anonymous": Actor.anonymous(),
        }[role]


@pytest.fixture
def world(db, company) -> World:
    """Customer A with booking A done by fieldworker A; customer B with booking B done by fieldworker B."""
    staff = Actor.from_user(factories.staff_user())
    cust_a, cust_b = factories.customer(with_login=True), factories.customer(with_login=True)
    prop_a, prop_b = factories.property_for(cust_a), factories.property_for(cust_b)
    fw_a, fw_b = factories.fieldworker(), factories.fieldworker()
    svc = factories.service()
    booking_a = factories.booking(cust=cust_a, prop=prop_a, svc=svc)
    booking_b = factories.booking(cust=cust_b, prop=prop_b, svc=svc)
    for booking, fw in ((booking_a, fw_a), (booking_b, fw_b)):
        booking_services.booking_assign(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                        fieldworker_id=fw.pk)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(fw), channel=Channel.SYSTEM,
                                            booking_id=booking.pk, accept=True)
    return World(
        staff=staff, cust_a=cust_a, cust_b=cust_b, actor_a=Actor.from_user(cust_a.user),
        actor_b=Actor.from_user(cust_b.user), prop_a=prop_a, prop_b=prop_b, fw_a=fw_a, fw_b=fw_b,
        fw_actor_a=Actor.from_user(fw_a.user), fw_actor_b=Actor.from_user(fw_b.user),
        booking_a=booking_a, booking_b=booking_b, service=svc,
    )



from .walk import walk  # noqa: E402, F401  the world of two of everything the walk and the fuzz use
