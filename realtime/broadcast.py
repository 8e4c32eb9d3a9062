"""Domain events -> channel-layer groups, after commit.

``core.events`` calls :func:`on_domain_event` from ``transaction.on_commit`` (sync code, in
whatever thread committed). Routing:

- ``booking.<id>``: everything about one booking: comments, changes, and ``access_revoked``
  notices when a fieldworker is unassigned or declines (their discussion stream stops).
- ``bookings``: every change to any booking except comments (staff boards).
- ``fieldworker.<id>``: changes to the jobs of that fieldworker, offers included.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core import events

from . import payloads
from .groups import ALL_BOOKINGS, booking_group, fieldworker_group

logger = logging.getLogger(__name__)


def messages_for(event: events.DomainEvent) -> list[tuple[str, dict[str, Any]]]:
    """The (group, message) pairs one event becomes, in the order they are sent."""
    booking = booking_group(event.booking_id)
    if isinstance(event, events.CommentAdded):
        return [(booking, payloads.event_message(event, None))]

    snapshot = payloads.booking_snapshot(event.booking_id)
    message = payloads.event_message(event, snapshot)
    out = [(booking, message), (ALL_BOOKINGS, message)]

    workers: list[int] = [fw["id"] for fw in (snapshot or {}).get("fieldworkers", ())]
    own = getattr(event, "fieldworker_id", None)
    if isinstance(own, int):
        workers.append(own)
    workers.extend(getattr(event, "fieldworker_ids", ()) or ())
    for fieldworker_id in dict.fromkeys(workers):  # de-duplicated, order kept
        out.append((fieldworker_group(fieldworker_id), message))

    revoked = None
    if isinstance(event, events.BookingUnassigned) or (
        isinstance(event, events.AssignmentResponded) and not event.accepted
    ):
        revoked = event.fieldworker_id
    if revoked is not None:
        out.append((booking, payloads.access_revoked_message(event, revoked)))
    return out


def send_all(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None or not pairs:
        return

    async def _send() -> None:
        for group, message in pairs:
            await layer.group_send(group, {**message, "group": group})  # realtime.hub routes on it

    async_to_sync(_send)()


def on_domain_event(event: events.DomainEvent) -> None:
    """The ``core.events`` subscriber. Failures are logged by ``core.events.dispatch``."""
    send_all(messages_for(event))


def connect() -> None:
    # first: dashboards hear of a change before notification work runs
    events.subscribe(events.DomainEvent, on_domain_event, priority=0)


def disconnect() -> None:
    events.unsubscribe(events.DomainEvent, on_domain_event)
