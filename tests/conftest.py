from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from core import events
from core.actors import Actor
from core.company.selectors import get_company

from . import factories
from .dns_server import dns_server  # noqa: F401  (a fixture: a DNS server on 127.0.0.1)
from .smtp_server import smtp_server  # noqa: F401  (a fixture: an SMTP server on 127.0.0.1)


def _clear_cache() -> None:
    """Empty our cache. On Redis only our keys go: a FLUSHDB would also take the channel layer's
    groups from under the live server processes that share that Redis."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters (and anything else cached) never leak from one test into the next. The
    webhook flag is then written as every process writes it at start (no endpoint yet, 0062), so an
    event costs the tests what it costs a running process: no statement for it."""
    from core.integrations import switch

    _clear_cache()
    switch.set_active(False)
    yield
    _clear_cache()


OUR_NUMBER = "+61400999999"  # the business's Twilio number in the tests


@pytest.fixture
def twilio_sms(settings):
    """Twilio settings for signed webhooks, and texts kept in the in-memory outbox (cleared around)."""
    from core.sms import backends

    settings.TWILIO_FROM_NUMBER = OUR_NUMBER
    settings.TWILIO_AUTH_TOKEN = "test-auth-token-0123456789"
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.SMS_CANCEL_IS_CARRIER_OPT_OUT = True
    backends.outbox.clear()
    backends.blocked.clear()
    yield backends.outbox
    backends.outbox.clear()
    backends.blocked.clear()


@pytest.fixture
def company(db):
    return get_company()


@pytest.fixture
def staff(db):
    return factories.staff_user()


@pytest.fixture
def staff_actor(staff) -> Actor:
    return Actor.from_user(staff)


@pytest.fixture
def customer(db):
    return factories.customer(with_login=True)


@pytest.fixture
def customer_actor(customer) -> Actor:
    return Actor.from_user(customer.user)


@pytest.fixture
def fieldworker(db):
    return factories.fieldworker()


@pytest.fixture
def fieldworker_actor(fieldworker) -> Actor:
    return Actor.from_user(fieldworker.user)


class EventRecorder:
    """Events that left after commit, in order.

    Tests run inside a transaction that never commits, so reading the recorder first runs the
    on-commit callbacks queued so far, exactly as a real commit would (rolled-back work never
    queues any)."""

    def __init__(self) -> None:
        self.seen: list[events.DomainEvent] = []

    def _flush(self) -> None:
        conn = connection
        while conn.run_on_commit:
            pending, conn.run_on_commit = conn.run_on_commit, []
            for _sids, func, _robust in pending:
                func()

    def all(self) -> list[events.DomainEvent]:
        self._flush()
        return list(self.seen)

    @property
    def names(self) -> list[str]:
        return [event.name for event in self.all()]

    def of(self, event_type: type) -> list:
        return [event for event in self.all() if isinstance(event, event_type)]

    def clear(self) -> None:
        self._flush()
        self.seen.clear()

    def __len__(self) -> int:
        return len(self.all())


@pytest.fixture
def published(db) -> Iterator[EventRecorder]:
    recorder = EventRecorder()
    events.subscribe(events.DomainEvent, recorder.seen.append)
    try:
        yield recorder
    finally:
        events.unsubscribe(events.DomainEvent, recorder.seen.append)


@pytest.fixture
def media(settings, tmp_path):
    """Files stored through the storage API go to a fresh folder; the test reads what is there
    (``tests.media.stored_files``)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def back_to_the_latest() -> Iterator[None]:
    """For a test that migrates backwards (``tests.migrations.migrate_to``): later migrations exist, so
    leave the schema fully migrated for the tests that follow."""
    from tests.migrations import migrate_to_the_latest

    yield
    migrate_to_the_latest()
