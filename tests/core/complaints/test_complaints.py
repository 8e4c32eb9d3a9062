"""The complaint rules, against the services: raise, update, assign, resolve, reopen, who sees what,
and the two managed lists. Every refusal leaves the database as it was."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.complaints import services
from core.complaints.models import Complaint, ComplaintEvent, ComplaintStatus, ComplaintType
from core.complaints.selectors import open_complaints, visible_complaints, visible_history
from core.errors import DomainError
from tests import factories

from .support import accepted_by, completed, customer_booking, db_state

G = Channel.GRAPHQL
pytestmark = pytest.mark.django_db


def refused(code: str, call, **kwargs) -> DomainError:
    before = db_state()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value
    assert db_state() == before
    return caught.value


def status(name: str) -> ComplaintStatus:
    return ComplaintStatus.objects.get(name=name)


def test_the_lists_start_with_open_and_resolved_statuses_and_common_types():
    assert list(ComplaintStatus.objects.filter(is_resolved=False).values_list("name", flat=True)) == [
        "Open", "In progress"]
    assert ComplaintStatus.objects.filter(is_resolved=True).count() == 2
    assert ComplaintType.objects.filter(name="Damage", active=True).exists()


def test_a_customer_raises_a_complaint_on_their_booking(customer, customer_actor, complaint_events):
    booking = customer_booking(customer)
    completed(booking)
    damage = ComplaintType.objects.get(name="Damage")
    complaint = services.complaint_raise(actor=customer_actor, channel=Channel.PORTAL, booking_id=booking.pk,
                                         description="  The vase in the hall is broken.  ", type_id=damage.pk,
                                         visible_to_customer=False)
    assert complaint.description == "The vase in the hall is broken."
    assert complaint.visible_to_customer is True  # a customer's complaint is theirs to read
    assert complaint.status.name == "Open" and not complaint.is_resolved
    assert complaint.customer_id == customer.pk and complaint.channel == "portal"
    assert complaint.raised_by_kind == "customer" and complaint.raised_by_id == customer.user_id
    row = ComplaintEvent.objects.get(complaint=complaint)
    assert (row.action, row.actor_kind, row.channel) == ("raised", "customer", "portal")
    assert complaint_events.actions == ["raised"]
    assert complaint_events.all()[0].name == "ComplaintRaised"
    assert complaint_events.all()[0].event_id == row.pk


def test_staff_raise_an_internal_complaint_with_an_owner(staff, staff_actor):
    booking = customer_booking()
    other = factories.staff_user()
    complaint = services.complaint_raise(actor=staff_actor, channel=G, booking_id=booking.pk,
                                         description="Customer phoned: late again.", visible_to_customer=False,
                                         owner_id=other.pk)
    assert complaint.visible_to_customer is False and complaint.owner_id == other.pk
    assert complaint.raised_by_kind == "staff"


def test_raising_refusals_change_nothing(customer_actor, staff_actor, fieldworker):
    mine = customer_booking()
    own = customer_booking(factories.customer(with_login=True))
    other_customer = Actor.from_user(own.customer.user)
    refused("required", services.complaint_raise, actor=other_customer, channel=G, booking_id=own.pk,
            description="   ")
    refused("too_long", services.complaint_raise, actor=other_customer, channel=G, booking_id=own.pk,
            description="x" * 5001)
    refused("invalid_characters", services.complaint_raise, actor=other_customer, channel=G, booking_id=own.pk,
            description="bad\x00")
    # someone else's booking answers exactly like a missing one
    missing = refused("not_found", services.complaint_raise, actor=customer_actor, channel=G, booking_id=10**9,
                      description="x")
    hidden = refused("not_found", services.complaint_raise, actor=customer_actor, channel=G, booking_id=mine.pk,
                     description="x")
    assert (missing.message, missing.field) == (hidden.message, hidden.field)
    refused("forbidden", services.complaint_raise, actor=Actor.from_user(fieldworker.user), channel=G,
            booking_id=own.pk, description="x")
    refused("forbidden", services.complaint_raise, actor=other_customer, channel=G, booking_id=own.pk,
            description="x", owner_id=factories.staff_user().pk)
    refused("not_found", services.complaint_raise, actor=staff_actor, channel=G, booking_id=own.pk,
            description="x", type_id=10**9)
    ComplaintType.objects.filter(name="Billing").update(active=False)
    refused("inactive", services.complaint_raise, actor=staff_actor, channel=G, booking_id=own.pk,
            description="x", type_id=ComplaintType.objects.get(name="Billing").pk)
    refused("owner_not_staff", services.complaint_raise, actor=staff_actor, channel=G, booking_id=own.pk,
            description="x", owner_id=own.customer.user_id)
    ComplaintStatus.objects.filter(is_resolved=False).update(active=False)
    refused("no_open_status", services.complaint_raise, actor=staff_actor, channel=G, booking_id=own.pk,
            description="x")


def test_a_customer_has_at_most_five_open_complaints_on_one_booking(customer, customer_actor):
    booking = customer_booking(customer)
    for n in range(5):
        services.complaint_raise(actor=customer_actor, channel=G, booking_id=booking.pk, description=f"n{n}")
    refused("too_many", services.complaint_raise, actor=customer_actor, channel=G, booking_id=booking.pk,
            description="six")
    assert Complaint.objects.filter(booking=booking).count() == 5


def test_staff_update_assign_resolve_and_reopen_with_history(staff_actor, complaint_events):
    booking = customer_booking()
    complaint = services.complaint_raise(actor=staff_actor, channel=G, booking_id=booking.pk, description="Late.")
    late = ComplaintType.objects.get(name="Late or missed visit")
    services.complaint_update(actor=staff_actor, channel=G, complaint_id=complaint.pk, type_id=late.pk,
                              status_id=status("In progress").pk, description="Late by an hour.")
    services.complaint_assign(actor=staff_actor, channel=G, complaint_id=complaint.pk, owner_id=staff_actor.user_id)
    resolved = services.complaint_resolve(actor=staff_actor, channel=G, complaint_id=complaint.pk,
                                          resolution="Apologised; 10% off the next visit.")
    assert resolved.is_resolved and resolved.resolved_at is not None and resolved.status.name == "Resolved"
    assert open_complaints(staff_actor) == []
    reopened = services.complaint_reopen(actor=staff_actor, channel=G, complaint_id=complaint.pk,
                                         reason="Customer says the discount was not applied.")
    assert not reopened.is_resolved and reopened.resolved_at is None and reopened.resolution == ""
    assert reopened.status.name == "Open"
    assert [c.pk for c in open_complaints(staff_actor)] == [complaint.pk]
    rows = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("action", flat=True))
    assert rows == ["raised", "updated", "assigned", "resolved", "reopened"]
    assert complaint_events.actions == rows
    updated = ComplaintEvent.objects.get(complaint=complaint, action="updated")
    assert set(updated.changes) == {"type_id", "status_id", "description"}
    resolved_row = ComplaintEvent.objects.get(complaint=complaint, action="resolved")
    assert resolved_row.changes["resolution"] == ["", "Apologised; 10% off the next visit."]


def test_a_change_that_changes_nothing_writes_no_history(staff_actor):
    complaint = services.complaint_raise(actor=staff_actor, channel=G, booking_id=customer_booking().pk,
                                         description="Late.")
    services.complaint_update(actor=staff_actor, channel=G, complaint_id=complaint.pk, description="Late.")
    services.complaint_assign(actor=staff_actor, channel=G, complaint_id=complaint.pk, owner_id=None)
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 1


def test_state_changes_are_refused_without_changing_anything(staff_actor, customer_actor):
    complaint = services.complaint_raise(actor=staff_actor, channel=G, booking_id=customer_booking().pk,
                                         description="Late.")
    pk = complaint.pk
    refused("status_changes_state", services.complaint_update, actor=staff_actor, channel=G, complaint_id=pk,
            status_id=status("Resolved").pk)
    refused("already_open", services.complaint_reopen, actor=staff_actor, channel=G, complaint_id=pk, reason="x")
    refused("required", services.complaint_resolve, actor=staff_actor, channel=G, complaint_id=pk, resolution=" ")
    refused("status_changes_state", services.complaint_resolve, actor=staff_actor, channel=G, complaint_id=pk,
            resolution="Done", status_id=status("In progress").pk)
    refused("forbidden", services.complaint_resolve, actor=customer_actor, channel=G, complaint_id=pk,
            resolution="Done")
    closing = list(ComplaintStatus.objects.filter(is_resolved=True, active=True).values_list("pk", flat=True))
    ComplaintStatus.objects.filter(pk__in=closing).update(active=False)
    refused("no_resolved_status", services.complaint_resolve, actor=staff_actor, channel=G, complaint_id=pk,
            resolution="Done")
    refused("inactive", services.complaint_resolve, actor=staff_actor, channel=G, complaint_id=pk,
            resolution="Done", status_id=closing[0])
    ComplaintStatus.objects.filter(pk__in=closing).update(active=True)
    refused("forbidden", services.complaint_update, actor=customer_actor, channel=G, complaint_id=pk,
            description="mine now")
    refused("not_found", services.complaint_assign, actor=staff_actor, channel=G, complaint_id=10**9,
            owner_id=None)
    refused("invalid", services.complaint_update, actor=staff_actor, channel=G, complaint_id=pk, customer_id=1)
    services.complaint_resolve(actor=staff_actor, channel=G, complaint_id=pk, resolution="Done")
    refused("already_resolved", services.complaint_resolve, actor=staff_actor, channel=G, complaint_id=pk,
            resolution="Again")
    refused("required", services.complaint_reopen, actor=staff_actor, channel=G, complaint_id=pk, reason="")
    refused("status_changes_state", services.complaint_reopen, actor=staff_actor, channel=G, complaint_id=pk,
            reason="x", status_id=status("Resolved").pk)
    ComplaintStatus.objects.filter(is_resolved=False).update(active=False)
    refused("no_open_status", services.complaint_reopen, actor=staff_actor, channel=G, complaint_id=pk,
            reason="x")
    assert Complaint.objects.get(pk=pk).is_resolved  # resolved once, and every refused reopen left it so


def test_who_sees_which_complaints(customer, customer_actor, staff_actor, fieldworker, fieldworker_actor):
    booking = customer_booking(customer)
    accepted_by(booking, fieldworker)
    other_fw = factories.fieldworker()
    public = services.complaint_raise(actor=customer_actor, channel=G, booking_id=booking.pk, description="Mud.")
    internal = services.complaint_raise(actor=staff_actor, channel=G, booking_id=booking.pk,
                                        description="Third complaint this month.", visible_to_customer=False)
    elsewhere = services.complaint_raise(actor=staff_actor, channel=G, booking_id=customer_booking().pk,
                                         description="Elsewhere.")
    assert set(visible_complaints(staff_actor)) == {public, internal, elsewhere}
    assert list(visible_complaints(customer_actor)) == [public]
    assert list(visible_complaints(fieldworker_actor)) == [public]
    assert list(visible_complaints(Actor.from_user(other_fw.user))) == []
    assert list(visible_complaints(Actor.anonymous())) == []
    assert visible_history(customer_actor).count() == 0 and visible_history(staff_actor).count() == 3


def test_the_status_list_keeps_is_resolved_and_refuses_flipping_a_status_in_use(staff_actor, customer_actor):
    pending = services.complaint_status_create(actor=staff_actor, channel=G, name="Waiting on customer",
                                               position=1)
    assert pending.is_resolved is False
    assert services.complaint_status_create(actor=staff_actor, channel=G, name="waiting on customer ") == pending
    flipped = services.complaint_status_update(actor=staff_actor, channel=G, complaint_status_id=pending.pk,
                                               is_resolved=True, name="Refunded")
    assert (flipped.name, flipped.is_resolved) == ("Refunded", True)
    open_status = status("Open")
    services.complaint_raise(actor=staff_actor, channel=G, booking_id=customer_booking().pk, description="x")
    refused("in_use", services.complaint_status_update, actor=staff_actor, channel=G,
            complaint_status_id=open_status.pk, is_resolved=True)
    refused("in_use", services.complaint_status_delete, actor=staff_actor, channel=G,
            complaint_status_id=open_status.pk)
    refused("duplicate", services.complaint_status_update, actor=staff_actor, channel=G,
            complaint_status_id=flipped.pk, name="OPEN")
    refused("forbidden", services.complaint_status_create, actor=customer_actor, channel=G, name="Mine")
    services.complaint_status_delete(actor=staff_actor, channel=G, complaint_status_id=flipped.pk)
    assert not ComplaintStatus.objects.filter(pk=flipped.pk).exists()


def test_the_type_list(staff_actor):
    kind = services.complaint_type_create(actor=staff_actor, channel=G, name="Noise", position=9)
    services.complaint_type_update(actor=staff_actor, channel=G, complaint_type_id=kind.pk, active=False)
    kind.refresh_from_db()
    assert kind.active is False
    refused("invalid", services.complaint_type_update, actor=staff_actor, channel=G, complaint_type_id=kind.pk,
            name="")
    services.complaint_type_delete(actor=staff_actor, channel=G, complaint_type_id=kind.pk)
    assert not ComplaintType.objects.filter(name="Noise").exists()
