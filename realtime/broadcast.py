"""Domain events -> channel-layer groups, after commit.

``core.events`` calls :func:`on_domain_event` from ``transaction.on_commit`` (sync code, in
whatever thread committed). In a server process the group sends are handed to the server's event
loop without waiting for them (:class:`_Outbox`). Routing:

- ``booking.<id>``: everything about one booking: comments and their deliveries to the customer,
  changes, and ``access_revoked``
  notices when a fieldworker is unassigned or declines (their discussion stream stops).
- ``bookings``: every change to any booking except comments and deliveries (staff boards).
- ``fieldworker.<id>``: changes to the jobs of that fieldworker, offers included.
- ``inbox``: every change to any inquiry (``core.crm.events``), for the staff inbox.
- ``complaints``: every change to any complaint (``core.complaints.events``), for staff.
- ``quotes``: every change to any quote (``core.sales.quote_events``), for staff.
- ``fwthread.<id>``: one fieldworker's messages with the office: sent, their delivery status, texts
  received (``core.workforce.events.FieldworkerMessageEvent``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core import events
from core.complaints.events import ComplaintChanged
from core.crm.events import InquiryEvent
from core.sales.quote_events import QuoteChanged
from core.workforce.events import FieldworkerMessageEvent

from . import payloads
from .groups import ALL_BOOKINGS, COMPLAINTS, INBOX, QUOTES, booking_group, fieldworker_group, fieldworker_thread_group

logger = logging.getLogger(__name__)


def messages_for(event: events.DomainEvent) -> list[tuple[str, dict[str, Any]]]:
    """The (group, message) pairs one event becomes, in the order they are sent."""
    booking = booking_group(event.booking_id)
    if isinstance(event, (events.CommentAdded, events.CommentDeliveryChanged)):
        # the discussion and its deliveries: only those watching this booking, no snapshot to read
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


def messages_for_inquiry(event: InquiryEvent) -> list[tuple[str, dict[str, Any]]]:
    """An inquiry event goes to the inbox only, with the inquiry as it stands (one read per event)."""
    return [(INBOX, payloads.inquiry_message(event, payloads.inquiry_snapshot(event.inquiry_id)))]


def messages_for_complaint(event: ComplaintChanged) -> list[tuple[str, dict[str, Any]]]:
    """A complaint event goes to the staff's complaints group, with the complaint as it stands."""
    return [(COMPLAINTS, payloads.complaint_message(event, payloads.complaint_snapshot(event.complaint_id)))]


def send_all(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    """Send the pairs in order. From a thread of a serving process, the sends are handed to the
    server's event loop and this returns at once; elsewhere (a management command, a test without a
    server) they are sent before this returns."""
    layer = get_channel_layer()
    if layer is None or not pairs:
        return
    outbox = _outbox
    if outbox is not None and outbox.post(layer, pairs):
        return

    async def _send() -> None:
        for group, message in pairs:
            await _send_one(layer, group, message)

    async_to_sync(_send)()


async def _send_one(layer: Any, group: str, message: dict[str, Any]) -> None:
    await layer.group_send(group, {**message, "group": group})  # realtime.hub routes on it


class _Outbox:
    """Group sends handed from synchronous threads to one event loop, and sent there in the order
    they were handed over (one drain task at a time, so two events never overtake each other).

    The committing thread does not wait for the channel layer, which saves it a round trip to the
    loop thread and back per event (two thread switches and asgiref's bridging). Past ``LIMIT``
    pairs not yet sent (a channel layer that stopped answering), a sender waits until the backlog
    is under the limit again, so memory stays bounded and the senders slow down instead."""

    LIMIT = 10_000
    WAIT = 30.0  # seconds a sender waits on a full backlog before it sends on regardless

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: deque[tuple[Any, str, dict[str, Any]]] = deque()  # touched on the loop only
        self.handed = 0  # pairs handed over, counted by the senders (under the lock)
        self.done = 0  # pairs sent or failed, counted on the loop
        self.lock = threading.Lock()
        self.drain: asyncio.Task | None = None  # held here: the loop keeps only a weak reference

    def post(self, layer: Any, pairs: list[tuple[str, dict[str, Any]]]) -> bool:
        """Hand the pairs to the loop; False when it is not running (the caller sends them itself)."""
        if self.loop.is_closed() or not self.loop.is_running():
            return False
        on_loop = _running_loop() is self.loop  # synchronous code on the loop's own thread
        with self.lock:  # counted before the loop can send them, so `backlog` never goes negative
            self.handed += len(pairs)
            if on_loop:
                self._push(layer, pairs)
            else:
                try:
                    self.loop.call_soon_threadsafe(self._push, layer, pairs)
                except RuntimeError:  # closed in between
                    self.handed -= len(pairs)
                    return False
        if not on_loop and self.backlog > self.LIMIT:
            self._wait_for_room()
        return True

    @property
    def backlog(self) -> int:
        """Pairs handed over and not sent yet (read from any thread)."""
        return self.handed - self.done

    def _wait_for_room(self) -> None:
        deadline = time.monotonic() + self.WAIT
        while self.backlog > self.LIMIT:
            if time.monotonic() > deadline:
                logger.warning("realtime broadcast: %d sends queued for over %.0f s", self.backlog, self.WAIT)
                return
            time.sleep(0.01)

    def _push(self, layer: Any, pairs: list[tuple[str, dict[str, Any]]]) -> None:
        self.pending.extend((layer, group, message) for group, message in pairs)
        if self.drain is None:
            self.drain = self.loop.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.pending:
                layer, group, message = self.pending.popleft()
                try:
                    await _send_one(layer, group, message)
                except Exception:
                    logger.exception("realtime broadcast to %s failed", group)
                self.done += 1
        finally:
            self.drain = None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_outbox: _Outbox | None = None


def serve_from(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the server for every request, from ``loop``: broadcasts that this process's
    threads commit are sent from this loop (where the consumers of an in-memory layer listen)."""
    global _outbox
    if _outbox is None or _outbox.loop is not loop:
        _outbox = _Outbox(loop)


def on_domain_event(event: events.DomainEvent) -> None:
    """The ``core.events`` subscriber. Failures are logged by ``core.events.dispatch``."""
    send_all(messages_for(event))


def on_inquiry_event(event: InquiryEvent) -> None:
    send_all(messages_for_inquiry(event))


def on_complaint_event(event: ComplaintChanged) -> None:
    send_all(messages_for_complaint(event))


def on_quote_event(event: QuoteChanged) -> None:
    send_all([(QUOTES, payloads.quote_message(event))])


def on_fieldworker_message_event(event: FieldworkerMessageEvent) -> None:
    send_all([(fieldworker_thread_group(event.fieldworker_id), payloads.fieldworker_message_message(event))])


def connect() -> None:
    # first: dashboards hear of a change before notification work runs
    events.subscribe(events.DomainEvent, on_domain_event, priority=0)
    events.subscribe(InquiryEvent, on_inquiry_event, priority=0)
    events.subscribe(ComplaintChanged, on_complaint_event, priority=0)
    events.subscribe(QuoteChanged, on_quote_event, priority=0)
    events.subscribe(FieldworkerMessageEvent, on_fieldworker_message_event, priority=0)


def disconnect() -> None:
    events.unsubscribe(events.DomainEvent, on_domain_event)
    events.unsubscribe(InquiryEvent, on_inquiry_event)
    events.unsubscribe(ComplaintChanged, on_complaint_event)
    events.unsubscribe(QuoteChanged, on_quote_event)
    events.unsubscribe(FieldworkerMessageEvent, on_fieldworker_message_event)
