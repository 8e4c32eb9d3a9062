"""Writing to a job's discussion from the chat: whom a reply goes to by default, the refusal for a
fieldworker who has not accepted the job, and the discussion as the chat reads it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingComment
from core.chat import selectors, services
from tests import factories
from tests.core.support import assert_refused

from .conftest import chat_state, offer

TG = Channel.TELEGRAM


def _comment(actor, booking, body, **kw):
    return booking_services.comment_add(actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk, body=body, **kw)


def test_a_reply_goes_to_the_customer_when_it_answers_what_the_customer_wrote_or_sees(bound, staff_actor):
    binding = bound(301)
    booking = offer(binding.fieldworker, accept=True)
    from_customer = booking_services.comment_add(actor=Actor.for_customer(booking.customer), channel=Channel.SMS,
                                                 booking_id=booking.pk, body="Can you come at 8?")
    to_customer = _comment(staff_actor, booking, "We will be there at 9", visible_to_customer=True)
    internal = _comment(staff_actor, booking, "Gate code 4411")
    elsewhere = _comment(staff_actor, factories.booking(), "Other job", visible_to_customer=True)
    goes = lambda reply_to_id: services.reply_goes_to_customer(booking_id=booking.pk, reply_to_id=reply_to_id)  # noqa: E731
    assert (goes(from_customer.pk), goes(to_customer.pk), goes(internal.pk), goes(None)) == (True, True, False, False)
    assert goes(elsewhere.pk) is False  # not this job's message: no default, and comment_add refuses it

    actor = Actor.for_fieldworker(binding.fieldworker)
    made = [services.chat_comment_add(actor=actor, channel=TG, booking_id=booking.pk, body=f"re {target.pk}",
                                      reply_to_id=target.pk) for target in (from_customer, to_customer, internal)]
    assert [(c.visible_to_customer, c.reply_to_id, c.channel) for c in made] == [
        (True, from_customer.pk, "telegram"), (True, to_customer.pk, "telegram"), (False, internal.pk, "telegram")]
    # the fieldworker's own choice wins over the default, both ways
    kept = services.chat_comment_add(actor=actor, channel=TG, booking_id=booking.pk, body="internal after all",
                                     to_customer=False, reply_to_id=from_customer.pk)
    told = services.chat_comment_add(actor=actor, channel=TG, booking_id=booking.pk, body="to the customer",
                                     to_customer=True, reply_to_id=internal.pk)
    assert (kept.visible_to_customer, told.visible_to_customer) == (False, True)


def test_a_fieldworker_who_has_not_accepted_cannot_write_to_the_customer(bound, published):
    binding = bound(302)
    booking = offer(binding.fieldworker)  # offered only
    question = booking_services.comment_add(actor=Actor.for_customer(booking.customer), channel=Channel.SMS,
                                            booking_id=booking.pk, body="Who is coming?")
    actor = Actor.for_fieldworker(binding.fieldworker)
    before = chat_state()
    for call in (
        lambda: services.chat_comment_add(actor=actor, channel=TG, booking_id=booking.pk, body="Me", to_customer=True),
        lambda: services.chat_comment_add(actor=actor, channel=TG, booking_id=booking.pk, body="Me",
                                          reply_to_id=question.pk),  # the default would be the customer
    ):
        assert_refused(call, "not_accepted", field="visibleToCustomer", published=published)
    stranger = Actor.for_fieldworker(factories.fieldworker())
    assert_refused(lambda: services.chat_comment_add(actor=stranger, channel=TG, booking_id=booking.pk, body="Hi",
                                                     to_customer=True), "not_found", published=published)
    assert_refused(lambda: services.chat_comment_add(actor=stranger, channel=TG, booking_id=booking.pk, body="Hi",
                                                     to_customer=False), "not_found", published=published)
    assert chat_state() == before
    # an internal note is still theirs to write
    note = services.chat_comment_add(actor=actor, channel=TG, booking_id=booking.pk, body="Can take it Tuesday",
                                     to_customer=False)
    assert note.visible_to_customer is False
    assert [type(event) for event in published.all()] == [events.CommentAdded]


def test_the_discussion_keeps_customer_visible_messages_apart_from_internal_notes(bound, staff_actor,
                                                                                django_assert_num_queries):
    binding = bound(303)
    booking = offer(binding.fieldworker, accept=True)
    start = timezone.now() - timedelta(hours=2)
    visible = [BookingComment.objects.create(booking=booking, author_kind="customer", author_name="Jo", channel="sms",
                                             body=f"visible {n}", visible_to_customer=True,
                                             created_at=start + timedelta(minutes=n))
               for n in range(selectors.THREAD_WITH_CUSTOMER + 2)]
    internal = [BookingComment.objects.create(booking=booking, author_kind="staff", author_name="Ann", channel="graphql",
                                              body=f"internal {n}", created_at=start + timedelta(minutes=n))
                for n in range(2)]
    _comment(staff_actor, factories.booking(), "another job's note")
    actor = Actor.for_fieldworker(binding.fieldworker)
    with django_assert_num_queries(2):
        discussion = selectors.discussion(actor, booking)
    assert [c.pk for c in discussion.with_customer] == [c.pk for c in visible[-selectors.THREAD_WITH_CUSTOMER:]]
    assert [c.pk for c in discussion.internal] == [c.pk for c in internal]
    assert (discussion.more_with_customer, discussion.more_internal) == (True, False)
    # a customer reading the same job would never get the internal notes
    customer = selectors.discussion(Actor.for_customer(booking.customer), booking)
    assert customer.internal == [] and len(customer.with_customer) == selectors.THREAD_WITH_CUSTOMER


def test_job_by_number_is_scoped_to_the_fieldworkers_jobs(bound):
    binding = bound(304)
    offered = offer(binding.fieldworker)
    accepted = offer(binding.fieldworker, days=5, accept=True)
    other = factories.booking()
    actor = Actor.for_fieldworker(binding.fieldworker)
    assert selectors.job_by_number(actor, offered.number) == offered
    assert selectors.job_by_number(actor, accepted.number) == accepted
    assert selectors.job_by_number(actor, other.number) is None
    assert (selectors.on_job(actor, offered), selectors.on_job(actor, accepted)) == (False, True)
