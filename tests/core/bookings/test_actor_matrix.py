"""Every booking write service against every kind of actor: who succeeds, and how the others are refused.

A success writes exactly one history row naming the actor and channel and publishes exactly one
event; a refusal writes nothing and publishes nothing (``assert_refused``)."""

from __future__ import annotations

import pytest

from core import events
from core.actors import Channel
from core.bookings import services
from core.bookings.models import BookingEvent
from tests import factories
from tests.core.support import assert_refused

from .conftest import ACTOR_KINDS, offer

STAFF_ONLY = {"staff": None, "system": None, "accepted_fw": "forbidden", "offered_fw": "forbidden",
              "own_customer": "forbidden", "unassigned_fw": "not_found", "other_customer": "not_found",
              "anonymous": "not_found"}
CANCEL = {**STAFF_ONLY, "own_customer": None}  # fieldworkers: switched off by default

CASES = {
    # name: (expected outcome per kind, expected event, expected action, call(actor, booking, ctx))
    "create": ({**STAFF_ONLY, "accepted_fw": "forbidden", "offered_fw": "forbidden", "own_customer": "forbidden",
                "unassigned_fw": "forbidden", "other_customer": "forbidden", "anonymous": "forbidden"},
               events.BookingCreated, "created",
               lambda actor, b, ctx: services.booking_create(
                   actor=actor, channel=Channel.PORTAL, customer_id=b.customer_id, scheduled_start=b.scheduled_start,
                   lines=[services.LineInput(service_id=ctx["svc"].pk)])),
    "update": (STAFF_ONLY, events.BookingUpdated, "updated",
               lambda actor, b, ctx: services.booking_update(actor=actor, channel=Channel.PORTAL, booking_id=b.pk,
                                                             notes="new notes")),
    "assign": (STAFF_ONLY, events.BookingAssigned, "assigned",
               lambda actor, b, ctx: services.booking_assign(actor=actor, channel=Channel.PORTAL, booking_id=b.pk,
                                                             fieldworker_id=ctx["spare"].pk)),
    "unassign": (STAFF_ONLY, events.BookingUnassigned, "unassigned",
                 lambda actor, b, ctx: services.booking_unassign(actor=actor, channel=Channel.PORTAL,
                                                                 booking_id=b.pk, fieldworker_id=ctx["offered"].pk)),
    "change_owner": (STAFF_ONLY, events.BookingOwnerChanged, "owner_changed",
                     lambda actor, b, ctx: services.booking_change_owner(actor=actor, channel=Channel.PORTAL,
                                                                         booking_id=b.pk, owner_id=ctx["owner"].pk)),
    "set_automation": (STAFF_ONLY, events.BookingUpdated, "automation_changed",
                       lambda actor, b, ctx: services.booking_set_automation(
                           actor=actor, channel=Channel.PORTAL, booking_id=b.pk, email_paused=True)),
    "cancel": (CANCEL, events.BookingCancelled, "cancelled",
               lambda actor, b, ctx: services.booking_cancel(actor=actor, channel=Channel.PORTAL, booking_id=b.pk,
                                                             reason="changed plans")),
}


@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("case", list(CASES))
def test_matrix(case, kind, booking, svc, actor_for, published):
    expected, event_type, action, call = CASES[case]
    spare, offered_worker = factories.fieldworker(), factories.fieldworker()
    offer(booking, offered_worker)
    ctx = {"svc": svc, "spare": spare, "offered": offered_worker, "owner": factories.staff_user()}
    actor = actor_for(kind, booking)
    if expected[kind] is not None:
        assert_refused(lambda: call(actor, booking, ctx), expected[kind], published=published)
        return
    last = BookingEvent.objects.order_by("-id").first().pk
    call(actor, booking, ctx)
    [row] = BookingEvent.objects.filter(pk__gt=last)
    assert (row.action, row.actor_kind, row.actor_user_id, row.channel) == (action, actor.kind, actor.user_id,
                                                                            "portal")
    [event] = published.all()
    assert type(event) is event_type
    assert (event.event_id, event.booking_id, event.actor_kind, event.actor_user_id, event.channel) == (
        row.pk, row.booking_id, actor.kind, actor.user_id, "portal")
