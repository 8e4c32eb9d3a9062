"""The same schema under async execution, as the Channels WebSocket consumer runs it: the dict
context carries the connection's actor (or connection_params to resolve it from)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from core.accounts.services import token_create
from core.actors import Actor, Channel
from graphql_api.context import ACTOR_KEY, InvalidToken, actor_from_connection
from graphql_api.schema import schema
from tests import factories

QUERY = """{ me { kind } bookings { totalCount edges { node { number customer { name email }
  lines { description } assignments { fieldworker { name } } } } } }"""


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    """Resolvers ran in asgiref's worker thread; close its connection so the test DB can be dropped."""
    yield
    await sync_to_async(connections.close_all)()


def _seed():
    booking = factories.booking()
    staff = factories.staff_user()
    raw = token_create(actor=Actor.from_user(staff), channel=Channel.SYSTEM).raw
    return booking, raw


@pytest.mark.django_db(transaction=True)
async def test_async_execution_with_connection_params():
    booking, raw = await sync_to_async(_seed)()
    context = {"request": None, "connection_params": {"authorization": f"Bearer {raw}"}}
    result = await schema.execute(QUERY, context_value=context)
    assert result.errors is None, result.errors
    assert result.data["me"] == {"kind": "staff"}
    assert result.data["bookings"]["edges"][0]["node"]["number"] == booking.number
    assert context[ACTOR_KEY].is_staff  # resolved once, kept for the connection


@pytest.mark.django_db(transaction=True)
async def test_async_execution_with_actor_set_by_consumer():
    await sync_to_async(_seed)()
    context = {"request": None, ACTOR_KEY: Actor.anonymous()}
    result = await schema.execute(QUERY, context_value=context)
    assert result.errors is None
    assert result.data == {"me": None, "bookings": {"totalCount": 0, "edges": []}}


def test_connection_params_resolution(db):
    assert actor_from_connection({}, {}).is_authenticated is False
    with pytest.raises(InvalidToken):
        actor_from_connection({"authorization": "Bearer fo_nope"}, {})
    user = factories.staff_user()
    assert actor_from_connection({}, {"user": user}).is_staff


@pytest.mark.django_db(transaction=True)
async def test_async_mutation_goes_through_the_service():
    from core.bookings.models import BookingComment
    from graphql_api.ids import encode_id

    booking, raw = await sync_to_async(_seed)()
    context = {"request": None, "connection_params": {"authorization": f"Bearer {raw}"}}
    result = await schema.execute(
        'mutation($id: ID!) { addBookingComment(input: {bookingId: $id, body: "from the socket"}) '
        "{ comment { body channel } errors { code } } }",
        variable_values={"id": encode_id("Booking", booking.pk)}, context_value=context)
    assert result.errors is None, result.errors
    assert result.data["addBookingComment"] == {"comment": {"body": "from the socket", "channel": "GRAPHQL"},
                                                "errors": []}
    assert await BookingComment.objects.filter(booking_id=booking.pk, body="from the socket").aexists()
