"""core.events: after-commit delivery, rollback discards, failing handlers are isolated."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction

from core import events


def sample(**kw) -> events.BookingOwnerChanged:
    values = dict(event_id=1, booking_id=2, channel="graphql", actor_kind="staff", old_owner_id=None,
                  new_owner_id=3)
    values.update(kw)
    return events.BookingOwnerChanged(**values)


@pytest.fixture
def seen():
    got: list = []
    events.subscribe(events.BookingOwnerChanged, got.append)
    yield got
    events.unsubscribe(events.BookingOwnerChanged, got.append)


def test_events_are_small_frozen_values():
    event = sample()
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.booking_id = 9  # type: ignore[misc]
    assert event.name == "BookingOwnerChanged"
    assert event.as_dict() == {"type": "BookingOwnerChanged", "event_id": 1, "booking_id": 2, "channel": "graphql",
                               "actor_kind": "staff", "actor_user_id": None, "occurred_at": "",
                               "old_owner_id": None, "new_owner_id": 3}


def test_publish_waits_for_the_commit(db, seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events.publish(sample())
        assert seen == []  # not before the commit
    assert len(callbacks) == 1
    assert seen == [sample()]


def test_a_rolled_back_change_publishes_nothing(db, seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                events.publish(sample())
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        events.publish(sample(event_id=2))
    assert len(callbacks) == 1
    assert seen == [sample(event_id=2)]


@pytest.mark.django_db(transaction=True)
def test_delivery_after_a_real_commit(seen):
    with transaction.atomic():
        events.publish(sample())
        assert seen == []
    assert seen == [sample()]


def test_subscribers_of_a_base_class_get_subclasses_and_a_failing_handler_is_isolated(caplog):
    got_base: list = []
    got_after: list = []

    def broken(event):
        raise ValueError("handler bug")

    events.subscribe(events.BookingStatusChanged, got_base.append)
    events.subscribe(events.BookingCancelled, broken)
    events.subscribe(events.BookingCancelled, got_after.append)
    events.subscribe(events.BookingCancelled, got_after.append)  # subscribing twice delivers once
    try:
        cancelled = events.BookingCancelled(event_id=1, booking_id=2, channel="sms", actor_kind="customer",
                                            old_status="pending", new_status="cancelled", reason="x", fee="0.00")
        events.dispatch(cancelled)
    finally:
        events.unsubscribe(events.BookingStatusChanged, got_base.append)
        events.unsubscribe(events.BookingCancelled, broken)
        events.unsubscribe(events.BookingCancelled, got_after.append)
    assert got_base == [cancelled]
    assert got_after == [cancelled]
    assert "handler bug" in caplog.text or "failed for BookingCancelled" in caplog.text
    events.dispatch(cancelled)  # unsubscribed: nothing more arrives
    assert got_after == [cancelled]


def test_lower_priority_handlers_run_first_whatever_the_event_class():
    order: list[str] = []

    def specific(event):
        order.append("specific")

    def broadcast(event):
        order.append("broadcast")

    events.subscribe(events.CommentAdded, specific)
    events.subscribe(events.DomainEvent, broadcast, priority=0)
    try:
        events.dispatch(events.CommentAdded(event_id=1, booking_id=1, channel="sms", actor_kind="customer",
                                            comment_id=1, author_name="A", body="b", visible_to_customer=True,
                                            created_at=""))
    finally:
        events.unsubscribe(events.CommentAdded, specific)
        events.unsubscribe(events.DomainEvent, broadcast)
    assert order.index("broadcast") < order.index("specific")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Cancelled(events.DomainEvent):
    """An event of this test's own: no subscriber of the project's hears it."""

    fee: str


def test_a_durable_subscriber_that_the_event_does_not_concern_costs_no_savepoint(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    called: list = []

    def charged(event) -> bool:
        return float(event.fee) > 0

    def invoice_the_fee(event):
        called.append(event.fee)

    free, paid = (Cancelled(event_id=n, booking_id=2, channel="sms", actor_kind="customer", fee=fee)
                  for n, fee in ((1, "0.00"), (2, "45.00")))
    events.subscribe(Cancelled, invoice_the_fee, durable=True, when=charged)
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as free_queries:
            events.dispatch(free, durable=True)
        with transaction.atomic(), CaptureQueriesContext(connection) as paid_queries:
            events.dispatch(paid, durable=True)
    finally:
        events.unsubscribe(Cancelled, invoice_the_fee)
    assert called == ["45.00"]  # only the event it concerns
    assert not any("SAVEPOINT" in q["sql"] for q in free_queries.captured_queries)
    assert any(q["sql"].startswith("SAVEPOINT") for q in paid_queries.captured_queries)  # its own savepoint
    events.subscribe(Cancelled, invoice_the_fee, durable=True)  # subscribed again without a test
    try:
        events.dispatch(free, durable=True)
    finally:
        events.unsubscribe(Cancelled, invoice_the_fee)
    assert called == ["45.00", "0.00"]  # the test went with the old subscription
