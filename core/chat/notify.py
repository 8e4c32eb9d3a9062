"""Chat notices driven by domain events (subscribed in ``ChatConfig.ready``), and the morning list.

Every notice is a row in the outbox (``outbox.queue``) with a dedupe key made of the event id, so an
event handled twice never sends twice. Subscribers run after commit; the rows they write are
delivered by the Tasks API.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from core import events
from core.actors import Actor
from core.bookings import conflicts
from core.bookings.models import ACTIVE_ASSIGNMENT, AssignmentStatus, Booking, BookingAssignment, BookingComment
from core.workforce.events import ChangeRequestDecided

from . import outbox, selectors, services, texts
from .models import MessageKind, MessageStatus

CHANGED_FIELDS = frozenset({"scheduled_start", "scheduled_end", "property_id", "notes", "time_zone", "lines"})


def _booking(booking_id: int) -> Booking | None:
    return (Booking.objects.select_related("property", "customer").prefetch_related("lines").filter(pk=booking_id)
            .first())


def _send(fieldworker_id: int, text: str, *, kind: str, key: str, booking: Booking | None = None,
          comment_id: int | None = None, buttons: list | None = None) -> None:
    binding = selectors.binding_for_fieldworker(fieldworker_id)
    if binding is None:
        return
    outbox.send(binding.chat_id, text, kind=kind, fieldworker_id=fieldworker_id,
                booking_id=booking.pk if booking else None, comment_id=comment_id, buttons=buttons, dedupe_key=key)


def on_assigned(event: events.BookingAssigned) -> None:
    booking = _booking(event.booking_id)
    if booking is None or not booking.is_open:
        return
    with transaction.atomic():
        services.offer_queue(booking=booking, fieldworker_id=event.fieldworker_id, assignment_id=event.assignment_id,
                             event_id=event.event_id)


def _assigned_ids(booking: Booking) -> list[int]:
    return list(booking.assignments.filter(status__in=ACTIVE_ASSIGNMENT).values_list("fieldworker_id", flat=True))


def on_updated(event: events.BookingUpdated) -> None:
    if not CHANGED_FIELDS.intersection(event.changed):
        return
    booking = _booking(event.booking_id)
    if booking is None:
        return
    text = f"Job #{booking.number} has changed:\n{texts.job_summary(booking)}"
    if booking.notes and "notes" in event.changed:
        text += f"\nNotes: {booking.notes[:500]}"
    with transaction.atomic():
        for fieldworker_id in _assigned_ids(booking):
            _send(fieldworker_id, text, kind=MessageKind.CHANGED, booking=booking,
                  key=f"changed:{event.event_id}:{fieldworker_id}")


def _anyone_on_the_job(event: events.BookingCancelled) -> bool:
    return bool(event.fieldworker_ids)


def on_cancelled(event: events.BookingCancelled) -> None:
    if not _anyone_on_the_job(event):
        return  # nobody was on the job: nothing to read, no transaction to open
    booking = _booking(event.booking_id)
    if booking is None:
        return
    text = f"Job #{booking.number} ({texts.when(booking)}) is cancelled. You do not need to go."
    with transaction.atomic():
        for fieldworker_id in event.fieldworker_ids:
            _send(fieldworker_id, text, kind=MessageKind.CANCELLED, booking=booking,
                  key=f"cancelled:{event.event_id}:{fieldworker_id}")


def on_unassigned(event: events.BookingUnassigned) -> None:
    booking = _booking(event.booking_id)
    if booking is None:
        return
    with transaction.atomic():
        _send(event.fieldworker_id, f"You are no longer on job #{booking.number} ({texts.when(booking)}).",
              kind=MessageKind.UNASSIGNED, booking=booking, key=f"unassigned:{event.event_id}")


def on_responded(event: events.AssignmentResponded) -> None:
    """Once a job has all the people it needs, the offers still open for others say it is taken."""
    if not event.accepted:
        return
    booking = _booking(event.booking_id)
    if booking is None:
        return
    accepted = booking.assignments.filter(status=AssignmentStatus.ACCEPTED).count()
    if accepted < booking.workers_required:
        return
    others = BookingAssignment.objects.filter(booking=booking, status=AssignmentStatus.OFFERED)
    with transaction.atomic():
        for assignment in others:
            binding = selectors.binding_for_fieldworker(assignment.fieldworker_id)
            if binding is None:
                continue
            sent = (outbox.ChatMessage.objects.filter(
                kind=MessageKind.OFFER, booking=booking, fieldworker_id=assignment.fieldworker_id,
                chat_id=binding.chat_id, status=MessageStatus.SENT, telegram_message_id__isnull=False)
                .order_by("-id").first())
            if sent is None:
                continue
            outbox.edit(binding.chat_id, sent.telegram_message_id,
                        f"Job #{booking.number} has been taken by someone else.\n{texts.when(booking)}",
                        kind=MessageKind.OFFER_UPDATE, fieldworker_id=assignment.fieldworker_id,
                        booking_id=booking.pk, dedupe_key=f"taken:{event.event_id}:{assignment.fieldworker_id}")


def on_comment(event: events.CommentAdded) -> None:
    """A discussion message reaches the fieldworkers on the job (not its own author), saying who wrote it
    and who sees it; replying to it in the chat answers it (to the customer by default when the
    customer wrote it or sees it, decision 0520)."""
    # asked on every comment, most often of a job nobody has accepted yet (one prepared statement)
    on_job = [fieldworker_id for fieldworker_id, status, _busy in conflicts.holders(event.booking_id)
              if status == AssignmentStatus.ACCEPTED]
    if not on_job:
        return  # nobody to tell: one query, no transaction
    comment = BookingComment.objects.filter(pk=event.comment_id).first()
    booking = _booking(event.booking_id)
    if comment is None or booking is None:
        return
    author_fieldworker = getattr(comment.author_user, "fieldworker", None) if comment.author_user_id else None
    text = texts.forwarded(booking, comment)
    with transaction.atomic():
        for fieldworker_id in on_job:
            if author_fieldworker is not None and author_fieldworker.pk == fieldworker_id:
                continue
            _send(fieldworker_id, text, kind=MessageKind.COMMENT, booking=booking, comment_id=comment.pk,
                  key=f"comment:{comment.pk}:{fieldworker_id}")


def on_change_request_decided(event: ChangeRequestDecided) -> None:
    if event.kind not in (services.DECLINE_KIND, services.CANCEL_KIND):
        return
    verdict = "approved" if event.approved else "turned down"
    text = f"The office {verdict} your request ({event.kind.replace('booking_', '')})."
    if event.note:
        text += f"\n{event.note[:500]}"
    with transaction.atomic():
        _send(event.fieldworker_id, text, kind=MessageKind.REPLY, key=f"request:{event.change_request_id}")


def morning_lists(*, date: str | None = None) -> int:
    """Queue today's list (business time zone) for every linked fieldworker with jobs; at most once a
    day each. Returns how many lists were queued."""
    day = _parse_day(date)
    window = selectors.local_day(day)
    queued = 0
    for binding in selectors.active_bindings().select_related("fieldworker", "fieldworker__user"):
        actor = Actor.for_fieldworker(binding.fieldworker)
        jobs = selectors.jobs_today(actor, window.start.date())
        if not jobs:
            continue
        text = f"Good morning! Your jobs for {window.start:%A} {window.start.day} {window.start:%B}:\n\n" + "\n\n".join(
            texts.job_summary(job) for job in jobs)
        with transaction.atomic():
            if outbox.send(binding.chat_id, text, kind=MessageKind.TODAY, fieldworker_id=binding.fieldworker_id,
                           dedupe_key=f"today:{binding.fieldworker_id}:{window.start.date().isoformat()}"):
                queued += 1
    return queued


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value)


def connect() -> None:
    events.subscribe(events.BookingAssigned, on_assigned, durable=True)
    events.subscribe(events.BookingUpdated, on_updated, durable=True)
    events.subscribe(events.BookingCancelled, on_cancelled, durable=True, when=_anyone_on_the_job)
    events.subscribe(events.BookingUnassigned, on_unassigned, durable=True)
    events.subscribe(events.AssignmentResponded, on_responded, durable=True)
    events.subscribe(events.CommentAdded, on_comment, durable=True)
    events.subscribe(ChangeRequestDecided, on_change_request_decided, durable=True)
