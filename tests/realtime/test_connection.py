"""The socket itself: authentication, close codes, origin, protocol and subscription limits."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone

from core.accounts import services as accounts
from core.accounts.models import ApiToken
from core.actors import Channel
from core.bookings import services as bookings
from graphql_api.ids import encode_id

from .support import DISCUSSION, EVENTS, MINE, Client, assert_refused, members, wait_members

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN_OK = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


async def test_no_credentials_is_refused_with_4403(app, world):
    client = Client(app)
    assert (await client.connect())[0]
    closed = await client.init({})
    assert closed["type"] == "closed" and closed["code"] == 4403


@pytest.mark.parametrize("value", [
    "Bearer fo_not-a-real-token",
    "Bearer ",
    "Token {token}",  # wrong scheme, even with a real token
    "{token}",  # no scheme
])
async def test_bad_token_is_refused_with_4403(app, world, value):
    client = Client(app)
    await client.connect()
    closed = await client.init({"authorization": value.format(token=world.staff_token)})
    assert closed == {"type": "closed", "code": 4403, "reason": "Forbidden"}


async def test_revoked_and_expired_tokens_are_refused(app, world):
    await database_sync_to_async(
        lambda: ApiToken.objects.filter(user=world.staff).update(revoked_at=timezone.now()))()
    client = Client(app)
    await client.connect()
    assert (await client.init({"authorization": f"Bearer {world.staff_token}"}))["code"] == 4403

    await database_sync_to_async(lambda: ApiToken.objects.filter(user=world.customer.user).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)))()
    client = Client(app)
    await client.connect()
    assert (await client.init({"authorization": f"Bearer {world.customer_token}"}))["code"] == 4403


async def test_a_bad_token_is_refused_even_with_a_valid_session(app, world):
    cookie = await database_sync_to_async(session_cookie)(world.staff)
    client = Client(app, headers=[(b"cookie", cookie), *ORIGIN_OK])
    await client.connect()
    assert (await client.init({"authorization": "Bearer fo_nope"}))["code"] == 4403


async def test_subscribe_before_connection_init_closes_4401(app, world):
    client = Client(app)
    await client.connect()
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    assert (await client.receive()) == {"type": "closed", "code": 4401, "reason": "Unauthorized"}


def signed_in(user) -> tuple[HttpClient, bytes]:
    """A browser session signed in as ``user`` and its cookie header."""
    http = HttpClient()
    http.force_login(user)
    return http, f"{settings.SESSION_COOKIE_NAME}={http.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def session_cookie(user) -> bytes:
    return signed_in(user)[1]


async def session_socket(app, user) -> tuple[HttpClient, Client]:
    """A session signed in as ``user`` (to log out later) and a socket acknowledged on its cookie."""
    http, cookie = await database_sync_to_async(signed_in)(user)
    client = Client(app, headers=[(b"cookie", cookie), *ORIGIN_OK])
    assert (await client.connect())[0]
    assert (await client.init({}))["type"] == "connection_ack"
    return http, client


async def test_session_cookie_signs_in_the_dashboard(app, world):
    _, client = await session_socket(app, world.staff)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    await wait_members(f"booking.{world.booking.pk}")
    await database_sync_to_async(bookings.comment_add)(
        actor=world.customer_actor, channel=Channel.PORTAL, booking_id=world.booking.pk, body="hello")
    assert (await client.receive())["payload"]["data"]["bookingDiscussion"]["channel"] == "PORTAL"
    await client.close()


async def test_logged_out_session_cannot_start_new_subscriptions(app, world):
    http, client = await session_socket(app, world.staff)
    await database_sync_to_async(http.logout)()
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    message = await client.receive()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "unauthenticated"
    await client.close()


async def test_token_revoked_after_connecting_cannot_start_new_subscriptions(app, world):
    client = await Client(app).open(world.customer_token)
    await database_sync_to_async(
        lambda: ApiToken.objects.filter(user=world.customer.user).update(revoked_at=timezone.now()))()
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    message = await client.receive()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "unauthenticated"
    assert await members(f"booking.{world.booking.pk}") == 0
    await client.close()


async def test_foreign_origin_is_refused_at_the_handshake(app, world):
    cookie = await database_sync_to_async(session_cookie)(world.staff)
    client = Client(app, headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)])
    accepted, _ = await client.connect()
    assert not accepted


async def test_allowed_origin_and_non_browser_clients_are_accepted(app, world):
    assert (await Client(app, headers=ORIGIN_OK).connect())[0]
    assert (await Client(app).connect())[0]  # no Origin header: not a browser, no ambient cookies


async def test_missing_origin_can_be_required(world):
    from graphql_api.schema import schema
    from realtime.routing import websocket_application

    with override_settings(REALTIME_REQUIRE_ORIGIN=True):
        strict = websocket_application(schema)
        assert not (await Client(strict).connect())[0]
        assert (await Client(strict, headers=ORIGIN_OK).connect())[0]


async def test_only_graphql_transport_ws_is_spoken_by_default(app, world):
    client = Client(app, subprotocols=["graphql-ws"])
    accepted, detail = await client.connect()
    assert accepted and detail is None  # no subprotocol agreed...
    assert (await client.receive()) == {"type": "closed", "code": 4406, "reason": "Subprotocol not acceptable"}


async def test_legacy_graphql_ws_protocol_when_enabled(world):
    from graphql_api.schema import schema
    from realtime.routing import websocket_application

    with override_settings(GRAPHQL_WS_LEGACY_PROTOCOL=True):
        legacy = websocket_application(schema)
    client = Client(legacy, subprotocols=["graphql-ws"])
    assert (await client.connect()) == (True, "graphql-ws")
    await client.comm.send_json_to({"type": "connection_init", "payload": {}})
    refused = await client.receive()
    assert refused["type"] == "connection_error"
    client = Client(legacy, subprotocols=["graphql-ws"])
    await client.connect()
    await client.comm.send_json_to({"type": "connection_init",
                                    "payload": {"authorization": f"Bearer {world.staff_token}"}})
    assert (await client.receive())["type"] == "connection_ack"
    await client.close()


async def test_subscriptions_per_connection_are_capped(world):
    from graphql_api.schema import schema
    from realtime.routing import websocket_application

    with override_settings(GRAPHQL_WS_MAX_SUBSCRIPTIONS=2):
        capped = websocket_application(schema)
    client = await Client(capped).open(world.fieldworker_token)
    variables = {"id": encode_id("Booking", world.booking.pk)}
    await client.subscribe("1", DISCUSSION, variables)
    await client.subscribe("2", MINE)
    await client.subscribe("3", DISCUSSION, variables)
    message = await client.receive()
    assert message["id"] == "3" and message["type"] == "error"
    assert message["payload"][0]["message"] == "Subscription limit reached"
    await client.close()


# --- a sign-in that ends mid-stream ends the running subscriptions ----------------------------------


async def _comment(world, body: str) -> None:
    await database_sync_to_async(bookings.comment_add)(
        actor=world.staff_actor, channel=Channel.GRAPHQL, booking_id=world.booking.pk, body=body,
        visible_to_customer=True)


async def _discussion(app, world, token: str) -> Client:
    client = await Client(app).open(token)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    await wait_members(f"booking.{world.booking.pk}")
    return client


async def test_a_token_revoked_mid_stream_ends_the_subscription(app, world):
    client = await _discussion(app, world, world.customer_token)
    await _comment(world, "before")
    assert (await client.receive())["payload"]["data"]["bookingDiscussion"]["body"] == "before"
    token = await database_sync_to_async(lambda: ApiToken.objects.get(user=world.customer.user))()
    await database_sync_to_async(accounts.token_revoke)(actor=world.customer_actor, channel=Channel.GRAPHQL,
                                                        token_id=token.pk)
    await assert_refused(client, "unauthenticated")
    await _comment(world, "after")
    assert await client.nothing()  # nothing more reaches the revoked subscriber
    assert await members(f"booking.{world.booking.pk}") == 0
    await client.close()


async def test_a_deactivated_staff_user_loses_the_board(app, world):
    client = await Client(app).open(world.staff_token)
    await client.subscribe("e", EVENTS)
    await wait_members("bookings")

    def deactivate() -> None:
        world.staff.is_active = False
        world.staff.save()

    await database_sync_to_async(deactivate)()
    await assert_refused(client, "unauthenticated", "e")
    assert await members("bookings") == 0
    await client.close()


async def test_a_logged_out_session_ends_its_dashboard_stream(app, world):
    http, client = await session_socket(app, world.staff)
    await client.subscribe("e", EVENTS)
    await wait_members("bookings")
    await database_sync_to_async(http.logout)()
    await assert_refused(client, "unauthenticated", "e")
    await client.close()


async def test_a_change_that_leaves_the_sign_in_valid_keeps_the_stream(app, world):
    client = await _discussion(app, world, world.customer_token)
    # Another token of the same customer is revoked: the notice comes, the re-check passes.
    spare = await database_sync_to_async(accounts.token_create)(actor=world.customer_actor, channel=Channel.GRAPHQL)
    await database_sync_to_async(accounts.token_revoke)(actor=world.customer_actor, channel=Channel.GRAPHQL,
                                                        token_id=spare.token.pk)
    await _comment(world, "still here")
    assert (await client.receive())["payload"]["data"]["bookingDiscussion"]["body"] == "still here"
    await client.close()


@pytest.mark.parametrize(("origin", "accepted"), [
    (b"https://fieldops.example", True),
    (b"https://fieldops.example:443", True),
    (b"http://fieldops.example", False),  # another scheme
    (b"https://fieldops.example:8443", False),  # another port
    (b"https://evil.fieldops.example", False),  # another host
    (b"https://fieldops.example:notaport", False),
])
async def test_the_origin_is_compared_by_scheme_host_and_port(world, origin, accepted):
    from graphql_api.schema import schema
    from realtime.routing import websocket_application

    with override_settings(DEBUG=False, CSRF_TRUSTED_ORIGINS=["https://fieldops.example"],
                           ALLOWED_HOSTS=["fieldops.example"]):
        app = websocket_application(schema)
        assert (await Client(app, headers=[(b"origin", origin)]).connect())[0] is accepted


async def test_a_running_subscription_ends_when_its_token_expires_by_itself(app, world):
    # revocation sends a notice; a natural expiry sends none: the stream ends at that moment on its own
    raw = world.customer_token
    await database_sync_to_async(lambda: ApiToken.objects.filter(digest=accounts.token_digest(raw)).update(
        expires_at=timezone.now() + timezone.timedelta(seconds=1.5)))()
    client = await Client(app).open(raw)
    group = f"booking.{world.booking.pk}"
    before = await members(group)
    await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    await wait_members(group, before + 1)
    message = await client.receive(timeout=5)
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "unauthenticated"
    assert (await client.receive())["type"] == "complete"
    assert await members(group) == before
    await client.close()


async def test_a_running_subscription_rechecks_its_sign_in_on_a_timer(app, world):
    # a change that sent no notice (a row edited behind the application's back) is caught by the timer
    with override_settings(GRAPHQL_WS_RECHECK_SECONDS=1):
        client = await Client(app).open(world.customer_token)
        group = f"booking.{world.booking.pk}"
        before = await members(group)
        await client.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
        await wait_members(group, before + 1)
        await database_sync_to_async(lambda: ApiToken.objects.filter(user=world.customer.user).update(
            revoked_at=timezone.now()))()  # .update(): no signal, no notice
        message = await client.receive(timeout=5)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "unauthenticated"
    await client.close()
