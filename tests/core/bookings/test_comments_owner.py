"""The booking discussion, the owner, and the automation pause flags."""

from __future__ import annotations

import pytest

from core import events
from core.actors import Actor, Channel
from core.bookings import services
from core.bookings.models import Booking, BookingComment
from tests import factories
from tests.core.support import assert_refused

from .conftest import ACTOR_KINDS, last_row


def comment(actor, booking, body="Hello", channel=Channel.GRAPHQL, **kw):
    return services.comment_add(actor=actor, channel=channel, booking_id=booking.pk, body=body, **kw)


EXPECT_VISIBLE = {"staff": False, "accepted_fw": False, "offered_fw": False, "own_customer": True, "system": False}


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_who_may_comment_and_the_default_visibility(kind, booking, actor_for, published):
    actor = actor_for(kind, booking)
    if kind not in EXPECT_VISIBLE:
        assert_refused(lambda: comment(actor, booking), "not_found", published=published)
        return
    made = comment(actor, booking, body="  Running late  ")
    made.refresh_from_db()
    assert (made.body, made.visible_to_customer, made.author_kind, made.author_user_id, made.channel) == (
        "Running late", EXPECT_VISIBLE[kind], actor.kind, actor.user_id, "graphql")
    assert made.author_name == actor.label
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id) == ("comment_added", actor.kind, actor.user_id)
    assert row.data == {"comment_id": made.pk, "visible_to_customer": EXPECT_VISIBLE[kind]}
    [event] = published.all()
    assert type(event) is events.CommentAdded
    assert (event.event_id, event.comment_id, event.body, event.visible_to_customer, event.author_name) == (
        row.pk, made.pk, "Running late", EXPECT_VISIBLE[kind], made.author_name)
    assert event.extra == {"reply_to_id": None}


def test_staff_may_post_a_visible_comment(booking, staff_actor):
    assert comment(staff_actor, booking, visible_to_customer=True).visible_to_customer is True


def test_only_a_fieldworker_who_accepted_the_job_writes_to_the_customer(booking, actor_for, published):
    offered_fw = actor_for("offered_fw", booking)
    assert_refused(lambda: comment(offered_fw, booking, visible_to_customer=True), "not_accepted",
                   field="visibleToCustomer", published=published)
    # the offered fieldworker may still post an internal note
    assert comment(offered_fw, booking, visible_to_customer=False).visible_to_customer is False
    accepted_fw = actor_for("accepted_fw", booking)
    made = comment(accepted_fw, booking, body="On my way at 9", visible_to_customer=True)
    assert made.visible_to_customer is True
    assert last_row(booking).data == {"comment_id": made.pk, "visible_to_customer": True}
    assert published.of(events.CommentAdded)[0].visible_to_customer is True


def test_a_fieldworker_taken_off_the_job_cannot_write_to_the_customer(booking, actor_for, staff_actor,
                                                                     published):
    accepted_fw = actor_for("accepted_fw", booking)
    services.booking_unassign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                              fieldworker_id=accepted_fw.fieldworker_id)
    assert_refused(lambda: comment(accepted_fw, booking, visible_to_customer=True), "not_found",
                   published=published)


def test_a_customer_cannot_post_an_internal_note(booking, customer_actor, published):
    assert_refused(lambda: comment(customer_actor, booking, visible_to_customer=False), "forbidden",
                   field="visibleToCustomer", published=published)


def test_a_customer_without_login_is_named_after_the_customer(svc, published):
    walk_in = factories.customer(name="Jo Bloggs")
    booking = factories.booking(cust=walk_in, svc=svc)
    made = comment(Actor.for_customer(walk_in), booking, channel=Channel.SMS)
    assert (made.author_name, made.author_user_id, made.visible_to_customer) == ("Jo Bloggs", None, True)


@pytest.mark.parametrize("body", ["", "   ", None, "x" * 5001])
def test_bad_bodies_are_refused(body, booking, staff_actor, published):
    code = "too_long" if body and body.strip() else "required"
    assert_refused(lambda: comment(staff_actor, booking, body=body), code, field="body", published=published)


def test_replies(booking, staff_actor, customer_actor, published):
    visible = comment(staff_actor, booking, visible_to_customer=True)
    internal = comment(staff_actor, booking, visible_to_customer=False)
    published.clear()
    reply = comment(customer_actor, booking, body="Thanks", reply_to_id=visible.pk)
    assert reply.reply_to_id == visible.pk
    assert published.of(events.CommentAdded)[0].extra == {"reply_to_id": visible.pk}
    staff_reply = comment(staff_actor, booking, reply_to_id=internal.pk)
    assert staff_reply.reply_to_id == internal.pk
    # a customer cannot reply to (and so learn of) an internal note
    assert_refused(lambda: comment(customer_actor, booking, reply_to_id=internal.pk), "not_found",
                   field="replyToId", published=published)


def test_a_reply_to_another_bookings_comment_is_refused(booking, staff_actor, svc, published):
    elsewhere = factories.booking(svc=svc)
    foreign = comment(staff_actor, elsewhere)
    assert_refused(lambda: comment(staff_actor, booking, reply_to_id=foreign.pk), "not_found", field="replyToId",
                   published=published)
    assert_refused(lambda: comment(staff_actor, booking, reply_to_id=10**9), "not_found", field="replyToId",
                   published=published)


def test_comments_are_allowed_on_a_cancelled_booking(booking, staff_actor):
    services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="x")
    assert BookingComment.objects.filter(pk=comment(staff_actor, booking).pk).exists()


# --- owner ------------------------------------------------------------------------------------


def test_change_owner(booking, staff, staff_actor, published):
    new_owner = factories.staff_user()
    services.booking_change_owner(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                  owner_id=new_owner.pk)
    booking.refresh_from_db()
    assert booking.owner_id == new_owner.pk
    row = last_row(booking)
    assert (row.action, row.actor_kind, row.actor_user_id, row.changes) == (
        "owner_changed", "staff", staff.pk, {"owner_id": [None, new_owner.pk]})
    [event] = published.all()
    assert type(event) is events.BookingOwnerChanged
    assert (event.event_id, event.old_owner_id, event.new_owner_id) == (row.pk, None, new_owner.pk)
    published.clear()
    services.booking_change_owner(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, owner_id=None)
    assert Booking.objects.get(pk=booking.pk).owner_id is None
    assert last_row(booking).changes == {"owner_id": [new_owner.pk, None]}
    assert published.names == ["BookingOwnerChanged"]


def test_setting_the_same_owner_writes_nothing(booking, staff_actor, published):
    before = booking.history.count()
    services.booking_change_owner(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, owner_id=None)
    assert booking.history.count() == before
    assert published.names == []


def test_owner_refusals(booking, staff_actor, fieldworker, actor_for, published):
    assert_refused(lambda: services.booking_change_owner(actor=staff_actor, channel=Channel.GRAPHQL,
                                                         booking_id=booking.pk, owner_id=fieldworker.user_id),
                   "not_found", field="ownerId", published=published)
    for kind, code in (("own_customer", "forbidden"), ("accepted_fw", "forbidden"), ("other_customer", "not_found"),
                       ("anonymous", "not_found")):
        actor = actor_for(kind, booking)
        assert_refused(lambda actor=actor: services.booking_change_owner(
            actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk, owner_id=staff_actor.user_id),
            code, published=published)


# --- automation flags ---------------------------------------------------------------------------


def test_pause_automation(booking, staff_actor, published):
    services.booking_set_automation(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    sms_paused=True)
    booking.refresh_from_db()
    assert (booking.automated_sms_paused, booking.automated_email_paused) == (True, False)
    row = last_row(booking)
    assert (row.action, row.changes) == ("automation_changed", {"automated_sms_paused": [False, True]})
    [event] = published.all()
    assert type(event) is events.BookingUpdated and event.changed == ("automated_sms_paused",)
    published.clear()
    services.booking_set_automation(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    sms_paused=True, email_paused=False)  # nothing changes
    assert published.names == []
    assert last_row(booking).pk == row.pk


def test_only_staff_pause_automation(booking, customer_actor, published):
    assert_refused(lambda: services.booking_set_automation(actor=customer_actor, channel=Channel.PORTAL,
                                                           booking_id=booking.pk, sms_paused=True),
                   "forbidden", published=published)
