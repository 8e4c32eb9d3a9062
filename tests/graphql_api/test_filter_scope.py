"""Filters never reach rows or relations the caller cannot read: for every filter argument of
``bookings`` and every role, the answer (edges and totalCount) is what the caller could work out from
what they may read, and nothing more. The case that leaked: a customer counting their bookings by a
fieldworker who was only offered the job (offers are hidden from customers)."""

from __future__ import annotations

import pytest

from core.actors import Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.bookings.selectors import visible_assignments, visible_bookings
from tests import factories

from .conftest import gid, run

QUERY = "query($f: BookingFilter) { bookings(filter: $f, first: 100) { totalCount edges { node { id } } } }"
ROLES = ("staff", "customer", "fieldworker", "anonymous")


@pytest.fixture
def scene(world):
    """Besides the world: fieldworker C is offered (not accepted) customer A's booking."""
    world.fw_c = factories.fieldworker()
    booking_services.booking_assign(actor=world.staff, channel=Channel.SYSTEM, booking_id=world.booking_a.pk,
                                    fieldworker_id=world.fw_c.pk)
    return world


def _answer(actor, flt) -> tuple[int, set[str]]:
    data = run(actor, QUERY, f=flt)["data"]["bookings"]
    ids = {edge["node"]["id"] for edge in data["edges"]}
    assert data["totalCount"] == len(ids)
    return data["totalCount"], ids


def _expected(actor, keep) -> set[str]:
    """What the actor can compute from what they may read: their bookings, and for each only the
    assignments they may see."""
    readable: dict[int, list[int]] = {}
    for assignment in visible_assignments(actor).filter(status__in=("offered", "accepted")):
        readable.setdefault(assignment.booking_id, []).append(assignment.fieldworker_id)
    return {gid("Booking", b.pk) for b in visible_bookings(actor) if keep(b, readable.get(b.pk, []))}


def _filters(world):
    return {
        "status": ({"status": ["PENDING"]}, lambda b, fws: b.status == "pending"),
        "from": ({"from": "2000-01-01T00:00:00+00:00"}, lambda b, fws: True),
        "to": ({"to": "2999-01-01T00:00:00+00:00"}, lambda b, fws: True),
        "customerId (own)": ({"customerId": gid("Customer", world.cust_a.pk)},
                             lambda b, fws: b.customer_id == world.cust_a.pk),
        "customerId (other)": ({"customerId": gid("Customer", world.cust_b.pk)},
                               lambda b, fws: b.customer_id == world.cust_b.pk),
        "fieldworkerId (accepted)": ({"fieldworkerId": gid("Fieldworker", world.fw_a.pk)},
                                     lambda b, fws: world.fw_a.pk in fws),
        "fieldworkerId (only offered A's job)": ({"fieldworkerId": gid("Fieldworker", world.fw_c.pk)},
                                                 lambda b, fws: world.fw_c.pk in fws),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["status", "from", "to", "customerId (own)", "customerId (other)",
                                  "fieldworkerId (accepted)", "fieldworkerId (only offered A's job)"])
def test_a_filter_answers_only_from_what_the_caller_may_read(scene, role, name):
    actor = scene.actor(role)
    flt, keep = _filters(scene)[name]
    count, ids = _answer(actor, flt)
    assert ids == _expected(actor, keep)
    assert count == len(ids)


def test_a_customer_cannot_learn_who_was_offered_their_booking(scene):
    offered_only = {"fieldworkerId": gid("Fieldworker", scene.fw_c.pk)}
    assert _answer(scene.actor_a, offered_only) == (0, set())
    assert Booking.objects.filter(assignments__fieldworker=scene.fw_c, pk=scene.booking_a.pk).exists()
    # once C accepts (the job needs two), the customer sees C on the job, and the filter may say so
    Booking.objects.filter(pk=scene.booking_a.pk).update(workers_required=2)
    booking_services.assignment_respond(actor=scene.staff, channel=Channel.SYSTEM, booking_id=scene.booking_a.pk,
                                        fieldworker_id=scene.fw_c.pk, accept=True)
    assert _answer(scene.actor_a, offered_only) == (1, {gid("Booking", scene.booking_a.pk)})
