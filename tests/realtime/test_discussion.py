"""bookingDiscussion over a real WebSocket (the project's ASGI app, Channels communicator)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from core.actors import Channel
from core.bookings import services as bookings
from core.bookings.models import BookingComment, BookingEvent
from graphql_api.ids import encode_id

from .support import DISCUSSION, Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)

comment = database_sync_to_async(bookings.comment_add)


async def watch(app, token: str, booking_id: int) -> Client:
    client = await Client(app).open(token)
    group = f"booking.{booking_id}"
    before = await members(group)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", booking_id)})
    await wait_members(group, before + 1)
    return client


async def test_staff_sees_every_comment_with_author_channel_and_stable_ids(app, world):
    client = await watch(app, world.staff_token, world.booking.pk)
    added = await comment(actor=world.customer_actor, channel=Channel.SMS, booking_id=world.booking.pk,
                          body="Gate code is 4411")
    message = await client.receive()
    assert message["type"] == "next" and message["id"] == "d"
    live = message["payload"]["data"]["bookingDiscussion"]
    row = await database_sync_to_async(
        lambda: BookingEvent.objects.get(action="comment_added", data__comment_id=added.pk))()
    assert live["eventId"] == encode_id("BookingHistoryEntry", row.pk)
    assert live["bookingId"] == encode_id("Booking", world.booking.pk)
    assert live["commentId"] == encode_id("BookingComment", added.pk)
    assert live["authorName"] == world.customer.user.display_name
    assert live["authorKind"] == "CUSTOMER"
    assert live["channel"] == "SMS"
    assert live["body"] == "Gate code is 4411"
    assert live["visibleToCustomer"] is True

    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="internal: bring the ladder", visible_to_customer=False)
    internal = (await client.receive())["payload"]["data"]["bookingDiscussion"]
    assert internal["body"] == "internal: bring the ladder"
    assert internal["visibleToCustomer"] is False
    assert internal["channel"] == "GRAPHQL"
    await client.close()


async def test_customer_gets_only_customer_visible_comments(app, world):
    client = await watch(app, world.customer_token, world.booking.pk)
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="internal: customer was rude", visible_to_customer=False)
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="We will arrive at 9", visible_to_customer=True)
    live = (await client.receive())["payload"]["data"]["bookingDiscussion"]
    assert live["body"] == "We will arrive at 9"
    assert await client.nothing()
    await client.close()


async def test_customer_cannot_watch_another_customers_booking(app, world):
    client = await Client(app).open(world.other_token)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    error = await assert_refused(client, "not_found")
    assert error["extensions"]["field"] == "bookingId"
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="We will arrive at 9", visible_to_customer=True)
    assert await client.nothing()
    await client.close()


async def test_fieldworker_not_on_the_booking_is_refused(app, world):
    client = await Client(app).open(world.other_fieldworker_token)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    await assert_refused(client, "not_found")
    await client.close()


async def test_malformed_and_wrong_type_ids_are_invalid_id(app, world):
    client = await Client(app).open(world.staff_token)
    await client.subscribe("d", DISCUSSION, {"id": "12"})
    await assert_refused(client, "invalid_id")
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Customer", world.customer.pk)})
    await assert_refused(client, "invalid_id")
    await client.close()


async def test_unknown_booking_looks_like_a_denied_one(app, world):
    client = await Client(app).open(world.staff_token)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", 987654)})
    await assert_refused(client, "not_found")
    await client.close()


async def test_assigned_fieldworker_follows_until_unassigned(app, world):
    client = await watch(app, world.fieldworker_token, world.booking.pk)
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="internal: key under the mat", visible_to_customer=False)
    live = (await client.receive())["payload"]["data"]["bookingDiscussion"]
    assert live["body"] == "internal: key under the mat"  # fieldworkers see internal notes

    await database_sync_to_async(bookings.booking_unassign)(
        actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
        fieldworker_id=world.fieldworker.pk)
    await assert_refused(client, "access_revoked")
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="after the unassignment", visible_to_customer=False)
    assert await client.nothing()
    await client.close()


async def test_declining_the_offer_ends_the_fieldworkers_stream_only(app, world):
    fieldworker = await watch(app, world.fieldworker_token, world.booking.pk)
    staff = await watch(app, world.staff_token, world.booking.pk)
    await database_sync_to_async(bookings.assignment_respond)(
        actor=world.fieldworker_actor, channel=Channel.TELEGRAM, booking_id=world.booking.pk, accept=False,
        reason="Too far")
    await assert_refused(fieldworker, "access_revoked")
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="finding someone else")
    assert (await staff.receive())["payload"]["data"]["bookingDiscussion"]["body"] == "finding someone else"
    assert await fieldworker.nothing()
    await fieldworker.close()
    await staff.close()


async def test_other_bookings_comments_do_not_leak_into_a_stream(app, world):
    client = await watch(app, world.staff_token, world.booking.pk)
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.other_booking.pk,
                  body="other booking")
    await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                  body="this booking")
    assert (await client.receive())["payload"]["data"]["bookingDiscussion"]["body"] == "this booking"
    assert await client.nothing()
    await client.close()


async def test_rolled_back_comment_is_never_broadcast(app, world):
    from django.db import transaction

    client = await watch(app, world.staff_token, world.booking.pk)

    def add_then_fail():
        with transaction.atomic():
            bookings.comment_add(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                                 body="never committed")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(add_then_fail)()
    assert await client.nothing()
    assert not await database_sync_to_async(BookingComment.objects.filter(body="never committed").exists)()
    await client.close()


async def test_one_execution_per_distinct_operation_shared_by_all_subscribers(app, world):
    from graphql_api.realtime import types
    from graphql_api.realtime.execution import RESULTS

    same_a = await watch(app, world.staff_token, world.booking.pk)
    same_b = await watch(app, world.customer_token, world.booking.pk)
    other = await Client(app).open(world.fieldworker_token)
    group = f"booking.{world.booking.pk}"
    before = await members(group)
    await other.subscribe("d", "subscription($id: ID!) { bookingDiscussion(bookingId: $id) { body } }",
                          {"id": encode_id("Booking", world.booking.pk)})
    await wait_members(group, before + 1)

    added = await comment(actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk,
                          body="shared", visible_to_customer=True)
    first, second, third = [await client.receive() for client in (same_a, same_b, other)]
    assert first == second and first["payload"]["data"]["bookingDiscussion"]["body"] == "shared"
    assert third["payload"]["data"] == {"bookingDiscussion": {"body": "shared"}}
    [payload] = [obj for obj in types._memo.values()
                 if isinstance(obj, types.LiveComment) and obj.comment_id == encode_id("BookingComment", added.pk)]
    assert len(payload.__dict__[RESULTS]) == 2  # two distinct operations, three subscribers
    for client in (same_a, same_b, other):
        await client.close()
