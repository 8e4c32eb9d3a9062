"""Reads scoped per actor: bookings, assignments, comments, history, customers, properties, fieldworkers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.actors import Actor, Channel
from core.bookings import selectors, services
from core.crm import selectors as crm_selectors
from core.workforce import selectors as workforce_selectors
from tests import factories

from .conftest import offer


@dataclass
class World:
    own: object
    other: object
    b1: object
    b2: object
    accepted: object
    offered: object
    declined: object
    idle: object
    staff: Actor


@pytest.fixture
def world(db, svc, published) -> World:
    own = factories.customer(with_login=True)
    other = factories.customer(with_login=True)
    b1 = factories.booking(cust=own, svc=svc)
    b2 = factories.booking(cust=other, svc=svc)
    accepted, offered, declined, idle = (factories.fieldworker() for _ in range(4))
    offer(b1, accepted, accept=True)
    offer(b1, offered)
    offer(b1, declined)
    services.assignment_respond(actor=Actor.for_fieldworker(declined), channel=Channel.TELEGRAM, booking_id=b1.pk,
                                accept=False, reason="The dog bit me last time")
    staff = factories.staff_actor()
    services.booking_change_owner(actor=staff, channel=Channel.GRAPHQL, booking_id=b1.pk, owner_id=staff.user_id)
    services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=b1.pk, body="internal", )
    services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=b1.pk, body="public",
                         visible_to_customer=True)
    services.comment_add(actor=staff, channel=Channel.GRAPHQL, booking_id=b2.pk, body="other public",
                         visible_to_customer=True)
    published.clear()
    return World(own, other, b1, b2, accepted, offered, declined, idle, staff)


def actors(w: World) -> dict[str, Actor]:
    return {
        "staff": w.staff,
        "own": Actor.from_user(w.own.user),
        "other": Actor.from_user(w.other.user),
        "accepted": Actor.for_fieldworker(w.accepted),
        "offered": Actor.for_fieldworker(w.offered),
        "declined": Actor.for_fieldworker(w.declined),
        "idle": Actor.for_fieldworker(w.idle),
        "system": Actor.system(),
        "anonymous": Actor.anonymous(),
    }


def ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_visible_bookings(world):
    w, a = world, actors(world)
    expected = {"staff": {w.b1.pk, w.b2.pk}, "own": {w.b1.pk}, "other": {w.b2.pk}, "accepted": {w.b1.pk},
                "offered": {w.b1.pk}, "declined": set(), "idle": set(), "system": set(), "anonymous": set()}
    for name, actor in a.items():
        assert ids(selectors.visible_bookings(actor)) == expected[name], name
        for booking in (w.b1, w.b2):
            found = selectors.booking_for(actor, booking.pk)
            assert (found is not None) == (booking.pk in expected[name]), name


def test_visible_assignments(world):
    w, a = world, actors(world)
    from core.bookings.models import BookingAssignment

    def of(worker):
        return BookingAssignment.objects.get(booking=w.b1, fieldworker=worker).pk

    all_three = {of(w.accepted), of(w.offered), of(w.declined)}
    assert ids(selectors.visible_assignments(a["staff"])) == all_three
    assert ids(selectors.visible_assignments(a["own"])) == {of(w.accepted)}  # not offers nor declines
    assert ids(selectors.visible_assignments(a["other"])) == set()
    assert ids(selectors.visible_assignments(a["declined"])) == {of(w.declined)}  # their own answer
    assert ids(selectors.visible_assignments(a["idle"])) == set()
    assert ids(selectors.visible_assignments(a["anonymous"])) == set()


def test_visible_comments(world):
    a = actors(world)

    def bodies(actor):
        return set(selectors.visible_comments(actor).values_list("body", flat=True))

    assert bodies(a["staff"]) == {"internal", "public", "other public"}
    assert bodies(a["own"]) == {"public"}
    assert bodies(a["other"]) == {"other public"}
    assert bodies(a["accepted"]) == bodies(a["offered"]) == {"internal", "public"}
    assert bodies(a["declined"]) == bodies(a["idle"]) == bodies(a["anonymous"]) == set()


def test_visible_history(world):
    w, a = world, actors(world)

    def actions(actor, booking):
        return [row.action for row in selectors.visible_history(actor).filter(booking=booking).order_by("id")]

    # the public comment went to the customer by SMS: its delivery is on the timeline (decision 0611)
    full = ["created", "assigned", "accepted", "assigned", "assigned", "declined", "owner_changed",
            "comment_added", "comment_added", "comment_delivery"]
    assert actions(a["staff"], w.b1) == full
    assert actions(a["accepted"], w.b1) == full
    # the customer sees what happened to the booking, not office bookkeeping, offers to other
    # fieldworkers or why someone declined
    assert actions(a["own"], w.b1) == ["created", "accepted"]
    assert not [row for row in selectors.visible_history(a["own"]) if row.data.get("reason")]
    assert actions(a["other"], w.b1) == []
    assert actions(a["declined"], w.b1) == actions(a["idle"], w.b1) == []
    assert not selectors.visible_history(a["anonymous"]).exists()
    assert not selectors.visible_history(a["system"]).exists()


def test_visible_customers_and_properties(world):
    w, a = world, actors(world)
    p1 = w.b1.property_id
    p2 = w.b2.property_id
    expected = {"staff": {w.own.pk, w.other.pk}, "own": {w.own.pk}, "other": {w.other.pk}, "accepted": {w.own.pk},
                "offered": {w.own.pk}, "declined": set(), "idle": set(), "system": set(), "anonymous": set()}
    for name, actor in a.items():
        customers = ids(crm_selectors.visible_customers(actor))
        assert customers >= expected[name] if name == "staff" else customers == expected[name], name
        props = ids(crm_selectors.visible_properties(actor))
        assert {p for p, c in ((p1, w.own.pk), (p2, w.other.pk)) if c in expected[name]} == props & {p1, p2}, name
        assert crm_selectors.may_see_contact_details(actor, w.own) == (w.own.pk in expected[name]), name
        assert crm_selectors.may_see_contact_details(actor, w.other) == (w.other.pk in expected[name]), name


def test_visible_fieldworkers(world):
    w, a = world, actors(world)
    everyone = {w.accepted.pk, w.offered.pk, w.declined.pk, w.idle.pk}
    assert ids(workforce_selectors.visible_fieldworkers(a["staff"])) >= everyone
    assert ids(workforce_selectors.visible_fieldworkers(a["own"])) == {w.accepted.pk}  # who is coming
    assert ids(workforce_selectors.visible_fieldworkers(a["other"])) == set()
    assert ids(workforce_selectors.visible_fieldworkers(a["offered"])) == {w.offered.pk}
    assert ids(workforce_selectors.visible_fieldworkers(a["anonymous"])) == set()
