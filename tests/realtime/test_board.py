"""bookingEvents (staff boards) and myAssignments (a fieldworker's jobs) over a real WebSocket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.bookings.models import BookingEvent
from graphql_api.ids import encode_id
from tests import factories

from .support import EVENTS, MINE, Client, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)


async def board(app, token: str, flt: dict | None = None) -> Client:
    client = await Client(app).open(token)
    before = await members("bookings")
    await client.subscribe("e", EVENTS, {"filter": flt})
    await wait_members("bookings", before + 1)
    return client


async def mine(app, token: str, fieldworker_id: int) -> Client:
    client = await Client(app).open(token)
    group = f"fieldworker.{fieldworker_id}"
    before = await members(group)
    await client.subscribe("m", MINE)
    await wait_members(group, before + 1)
    return client


def run(fn, **kwargs):
    return database_sync_to_async(fn)(**kwargs)


async def event(client: Client, field: str = "bookingEvents") -> dict:
    message = await client.receive()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"][field]


async def history_gid(booking_id: int, action: str) -> str:
    row = await database_sync_to_async(
        lambda: BookingEvent.objects.filter(booking_id=booking_id, action=action).latest("id"))()
    return encode_id("BookingHistoryEntry", row.pk)


async def test_staff_board_sees_the_life_of_a_booking(app, world):
    client = await board(app, world.staff_token)
    staff, fw = world.staff_actor, world.other_fieldworker
    created = await run(factories.booking, cust=world.customer, actor=staff)
    got = await event(client)
    assert got["action"] == "created" and got["type"] == "BookingCreated"
    assert got["eventId"] == await history_gid(created.pk, "created")
    assert got["bookingId"] == encode_id("Booking", created.pk)
    assert got["booking"]["status"] == "PENDING" and got["booking"]["number"] == created.number
    assert got["booking"]["customerName"] == world.customer.name

    await run(bookings.booking_confirm, actor=staff, channel=Channel.GRAPHQL, booking_id=created.pk)
    got = await event(client)
    assert (got["action"], got["oldStatus"], got["newStatus"]) == ("status_changed", "PENDING", "CONFIRMED")
    assert got["eventId"] == await history_gid(created.pk, "confirmed")

    await run(bookings.booking_assign, actor=staff, channel=Channel.GRAPHQL, booking_id=created.pk,
              fieldworker_id=fw.pk)
    got = await event(client)
    assert got["action"] == "assigned" and got["fieldworkerId"] == encode_id("Fieldworker", fw.pk)
    assert got["booking"]["fieldworkers"] == [
        {"id": encode_id("Fieldworker", fw.pk), "name": fw.name, "status": "OFFERED"}]

    await run(bookings.assignment_respond, actor=Actor.from_user(fw.user), channel=Channel.TELEGRAM,
              booking_id=created.pk, accept=True)
    got = await event(client)
    assert got["action"] == "accepted" and got["channel"] == "TELEGRAM" and got["actorKind"] == "FIELDWORKER"
    assert got["booking"]["fieldworkers"][0]["status"] == "ACCEPTED"

    new_start = created.scheduled_start + timedelta(hours=1)
    await run(bookings.booking_update, actor=staff, channel=Channel.GRAPHQL, booking_id=created.pk,
              scheduled_start=new_start)
    got = await event(client)
    assert got["action"] == "updated" and set(got["changed"]) == {"scheduled_start", "scheduled_end"}
    assert got["booking"]["scheduledStart"].startswith(new_start.isoformat()[:16])

    await run(bookings.booking_cancel, actor=world.customer_actor, channel=Channel.SMS, booking_id=created.pk,
              reason="Moving house")
    got = await event(client)
    assert got["action"] == "cancelled" and got["type"] == "BookingCancelled"
    assert got["newStatus"] == "CANCELLED" and got["reason"] == "Moving house" and got["channel"] == "SMS"
    assert got["fee"] is not None

    # comments are not board events
    await run(bookings.comment_add, actor=staff, channel=Channel.GRAPHQL, booking_id=created.pk, body="hi")
    assert await client.nothing()
    await client.close()


async def test_board_filter_by_status_window_and_fieldworker(app, world):
    today = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    window = {"from": (today - timedelta(hours=12)).isoformat(), "to": (today + timedelta(hours=12)).isoformat()}
    by_window = await board(app, world.staff_token, window)
    by_status = await board(app, world.staff_token, {"status": ["CONFIRMED"]})
    by_worker = await board(app, world.staff_token,
                            {"fieldworkerId": encode_id("Fieldworker", world.other_fieldworker.pk)})
    staff = world.staff_actor

    later = await run(factories.booking, cust=world.customer, actor=staff, start=today + timedelta(days=5))
    inside = await run(factories.booking, cust=world.customer, actor=staff, start=today)
    assert (await event(by_window))["bookingId"] == encode_id("Booking", inside.pk)  # `later` was filtered out
    assert await by_status.nothing(0.2) and await by_worker.nothing(0.2)

    await run(bookings.booking_confirm, actor=staff, channel=Channel.GRAPHQL, booking_id=later.pk)
    got = await event(by_status)
    assert got["bookingId"] == encode_id("Booking", later.pk) and got["newStatus"] == "CONFIRMED"
    # leaving the status is news for the board too
    await run(bookings.booking_cancel, actor=staff, channel=Channel.GRAPHQL, booking_id=later.pk, reason="x")
    assert (await event(by_status))["oldStatus"] == "CONFIRMED"

    await run(bookings.booking_assign, actor=staff, channel=Channel.GRAPHQL, booking_id=inside.pk,
              fieldworker_id=world.other_fieldworker.pk)
    assert (await event(by_worker))["action"] == "assigned"
    assert (await event(by_window))["action"] == "assigned"
    # moved out of the window: the window board still hears it, once, and then no more
    await run(bookings.booking_update, actor=staff, channel=Channel.GRAPHQL, booking_id=inside.pk,
              scheduled_start=today + timedelta(days=9))
    moved = await event(by_window)
    assert moved["action"] == "updated" and moved["booking"]["scheduledStart"] > window["to"][:10]
    await run(bookings.booking_confirm, actor=staff, channel=Channel.GRAPHQL, booking_id=inside.pk)
    assert await by_window.nothing(0.3)
    for client in (by_window, by_status, by_worker):
        await client.close()


async def test_board_filter_rejects_an_inverted_window(app, world):
    client = await Client(app).open(world.staff_token)
    await client.subscribe("e", EVENTS, {"filter": {"from": "2030-01-02T00:00:00+00:00",
                                                   "to": "2030-01-01T00:00:00+00:00"}})
    message = await client.receive()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "end_before_start"
    assert await members("bookings") == 0
    await client.close()


@pytest.mark.parametrize("who", ["customer_token", "fieldworker_token"])
async def test_board_is_staff_only(app, world, who):
    client = await Client(app).open(getattr(world, who))
    await client.subscribe("e", EVENTS, {})
    message = await client.receive()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "forbidden"
    assert (await client.receive())["type"] == "complete"
    assert await members("bookings") == 0
    await client.close()


async def test_my_assignments_offers_answers_changes_and_removal(app, world):
    fw = world.other_fieldworker
    me = await mine(app, world.other_fieldworker_token, fw.pk)
    colleague = await mine(app, world.fieldworker_token, world.fieldworker.pk)
    staff = world.staff_actor

    await run(bookings.booking_assign, actor=staff, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
              fieldworker_id=fw.pk)
    offer = await event(me, "myAssignments")
    assert offer["action"] == "assigned" and offer["fieldworkerId"] == encode_id("Fieldworker", fw.pk)
    assert offer["bookingId"] == encode_id("Booking", world.booking.pk)
    # the colleague already on the booking hears about the change to their job, too
    assert (await event(colleague, "myAssignments"))["action"] == "assigned"

    await run(bookings.assignment_respond, actor=Actor.from_user(fw.user), channel=Channel.TELEGRAM,
              booking_id=world.booking.pk, accept=True)
    assert (await event(me, "myAssignments"))["action"] == "accepted"
    await event(colleague, "myAssignments")

    await run(bookings.booking_confirm, actor=staff, channel=Channel.GRAPHQL, booking_id=world.booking.pk)
    assert (await event(me, "myAssignments"))["newStatus"] == "CONFIRMED"
    await event(colleague, "myAssignments")

    await run(bookings.booking_unassign, actor=staff, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
              fieldworker_id=fw.pk)
    removed = await event(me, "myAssignments")
    assert removed["action"] == "unassigned" and removed["booking"]["fieldworkers"] == [
        {"id": encode_id("Fieldworker", world.fieldworker.pk), "status": "OFFERED"}]
    await event(colleague, "myAssignments")
    # no longer theirs: later changes reach the colleague only
    await run(bookings.booking_update, actor=staff, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
              notes="bring a ladder")
    assert (await event(colleague, "myAssignments"))["changed"] == ["notes"]
    assert await me.nothing()
    # and a booking that was never theirs never reaches them
    await run(bookings.booking_confirm, actor=staff, channel=Channel.GRAPHQL, booking_id=world.other_booking.pk)
    assert await me.nothing() and await colleague.nothing()
    await me.close()
    await colleague.close()


@pytest.mark.parametrize("who", ["staff_token", "customer_token"])
async def test_my_assignments_is_for_fieldworkers(app, world, who):
    client = await Client(app).open(getattr(world, who))
    await client.subscribe("m", MINE)
    message = await client.receive()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "forbidden"
    await client.close()
