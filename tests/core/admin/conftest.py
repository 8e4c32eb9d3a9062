from __future__ import annotations

import pytest
from django.test import Client

from core import events
from core.accounts.models import User


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(email="root@example.com", password="pw-root-123", full_name="Root Admin")


@pytest.fixture
def browser(root) -> Client:
    """The Django test client signed in to the admin as a superuser."""
    client = Client()
    client.force_login(root)
    return client


class Seen:
    """Events of any kind (customer, workforce, booking) that left after commit."""

    def __init__(self, recorder) -> None:
        self.recorder = recorder
        self.items: list = []

    def of(self, event_type: type) -> list:
        self.recorder.all()  # runs the on-commit callbacks queued so far
        return [event for event in self.items if isinstance(event, event_type)]


@pytest.fixture
def seen(published):
    from core.crm.events import CustomerEvent
    from core.workforce.events import WorkforceEvent

    box = Seen(published)
    for kind in (CustomerEvent, WorkforceEvent):
        events.subscribe(kind, box.items.append)
    try:
        yield box
    finally:
        for kind in (CustomerEvent, WorkforceEvent):
            events.unsubscribe(kind, box.items.append)
