"""The GraphQL WebSocket consumer: Strawberry's Channels consumer plus our authentication.

Protocol: ``graphql-transport-ws`` only, unless ``GRAPHQL_WS_LEGACY_PROTOCOL`` turns the old
``graphql-ws`` protocol on as well. The handshake's origin is checked before this consumer
runs (see :mod:`realtime.routing`).

Close codes come from the protocol: ``connection_init`` without usable credentials is refused
with 4403 (Forbidden); a ``subscribe`` before a successful ``connection_init`` gets 4401
(Unauthorized); no ``connection_init`` within the wait time gets 4408.

The context of every operation on the connection is a dict (Strawberry's Channels
convention) with ``request`` and ``ws`` (this consumer), ``connection_params``, ``actor``
(resolved once at ``connection_init``) and ``credential`` (to re-check it later).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET

from core.observability import WEBSOCKET_CONNECTIONS

from . import auth

ACTOR_KEY = "actor"
CREDENTIAL_KEY = "credential"


def subscription_protocols() -> tuple[str, ...]:
    if getattr(settings, "GRAPHQL_WS_LEGACY_PROTOCOL", False):
        return (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)
    return (GRAPHQL_TRANSPORT_WS_PROTOCOL,)


class GraphQLSubscriptionConsumer(GraphQLWSConsumer):
    counted = False

    async def connect(self) -> None:
        WEBSOCKET_CONNECTIONS.inc()
        self.counted = True
        await super().connect()

    async def disconnect(self, code: int) -> None:
        try:
            await super().disconnect(code)
        finally:
            if self.counted:
                self.counted = False
                WEBSOCKET_CONNECTIONS.dec()

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"request": request, "ws": request, "connection_params": {}}

    async def on_ws_connect(self, context: dict[str, Any]) -> Any:
        actor, credential = await auth.authenticate(context.get("connection_params"), self.scope)
        if not actor.is_authenticated:
            raise ConnectionRejectionError({"message": "Authentication required."})
        context[ACTOR_KEY] = actor
        context[CREDENTIAL_KEY] = credential
        return UNSET


def consumer_application(schema: Any) -> Any:
    """The ASGI app for one socket, configured from settings."""
    return GraphQLSubscriptionConsumer.as_asgi(
        schema=schema,
        subscription_protocols=subscription_protocols(),
        max_subscriptions_per_connection=getattr(settings, "GRAPHQL_WS_MAX_SUBSCRIPTIONS", 20),
        connection_init_wait_timeout=timedelta(seconds=getattr(settings, "GRAPHQL_WS_INIT_TIMEOUT", 10)),
        # The origin is checked against ALLOWED_HOSTS by realtime.routing before we get here.
        allowed_origins=("*",),
    )
