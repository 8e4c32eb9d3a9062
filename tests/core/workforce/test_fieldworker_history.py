"""Creating and changing a fieldworker writes the fieldworker log and publishes its event."""

from __future__ import annotations

import pytest

from core import events
from core.actors import Channel
from core.workforce import services
from core.workforce.events import (
    FieldworkerCreated,
    FieldworkerMessaged,
    FieldworkerMessageStatusChanged,
    FieldworkerUpdated,
    ScheduleChanged,
    WorkforceEvent,
)
from core.workforce.models import Fieldworker, FieldworkerLog
from tests import factories
from tests.core.support import assert_refused
from tests.scheduling_support import assign, job, next_weekday, weekdays_9_to_5


@pytest.fixture
def workforce_events(published):
    seen: list[WorkforceEvent] = []
    events.subscribe(WorkforceEvent, seen.append)

    def flushed() -> list[WorkforceEvent]:
        published.all()
        return seen

    yield flushed
    events.unsubscribe(WorkforceEvent, seen.append)


def test_create_and_update_are_logged_with_their_events(staff_actor, workforce_events):
    svc = factories.service()
    made = services.fieldworker_create(actor=staff_actor, channel=Channel.ADMIN, name="Fay", email="fay@example.com",
                                       mobile="0412 000 111")
    services.fieldworker_update(actor=staff_actor, channel=Channel.ADMIN, fieldworker_id=made.pk, name="Fay F",
                                mobile="+61412000111", service_ids=[svc.pk], time_zone="Australia/Perth")
    rows = list(FieldworkerLog.objects.filter(fieldworker=made).values_list("action", "channel", "data"))
    assert rows == [
        ("created", "admin", {"name": "Fay", "email": "fay@example.com", "mobile": "+61412000111",
                              "service_ids": []}),
        ("verification_sent", "admin", {"message_id": made.messages.get().pk, "email": "fay@example.com"}),
        ("updated", "admin", {"changes": {"name": ["Fay", "Fay F"], "service_ids": [[], [svc.pk]],
                                          "time_zone": ["", "Australia/Perth"]}}),
    ]
    # the e-mail's task ran at the (test) commit
    by_type = {type(event): event for event in workforce_events()}
    assert len(by_type) == 4
    created, updated = by_type[FieldworkerCreated], by_type[FieldworkerUpdated]
    messaged, delivered = by_type[FieldworkerMessaged], by_type[FieldworkerMessageStatusChanged]
    assert (type(created), type(updated), updated.changed) == (
        FieldworkerCreated, FieldworkerUpdated, ("name", "service_ids", "time_zone"))
    # the verification e-mail's event names its log row (the live thread view follows it)
    assert (type(messaged), messaged.action, messaged.status, messaged.event_id) == (
        FieldworkerMessaged, "verification_sent", "queued",
        FieldworkerLog.objects.get(fieldworker=made, action="verification_sent").pk)
    assert (type(delivered), delivered.action, delivered.status, delivered.attempts) == (
        FieldworkerMessageStatusChanged, "message_status", "sent", 1)
    assert Fieldworker.objects.get(pk=made.pk).time_zone == "Australia/Perth"


def test_a_status_change_reports_the_jobs_it_clashes_with(staff_actor, fieldworker, workforce_events):
    weekdays_9_to_5(fieldworker)
    booking = job(next_weekday(2, hour=9))
    assign(booking, fieldworker)
    workforce_events().clear()
    services.fieldworker_update(actor=staff_actor, channel=Channel.ADMIN, fieldworker_id=fieldworker.pk,
                                status="blocked")
    [changed] = workforce_events()
    assert (type(changed), changed.what, changed.conflict_booking_ids) == (ScheduleChanged, "status", (booking.pk,))
    row = FieldworkerLog.objects.filter(fieldworker=fieldworker).last()
    assert (row.action, row.data) == ("status", {"status": ["active", "blocked"],
                                                 "conflict_booking_ids": [booking.pk]})


def test_nothing_changed_nothing_logged_and_refusals_log_nothing(staff_actor, fieldworker, workforce_events):
    services.fieldworker_update(actor=staff_actor, channel=Channel.ADMIN, fieldworker_id=fieldworker.pk,
                                name=fieldworker.name, mobile=fieldworker.mobile)
    assert not FieldworkerLog.objects.exists() and workforce_events() == []
    assert_refused(lambda: services.fieldworker_update(actor=staff_actor, channel=Channel.ADMIN,
                                                       fieldworker_id=fieldworker.pk, time_zone="Mars/Base"),
                   "invalid_time_zone", field="timeZone")
    assert workforce_events() == []
