"""complaintEvents over a real WebSocket: a complaint a customer raises appears at once on the staff
stream, and so does every change staff make to it; nobody but staff may listen."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from core.actors import Channel
from core.complaints import services
from core.complaints.models import ComplaintEvent
from graphql_api.ids import encode_id

from .support import Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)

COMPLAINTS = """subscription { complaintEvents {
  eventId complaintId action type channel actorKind occurredAt
  complaint { id description visibleToCustomer isResolved createdAt resolvedAt channel bookingId bookingNumber
              timeZone customerId customerName type status ownerId ownerName } } }"""


async def watch(app, token: str) -> Client:
    client = await Client(app).open(token)
    before = await members("complaints")
    await client.subscribe("c", COMPLAINTS)
    await wait_members("complaints", before + 1)
    return client


async def event(client: Client) -> dict:
    message = await client.receive()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["complaintEvents"]


async def test_a_raised_complaint_and_what_staff_do_with_it_arrive_live(app, world):
    client = await watch(app, world.staff_token)
    run = database_sync_to_async
    complaint = await run(services.complaint_raise)(actor=world.customer_actor, channel=Channel.PORTAL,
                                                    booking_id=world.booking.pk, description="The gate was left open")
    got = await event(client)
    raised = await run(ComplaintEvent.objects.get)(complaint_id=complaint.pk, action="raised")
    assert (got["action"], got["type"], got["channel"], got["actorKind"]) == (
        "raised", "ComplaintRaised", "PORTAL", "CUSTOMER")
    assert got["eventId"] == encode_id("ComplaintHistoryEntry", raised.pk)
    live = got["complaint"]
    assert (live["id"], live["description"], live["isResolved"], live["status"]) == (
        encode_id("Complaint", complaint.pk), "The gate was left open", False, "Open")
    assert (live["bookingId"], live["bookingNumber"], live["customerName"]) == (
        encode_id("Booking", world.booking.pk), world.booking.number, world.customer.name)
    assert live["timeZone"] == world.booking.time_zone and live["ownerId"] is None

    await run(services.complaint_assign)(actor=world.staff_actor, channel=Channel.GRAPHQL,
                                         complaint_id=complaint.pk, owner_id=world.staff.pk)
    got = await event(client)
    assert (got["action"], got["complaint"]["ownerId"], got["complaint"]["ownerName"]) == (
        "assigned", encode_id("User", world.staff.pk), world.staff.display_name)

    await run(services.complaint_resolve)(actor=world.staff_actor, channel=Channel.GRAPHQL,
                                          complaint_id=complaint.pk, resolution="Closed it ourselves")
    got = await event(client)
    assert (got["action"], got["type"], got["complaint"]["isResolved"], got["complaint"]["status"]) == (
        "resolved", "ComplaintResolved", True, "Resolved")
    assert got["complaint"]["resolvedAt"] is not None
    assert await client.nothing()
    await client.close()


@pytest.mark.parametrize("who", ["customer", "fieldworker"])
async def test_only_staff_may_watch_complaints(app, world, who):
    token = world.customer_token if who == "customer" else world.fieldworker_token
    client = await Client(app).open(token)
    await client.subscribe("c", COMPLAINTS)
    await assert_refused(client, "forbidden", op_id="c")
    assert await members("complaints") == 0
    await client.close()


def test_a_complaint_message_costs_one_read_whoever_listens(world_db, django_assert_num_queries):
    """The complaint with its booking, customer, type, status and owner: built once per event (0200)."""
    from core.actors import Actor
    from core.complaints.events import ComplaintChanged
    from realtime.broadcast import messages_for_complaint

    booking = world_db["booking"]
    complaint = services.complaint_raise(actor=Actor.system(), channel=Channel.SMS, booking_id=booking.pk,
                                         description="x")
    event = ComplaintChanged(event_id=1, complaint_id=complaint.pk, booking_id=booking.pk,
                             customer_id=booking.customer_id, action="updated", is_resolved=False,
                             visible_to_customer=True, channel="graphql", actor_kind="staff")
    with django_assert_num_queries(1):
        [(group, message)] = messages_for_complaint(event)
    assert group == "complaints"
    assert (message["action"], message["complaint"]["booking_number"]) == ("updated", booking.number)
