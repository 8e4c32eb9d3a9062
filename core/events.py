"""Domain events: small frozen dataclasses that leave after commit.

Services call :func:`publish`; delivery is deferred with ``transaction.on_commit`` so no
subscriber ever sees an event whose transaction rolled back, except for durable subscribers
(``subscribe(..., durable=True)``), which record follow-up work (log rows and task rows) inside
that very transaction, so it commits with the change or not at all (docs/decisions/0030).
Subscribers (realtime broadcast, notifications, calendar push) register with :func:`subscribe`
from their own ``AppConfig.ready`` so that ``core`` imports none of them. A failing subscriber is
logged and never breaks the others or the request that caused the event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from django.db import connection, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event is: a frozen dataclass of plain values with a name (booking events below;
    ``core.workforce.events`` and ``core.crm.events`` carry no booking id and subclass this)."""

    @property
    def name(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.name, **asdict(self)}


@dataclass(frozen=True, kw_only=True)
class DomainEvent(Event):
    """Base of the booking events. ``event_id`` is the id of the history row the change wrote."""

    event_id: int
    booking_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]
_subscribers: dict[type, list[Handler]] = defaultdict(list)
_priority: dict[Handler, int] = {}
_durable: set[Handler] = set()
_when: dict[Handler, Callable[[Any], bool]] = {}
DEFAULT_PRIORITY = 100


def subscribe(event_type: type[E], handler: Callable[[E], None], *, priority: int = DEFAULT_PRIORITY,
              durable: bool = False, when: Callable[[E], bool] | None = None) -> None:
    """Register ``handler`` for ``event_type`` and its subclasses. Lower ``priority`` runs first
    (live broadcast goes before slower notification work).

    ``durable``: the handler runs when the event is published, inside the transaction of the change
    (in a savepoint of its own), so what it records (log rows, task rows) commits with the change or
    not at all, and survives any crash after the commit. It must only write rows and enqueue tasks,
    never call out. The others (live broadcasts) run after commit.

    ``when``: a test of the event alone (no query) that says whether the handler has anything to
    do with it; when it says no, the handler is not called and no savepoint is opened for it (most
    events concern a few of their subscribers: a cancel by SMS sends no SMS). The handler keeps its
    own check too, so a direct call behaves the same."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)
    _priority[handler] = priority
    if durable:
        _durable.add(handler)
    else:
        _durable.discard(handler)
    if when is not None:
        _when[handler] = when
    else:
        _when.pop(handler, None)


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler in _subscribers[event_type]:
        _subscribers[event_type].remove(handler)


def _handlers_for(event: Event) -> list[Handler]:
    handlers: list[Handler] = []
    for klass in type(event).__mro__:
        handlers.extend(_subscribers.get(klass, ()))
    # stable: equal priorities keep most-specific-class-first, registration order
    return sorted(handlers, key=lambda h: _priority.get(h, DEFAULT_PRIORITY))


def dispatch(event: Event, *, durable: bool | None = None) -> None:
    """Deliver now, to the durable handlers, the others, or (None) all. Used by ``publish``; call
    directly only in tests of handlers."""
    for handler in _handlers_for(event):
        if durable is not None and (handler in _durable) != durable:
            continue
        try:
            concerned = _when.get(handler)
            if concerned is not None and not concerned(event):
                continue
            # Inside an open transaction each handler gets a savepoint, so a database error in one
            # subscriber never poisons the others or the caller's transaction. After a real commit
            # the connection is in autocommit and a failed statement poisons nothing.
            if connection.in_atomic_block:
                with transaction.atomic():
                    handler(event)
            else:
                handler(event)
        except Exception:
            logger.exception("event handler %r failed for %s", handler, event.name)


def publish(event: Event) -> None:
    """Durable handlers now, in the caller's transaction; the others once it commits. The after-commit
    delivery is registered first, so at commit the broadcast goes out before any task that a durable
    handler enqueued can run (with a worker it runs later anyway)."""
    transaction.on_commit(lambda: dispatch(event, durable=False), robust=True)
    dispatch(event, durable=True)


# --- booking events ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BookingCreated(DomainEvent):
    number: str
    status: str
    customer_id: int
    scheduled_start: str
    scheduled_end: str
    series_id: int | None = None  # an occurrence of a series: the series is confirmed as a whole


@dataclass(frozen=True, kw_only=True)
class BookingUpdated(DomainEvent):
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BookingStatusChanged(DomainEvent):
    old_status: str
    new_status: str


@dataclass(frozen=True, kw_only=True)
class BookingCancelled(BookingStatusChanged):
    reason: str
    fee: str
    fieldworker_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BookingAssigned(DomainEvent):
    assignment_id: int
    fieldworker_id: int


@dataclass(frozen=True, kw_only=True)
class BookingUnassigned(DomainEvent):
    fieldworker_id: int


@dataclass(frozen=True, kw_only=True)
class AssignmentResponded(DomainEvent):
    assignment_id: int
    fieldworker_id: int
    accepted: bool
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class BookingOwnerChanged(DomainEvent):
    old_owner_id: int | None
    new_owner_id: int | None


# --- series events: the history row of the series' first booking concerned carries each one ----


@dataclass(frozen=True, kw_only=True)
class SeriesBooked(DomainEvent):
    """A series' first occurrences were made (``booking_id``: the earliest of ``booking_ids``). The
    customer is told once, with the dates, not once per occurrence (decision 0621)."""

    series_id: int
    booking_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SeriesCancelled(DomainEvent):
    """Occurrences of a series were cancelled together (scope ``following`` or ``all``); each also
    published its own ``BookingCancelled``. ``booking_id``: the earliest of ``booking_ids``."""

    series_id: int
    booking_ids: tuple[int, ...] = ()
    scope: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TimelineNoted(DomainEvent):
    """A timeline row with no event class of its own (a cancellation request, "on my way", a photo,
    an assignment conflict...): ``action`` is the row's action, ``data`` its data."""

    action: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CommentAdded(DomainEvent):
    comment_id: int
    author_name: str
    body: str
    visible_to_customer: bool
    created_at: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CommentDeliveryChanged(DomainEvent):
    """A customer-visible comment's delivery to the customer changed status (queued, sent,
    delivered, failed, not_sent_*). ``via`` is the delivery's channel (sms or email); the base
    ``channel`` says through what the change came (system, or the SMS status webhook)."""

    comment_id: int
    delivery_id: int
    via: str
    status: str
    error: str = ""
    updated_at: str = ""
