"""Subscriptions over the WebSocket (graphql-transport-ws).

Each one: checks the subscriber's credential and permission when it starts (core selectors,
off the event loop), joins its channel-layer groups (through ``realtime.hub``) *before* that
check so nothing that happens in between is missed, then filters the broadcast messages in
memory. A fieldworker's
discussion stream ends with an ``access_revoked`` error when they are unassigned or decline, and
any stream ends with ``unauthenticated`` when the sign-in behind it ends (realtime.credentials), and
with ``resync_required`` when the process's channel layer lost Redis and got it back, so events may
have been missed: subscribe again, then re-read (decision 0210).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import zoneinfo
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone
from graphql import GraphQLError
from strawberry.types import Info

from core.actors import Actor
from core.bookings.selectors import booking_for
from core.company.selectors import get_company
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from realtime import auth, hub
from realtime.filters import BoardFilter, comment_visible_to, concerns_fieldworker, is_delivery_change, revokes
from realtime.groups import (
    ALL_BOOKINGS,
    COMPLAINTS,
    INBOX,
    KIND_CREDENTIALS,
    KIND_EVENT,
    KIND_RESYNC,
    QUOTES,
    booking_group,
    fieldworker_group,
    fieldworker_thread_group,
    user_group,
)
from realtime.hub import TICK

from ..bookings.queries import BookingFilter
from ..context import aactor_from_context
from ..ids import decode_id
from .types import (
    LiveBookingEvent,
    LiveComment,
    LiveCommentDelivery,
    LiveComplaintEvent,
    LiveFieldworkerMessage,
    LiveInquiryEvent,
    LiveQuoteEvent,
    built,
)

logger = logging.getLogger("graphql_api")
RESYNC_MESSAGE = ("Live updates were interrupted and some may have been missed: subscribe again, "
                  "then re-read what you show.")
T = TypeVar("T")


def _guarded(resolver: Callable[..., AsyncGenerator[T, None]]) -> Callable[..., AsyncGenerator[T, None]]:
    """Errors of a stream, shaped as everywhere else in the API: a DomainError becomes a GraphQL
    error with ``extensions.code`` (and ``field``); anything unexpected is logged and masked."""

    @functools.wraps(resolver)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[T, None]:
        stream = resolver(*args, **kwargs)
        try:
            async with aclosing(stream):
                async for item in stream:
                    yield item
        except DomainError as exc:
            extensions = {"code": exc.code, **({"field": exc.field} if exc.field else {})}
            raise GraphQLError(exc.message, extensions=extensions) from None
        except GraphQLError:
            raise
        except Exception:
            logger.exception("subscription %s failed", resolver.__name__)
            raise GraphQLError("Unexpected error.", extensions={"code": "internal_error"}) from None

    return wrapper


async def _subscriber(info: Info) -> Actor:
    """The connection's actor, re-checked now (token revoked, session ended, role changed)."""
    context = info.context
    actor = await aactor_from_context(context)
    if not actor.is_authenticated or not await _still_signed_in(info, actor):
        raise DomainError("unauthenticated", "Sign in first.")
    return actor


async def _still_signed_in(info: Info, actor: Actor) -> bool:
    context = info.context
    credential = context.get("credential") if isinstance(context, dict) else None
    return credential is None or await auth.still_valid(actor, credential)


@contextlib.asynccontextmanager
async def _listen(info: Info, actor: Actor, *groups: str) -> AsyncIterator[AsyncGenerator[dict[str, Any], None]]:
    """``hub.listen`` plus the actor's own group: when their sign-in may have ended (realtime.credentials)
    the stream re-checks it and ends with ``unauthenticated`` if it did."""
    own = (user_group(actor.user_id),) if actor.user_id is not None else ()
    context = info.context
    credential = context.get("credential") if isinstance(context, dict) else None
    expires = await auth.credential_expiry(credential) if credential is not None else None
    recheck = float(settings.GRAPHQL_WS_RECHECK_SECONDS)

    def tick() -> float:
        # re-check on a timer, and at the moment the token or session expires by itself
        if expires is None:
            return recheck
        return min(recheck, max(0.0, (expires - timezone.now()).total_seconds()) + 0.05)

    async with hub.listen(*groups, *own, tick=tick) as messages:

        async def checked() -> AsyncGenerator[dict[str, Any], None]:
            async for message in messages:
                kind = message.get("kind")  # one look per message, as before the resync notice
                if kind == KIND_RESYNC:
                    raise DomainError("resync_required", RESYNC_MESSAGE)
                if kind in (KIND_CREDENTIALS, TICK["kind"]):
                    if not await _still_signed_in(info, actor):
                        raise DomainError("unauthenticated", "Your sign-in has ended.")
                    continue
                yield message

        stream = checked()
        async with aclosing(stream):
            yield stream


async def _staff_stream(info: Info, group: str, what: str, live: Any) -> AsyncGenerator[Any, None]:
    """A staff-only stream of one group's events (inbox, complaints, quotes): each event as ``live``."""
    actor = await _subscriber(info)
    if not actor.is_staff:
        raise PermissionDenied(f"Only staff may watch {what}.")
    async with _listen(info, actor, group) as messages:
        async for message in messages:
            if message.get("kind") == KIND_EVENT:
                yield built(live, message, live.from_message)


def _may_read_thread(actor: Actor, fieldworker_id: int) -> bool:
    """Staff read any fieldworker's thread; a fieldworker their own only; nobody else any."""
    from core.workforce.models import Fieldworker

    if actor.is_fieldworker:
        return actor.fieldworker_id == fieldworker_id
    return actor.is_staff and Fieldworker.objects.filter(pk=fieldworker_id).exists()


def _board_filter(flt: BookingFilter | None) -> BoardFilter:
    if flt is None:
        return BoardFilter()
    zone = None

    def instant(value: datetime) -> datetime:
        nonlocal zone
        if timezone.is_aware(value):
            return value
        zone = zone or zoneinfo.ZoneInfo(get_company().time_zone)
        return value.replace(tzinfo=zone)

    start = instant(flt.from_) if flt.from_ else None
    end = instant(flt.to) if flt.to else None
    if start and end and end <= start:
        raise ValidationFailed("filter.to", "'to' must be after 'from'.", code="end_before_start")
    return BoardFilter(
        scheduled_from=start,
        scheduled_to=end,
        statuses=frozenset(status.value for status in flt.status or ()),
        customer_id=decode_id(flt.customer_id, "Customer", "filter.customerId") if flt.customer_id else None,
        fieldworker_id=(decode_id(flt.fieldworker_id, "Fieldworker", "filter.fieldworkerId")
                        if flt.fieldworker_id else None),
    )


@strawberry.type
class RealtimeSubscription:
    @strawberry.subscription(description="New comments on one booking, as they are written, from any channel. "
                                         "Customers receive only customer-visible comments. Ends with an "
                                         "access_revoked error when a fieldworker leaves the booking.")
    @_guarded
    async def booking_discussion(self, info: Info, booking_id: strawberry.ID) -> AsyncGenerator[LiveComment, None]:
        pk = decode_id(booking_id, "Booking", "bookingId")
        actor = await _subscriber(info)
        async with _listen(info, actor, booking_group(pk)) as messages:
            if await database_sync_to_async(booking_for)(actor, pk) is None:
                raise NotFound("booking", field="bookingId")
            async for message in messages:
                if revokes(message, actor):
                    raise DomainError("access_revoked", "You no longer have access to this booking.")
                if comment_visible_to(message, actor):
                    yield built(LiveComment, message, LiveComment.from_message)

    @strawberry.subscription(description="Staff: each change of status of a discussion message's delivery to the "
                                         "customer on one booking (queued, sent, delivered, failed, not sent), as "
                                         "it happens. Pairs with bookingDiscussion on the same connection.")
    @_guarded
    async def comment_deliveries(self, info: Info, booking_id: strawberry.ID,
                                 ) -> AsyncGenerator[LiveCommentDelivery, None]:
        pk = decode_id(booking_id, "Booking", "bookingId")
        actor = await _subscriber(info)
        if not actor.is_staff:
            raise PermissionDenied("Only staff see how messages reached the customer.")
        async with _listen(info, actor, booking_group(pk)) as messages:
            if await database_sync_to_async(booking_for)(actor, pk) is None:
                raise NotFound("booking", field="bookingId")
            async for message in messages:
                if is_delivery_change(message):
                    yield built(LiveCommentDelivery, message, LiveCommentDelivery.from_message)

    @strawberry.subscription(description="Staff: every change to bookings matching the filter (same meaning as "
                                         "the bookings query's), including bookings leaving it.")
    @_guarded
    async def booking_events(self, info: Info, filter: BookingFilter | None = None,
                             ) -> AsyncGenerator[LiveBookingEvent, None]:
        actor = await _subscriber(info)
        if not actor.is_staff:
            raise PermissionDenied("Only staff may watch all bookings.")
        board = await database_sync_to_async(_board_filter)(filter)
        async with _listen(info, actor, ALL_BOOKINGS) as messages:
            async for message in messages:
                if board.matches(message):
                    yield built(LiveBookingEvent, message, LiveBookingEvent.from_message)

    @strawberry.subscription(description="Fieldworkers: offers and every change to your own jobs.")
    @_guarded
    async def my_assignments(self, info: Info) -> AsyncGenerator[LiveBookingEvent, None]:
        actor = await _subscriber(info)
        if not actor.is_fieldworker or actor.fieldworker_id is None:
            raise PermissionDenied("Only fieldworkers have assignments.")
        fieldworker_id = actor.fieldworker_id
        async with _listen(info, actor, fieldworker_group(fieldworker_id)) as messages:
            async for message in messages:
                if concerns_fieldworker(message, fieldworker_id):
                    yield built(LiveBookingEvent, message, LiveBookingEvent.from_message)

    @strawberry.subscription(description="Staff: new inquiries and every change to one (assigned, replied, "
                                         "resolved, reopened, linked).")
    @_guarded
    async def inbox_events(self, info: Info) -> AsyncGenerator[LiveInquiryEvent, None]:
        async with aclosing(_staff_stream(info, INBOX, "the inbox", LiveInquiryEvent)) as events:
            async for event in events:
                yield event

    @strawberry.subscription(description="Staff: complaints raised and every change to one (updated, assigned, "
                                         "resolved, reopened), for the open complaints list.")
    @_guarded
    async def complaint_events(self, info: Info) -> AsyncGenerator[LiveComplaintEvent, None]:
        async with aclosing(_staff_stream(info, COMPLAINTS, "complaints", LiveComplaintEvent)) as events:
            async for event in events:
                yield event

    @strawberry.subscription(description="Staff: every change to any quote (sent, accepted by the customer, "
                                         "expired, ...).")
    @_guarded
    async def quote_events(self, info: Info) -> AsyncGenerator[LiveQuoteEvent, None]:
        async with aclosing(_staff_stream(info, QUOTES, "quotes", LiveQuoteEvent)) as events:
            async for event in events:
                yield event

    @strawberry.subscription(description="One fieldworker's thread with the office, live: messages sent to them "
                                         "(e-mail, SMS, chat), each change of their delivery status (sent, "
                                         "delivered, queued again, failed, retried) and texts they send us. Staff "
                                         "for any fieldworker; a fieldworker for themself only.")
    @_guarded
    async def fieldworker_thread(self, info: Info, fieldworker_id: strawberry.ID,
                                 ) -> AsyncGenerator[LiveFieldworkerMessage, None]:
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        actor = await _subscriber(info)
        async with _listen(info, actor, fieldworker_thread_group(pk)) as messages:
            if not await database_sync_to_async(_may_read_thread)(actor, pk):
                raise NotFound("fieldworker", field="fieldworkerId")  # another's thread looks like none
            async for message in messages:
                if message.get("kind") == KIND_EVENT and message.get("fieldworker_id") == pk:
                    yield built(LiveFieldworkerMessage, message, LiveFieldworkerMessage.from_message)
