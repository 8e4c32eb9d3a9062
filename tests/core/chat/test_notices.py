"""Chat notices driven by domain events, the outbox through the in-memory transport, the morning list."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.core.management import call_command
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.chat import backends, notify, outbox
from core.chat.models import ChatMessage, MessageStatus, SmsFallback
from core.company.services import company_update
from tests import factories

from .conftest import commit, offer, sent


def test_offer_goes_to_a_linked_fieldworker_only(bound, published):
    binding = bound(101)
    unlinked = factories.fieldworker()
    booking = offer(binding.fieldworker)
    offer(unlinked, booking=booking)
    [entry] = sent(101)
    assert entry.method == "sendMessage"
    assert entry.params["buttons"] == [[["Accept", f"a:{booking.pk}"], ["Decline", f"d:{booking.pk}"]]]
    assert ChatMessage.objects.count() == 1
    assert ChatMessage.objects.get().status == MessageStatus.SENT


def test_an_event_handled_twice_sends_once(bound, published):
    binding = bound(102)
    offer(binding.fieldworker)
    [event] = published.of(events.BookingAssigned)
    notify.on_assigned(event)
    commit()
    assert len(sent(102)) == 1


def test_blocked_chat_is_unreachable_and_offers_fall_back_to_sms(bound):
    from core.sms import backends as sms_backends

    sms_backends.outbox.clear()
    binding = bound(103)
    backends.blocked.add(103)
    booking = offer(binding.fieldworker)
    row = ChatMessage.objects.get(kind="offer")
    assert (row.status, row.sms_fallback) == (MessageStatus.UNREACHABLE, SmsFallback.SENT)
    binding.refresh_from_db()
    assert binding.unreachable_at is not None
    [sms] = [entry for entry in sms_backends.outbox if entry.to == binding.fieldworker.mobile]
    assert f"#{booking.number}" in sms.body
    # other notices are not sent by SMS: they wait as unreachable
    booking_services.booking_update(actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    notes="Bring the long ladder")
    commit()
    changed = ChatMessage.objects.get(kind="changed")
    assert (changed.status, changed.sms_fallback) == (MessageStatus.UNREACHABLE, SmsFallback.NONE)


def test_changes_cancellations_and_removals_reach_the_assigned(bound, staff_actor):
    binding = bound(104)
    booking = offer(binding.fieldworker, accept=True)
    booking_services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    notes="Dog in the yard")
    commit()
    assert sent(104)[-1].params["text"].endswith("Notes: Dog in the yard")
    booking_services.booking_set_automation(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                            sms_paused=True)
    commit()
    assert len(sent(104)) == 2  # pausing automated SMS is not news for the fieldworker
    booking_services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="Rain")
    commit()
    assert "is cancelled" in sent(104)[-1].params["text"]
    other = bound(105)
    second = offer(other.fieldworker)
    booking_services.booking_unassign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=second.pk,
                                      fieldworker_id=other.fieldworker_id)
    commit()
    assert sent(105)[-1].params["text"].startswith(f"You are no longer on job #{second.number}")


def test_discussion_reaches_accepted_workers_but_not_its_author(bound, staff_actor):
    first, second = bound(106), bound(107)
    booking = factories.booking(workers_required=2)
    offer(first.fieldworker, booking=booking, accept=True)
    offer(second.fieldworker, booking=booking, accept=True)
    backends.reset()
    booking_services.comment_add(actor=Actor.for_fieldworker(first.fieldworker), channel=Channel.TELEGRAM,
                                 booking_id=booking.pk, body="Side gate is open")
    commit()
    assert sent(106) == []
    assert "Side gate is open" in sent(107)[0].params["text"]
    assert ChatMessage.objects.get(chat_id=107, kind="comment").comment_id is not None


def test_morning_list_once_a_day_in_the_business_time_zone(bound, staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, time_zone="Pacific/Auckland")
    tz = zoneinfo.ZoneInfo("Pacific/Auckland")
    today = timezone.now().astimezone(tz).date()
    busy, idle = bound(108), bound(109)
    early = datetime.combine(today, time(7, 30), tzinfo=tz)
    offer(busy.fieldworker, accept=True, booking=factories.booking(start=early))
    offer(busy.fieldworker, booking=factories.booking(start=early + timedelta(hours=4)))  # offered, not accepted
    offer(busy.fieldworker, accept=True, booking=factories.booking(start=early + timedelta(days=1)))
    backends.reset()
    call_command("chat_morning_list")
    commit()
    [entry] = sent(108)
    assert entry.params["text"].count("Job #") == 1 and "07:30-09:30" in entry.params["text"]
    assert sent(109) == []
    call_command("chat_morning_list")  # cron ran twice: still one list
    commit()
    assert len(sent(108)) == 1
    assert idle.fieldworker


def test_flush_retries_what_is_due(bound):
    binding = bound(110)
    row = outbox.send(binding.chat_id, "later")
    ChatMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert outbox.flush() == {}
    ChatMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.flush() == {"sent": 1}
    assert [entry.params["text"] for entry in sent(110)] == ["later"]


def test_flush_command_sends_due_messages_and_forgets_old_update_ids(bound):
    from io import StringIO

    from core.chat.models import ProcessedUpdate

    binding = bound(111)
    outbox.send(binding.chat_id, "from cron")
    ProcessedUpdate.objects.create(update_id=1, received_at=timezone.now() - timedelta(days=8))
    ProcessedUpdate.objects.create(update_id=2, received_at=timezone.now() - timedelta(days=1))
    out = StringIO()
    call_command("chat_outbox_flush", stdout=out)
    assert out.getvalue().strip() == "chat outbox: sent=1; update ids forgotten: 1"
    assert list(ProcessedUpdate.objects.values_list("update_id", flat=True)) == [2]
    assert [entry.params["text"] for entry in sent(111)] == ["from cron"]


def test_button_answers_are_delivered_first(bound):
    binding = bound(112)
    reply = outbox.send(binding.chat_id, "edited")
    answer = outbox.answer("q-1", "Done", chat_id=binding.chat_id)
    backends.reset()
    outbox.deliver_many([reply.pk, answer.pk])
    assert [entry.method for entry in backends.outbox] == ["answerCallbackQuery", "sendMessage"]
