"""The one write path of complaints (issue 19): raise, update, assign, resolve, reopen, and the two
managed lists (types, statuses). Each writer checks first, then writes, then records a history row
with its event (``complaint_history.record``); a refusal changes nothing.

Who may do what (decision 0932): staff everything; a customer raises a complaint on their own
booking or sent quote (always customer-visible) from the portal or by SMS; fieldworkers only read.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings.models import Booking
from core.bookings.selectors import visible_bookings
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.managed_lists import clean_list_entry, list_entry_delete, list_entry_write
from core.sales.quote_models import Quote, QuoteStatus
from core.sales.quote_selectors import visible_quotes
from core.text import refuse_nul

from . import complaint_history
from .defaults import ensure_lists
from .events import ComplaintRaised, ComplaintReopened, ComplaintResolved
from .models import Complaint, ComplaintStatus, ComplaintType

DESCRIPTION_LIMIT = 5000
RESOLUTION_LIMIT = 5000
CUSTOMER_OPEN_LIMIT = 5  # open complaints one customer may have on one booking (decision 0933)


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff may do that.")


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str:
    value = refuse_nul((value or "").strip(), field)
    if required and not value:
        raise ValidationFailed(field, "Please say what went wrong." if field == "description"
                               else "A value is required.", code="required")
    if len(value) > limit:
        raise ValidationFailed(field, f"At most {limit:,} characters.", code="too_long")
    return value


def _type(type_id: int | None, *, current: int | None = None) -> ComplaintType | None:
    if type_id is None:
        return None
    row = ComplaintType.objects.filter(pk=type_id).first()
    if row is None:
        raise NotFound("complaint type", field="typeId")
    if not row.active and row.pk != current:
        raise DomainError("inactive", "That complaint type is no longer offered.", field="typeId")
    return row


def _status(status_id: int, *, current: int | None = None, field: str = "statusId") -> ComplaintStatus:
    row = ComplaintStatus.objects.filter(pk=status_id).first()
    if row is None:
        raise NotFound("complaint status", field=field)
    if not row.active and row.pk != current:
        raise DomainError("inactive", "That complaint status is no longer offered.", field=field)
    return row


def _first_status(*, resolved: bool) -> ComplaintStatus:
    ensure_lists()
    row = ComplaintStatus.objects.filter(active=True, is_resolved=resolved).order_by("position", "name").first()
    if row is None:
        code = "no_resolved_status" if resolved else "no_open_status"
        kind = "closes a complaint" if resolved else "keeps a complaint open"
        raise DomainError(code, f"No active complaint status {kind}: add one to the status list first.")
    return row


def _owner(owner_id: int | None) -> Any:
    if owner_id is None:
        return None
    from core.accounts.models import User

    user = User.objects.filter(pk=owner_id, is_active=True).first()
    if user is None or not Actor.from_user(user).is_staff:
        raise DomainError("owner_not_staff", "A complaint is owned by an active staff member.", field="ownerId")
    return user


def _locked(complaint_id: int) -> Complaint:
    row = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if row is None:
        raise NotFound("complaint")
    return row


def _apply(row: Complaint, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    diff: dict[str, tuple[Any, Any]] = {}
    for key, value in values.items():
        before = getattr(row, key)
        if before != value:
            diff[key] = (before, value)
            setattr(row, key, value)
    return diff


def _subject(actor: Actor, booking_id: int | None, quote_id: int | None) -> tuple[Booking | None, Quote | None]:
    """The booking or the quote a complaint is about, seen through the actor's scope: exactly one."""
    if (booking_id is None) == (quote_id is None):
        if booking_id is None:
            raise ValidationFailed("bookingId", "Say which booking or quote the complaint is about.",
                                   code="required")
        raise ValidationFailed("quoteId", "A complaint is about a booking or a quote, not both.", code="ambiguous")
    if booking_id is not None:
        booking = (Booking.objects.all() if actor.is_system else visible_bookings(actor)).filter(pk=booking_id).first()
        if booking is None:
            raise NotFound("booking", field="bookingId")
        return booking, None
    quote = (Quote.objects.all() if actor.is_system else visible_quotes(actor)).filter(pk=quote_id).first()
    if quote is None:
        raise NotFound("quote", field="quoteId")
    if quote.status == QuoteStatus.DRAFT:  # only staff see drafts; a complaint is about what was sent (0943)
        raise DomainError("quote_not_sent", f"Quote {quote.number} is a draft: complaints are about sent quotes.",
                          field="quoteId")
    return None, quote


@transaction.atomic
def complaint_raise(*, actor: Actor, channel: Channel | str, description: str, booking_id: int | None = None,
                    quote_id: int | None = None, type_id: int | None = None, visible_to_customer: bool = True,
                    owner_id: int | None = None) -> Complaint:
    """A complaint on a booking or on a sent quote (exactly one): by staff (any, internal or
    customer-visible) or by the customer whose it is (customer-visible, no owner). Its status is the
    first active open one."""
    if not (actor.is_staff or actor.is_customer or actor.is_system):
        raise PermissionDenied("Complaints are raised by the customer or the office.")
    booking, quote = _subject(actor, booking_id, quote_id)
    subject = booking if booking is not None else quote
    text = _text(description, "description", DESCRIPTION_LIMIT, required=True)
    kind = _type(type_id)
    if not actor.is_staff:
        if owner_id is not None:
            raise PermissionDenied("Only staff choose a complaint's owner.")
        visible_to_customer = True
    owner = _owner(owner_id)
    if actor.is_customer:
        # one lock per booking or quote: two quick submissions never both pass the count
        type(subject).objects.select_for_update().filter(pk=subject.pk).values_list("pk", flat=True).first()
        on = {"booking_id": booking.pk} if booking is not None else {"quote_id": quote.pk}  # type: ignore[union-attr]
        if Complaint.objects.filter(**on, is_resolved=False,
                                    raised_by_kind=actor.kind).count() >= CUSTOMER_OPEN_LIMIT:
            what = "booking" if booking is not None else "quote"
            raise DomainError("too_many", f"This {what} has several open complaints already; we will be in touch.")
    status = _first_status(resolved=False)
    complaint = Complaint.objects.create(
        booking=booking, quote=quote, customer_id=subject.customer_id, type=kind, status=status,  # type: ignore[union-attr]
        is_resolved=False, description=text, visible_to_customer=visible_to_customer, owner=owner,
        raised_by=actor.user, raised_by_kind=actor.kind, channel=str(channel))
    about = {"booking_id": booking.pk} if booking is not None else {"quote_id": quote.pk}  # type: ignore[union-attr]
    complaint_history.record(complaint, actor=actor, channel=channel, action="raised", event=ComplaintRaised,
                             data={**about, "type_id": kind.pk if kind else None, "status_id": status.pk,
                                   "visible_to_customer": visible_to_customer})
    return complaint


UPDATABLE = frozenset({"description", "type_id", "visible_to_customer", "status_id"})


@transaction.atomic
def complaint_update(*, actor: Actor, channel: Channel | str, complaint_id: int, **changes: Any) -> Complaint:
    """Change the description, type, visibility or (open) status (staff). A status that closes the
    complaint is given by ``complaint_resolve`` (it needs a resolution)."""
    _require_staff(actor)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    complaint = _locked(complaint_id)
    values: dict[str, Any] = {}
    if "description" in changes:
        values["description"] = _text(changes["description"], "description", DESCRIPTION_LIMIT, required=True)
    if "type_id" in changes:
        kind = _type(changes["type_id"], current=complaint.type_id)
        values["type_id"] = kind.pk if kind else None
    if "visible_to_customer" in changes and changes["visible_to_customer"] is not None:
        values["visible_to_customer"] = bool(changes["visible_to_customer"])
    if changes.get("status_id") is not None:
        status = _status(changes["status_id"], current=complaint.status_id)
        if status.is_resolved != complaint.is_resolved:
            raise DomainError("status_changes_state", "Resolve or reopen the complaint to move it to that status.",
                              field="statusId")
        values["status_id"] = status.pk
    diff = _apply(complaint, values)
    if diff:
        complaint.save(update_fields=[*sorted(diff), "updated_at"])
        complaint_history.record(complaint, actor=actor, channel=channel, action="updated", changes=diff)
    return complaint


@transaction.atomic
def complaint_assign(*, actor: Actor, channel: Channel | str, complaint_id: int, owner_id: int | None) -> Complaint:
    """Give the complaint an owner (an active staff member), or none (staff)."""
    _require_staff(actor)
    complaint = _locked(complaint_id)
    owner = _owner(owner_id)
    new = owner.pk if owner is not None else None
    if complaint.owner_id != new:
        old = complaint.owner_id
        complaint.owner = owner
        complaint.save(update_fields=["owner", "updated_at"])
        complaint_history.record(complaint, actor=actor, channel=channel, action="assigned",
                                 changes={"owner_id": (old, new)})
    return complaint


@transaction.atomic
def complaint_resolve(*, actor: Actor, channel: Channel | str, complaint_id: int, resolution: str,
                      status_id: int | None = None) -> Complaint:
    """Close it with what was done (staff): a status that closes (the first such when not given),
    the resolution and the time."""
    _require_staff(actor)
    complaint = _locked(complaint_id)
    if complaint.is_resolved:
        raise DomainError("already_resolved", "The complaint is resolved already.")
    text = _text(resolution, "resolution", RESOLUTION_LIMIT, required=True)
    status = _status(status_id) if status_id is not None else _first_status(resolved=True)
    if not status.is_resolved:
        raise DomainError("status_changes_state", "That status keeps a complaint open.", field="statusId")
    before = {"status_id": complaint.status_id, "resolution": complaint.resolution}
    complaint.status, complaint.is_resolved = status, True
    complaint.resolution, complaint.resolved_at = text, timezone.now()
    complaint.save(update_fields=["status", "is_resolved", "resolution", "resolved_at", "updated_at"])
    complaint_history.record(complaint, actor=actor, channel=channel, action="resolved", event=ComplaintResolved,
                   changes={key: (value, getattr(complaint, key)) for key, value in before.items()
                            if value != getattr(complaint, key)})
    return complaint


@transaction.atomic
def complaint_reopen(*, actor: Actor, channel: Channel | str, complaint_id: int, reason: str,
                     status_id: int | None = None) -> Complaint:
    """Open a resolved complaint again (staff), with why; its status is an open one (the first such
    when not given). The last resolution stays in the history."""
    _require_staff(actor)
    complaint = _locked(complaint_id)
    if not complaint.is_resolved:
        raise DomainError("already_open", "The complaint is open already.")
    why = _text(reason, "reason", RESOLUTION_LIMIT, required=True)
    status = _status(status_id) if status_id is not None else _first_status(resolved=False)
    if status.is_resolved:
        raise DomainError("status_changes_state", "That status closes a complaint.", field="statusId")
    before = {"status_id": complaint.status_id, "resolution": complaint.resolution}
    complaint.status, complaint.is_resolved = status, False
    complaint.resolution, complaint.resolved_at = "", None
    complaint.save(update_fields=["status", "is_resolved", "resolution", "resolved_at", "updated_at"])
    complaint_history.record(complaint, actor=actor, channel=channel, action="reopened", event=ComplaintReopened,
                   changes={key: (value, getattr(complaint, key)) for key, value in before.items()
                            if value != getattr(complaint, key)}, data={"reason": why})
    return complaint


# --- the two managed lists (core.managed_lists, decision 0934) ----------------------------------


def complaint_type_create(*, actor: Actor, channel: Channel | str, name: str, active: bool = True,
                          position: int = 0) -> ComplaintType:
    """Add an entry; asking again for a name already on the list returns that entry unchanged."""
    _require_staff(actor)
    existing = ComplaintType.objects.filter(name__iexact=clean_list_entry({"name": name})["name"]).first()
    if existing is not None:
        return existing
    return list_entry_write(ComplaintType, actor=actor, entry_id=None, label="complaint type", name=name,
                            active=active, position=position)


def complaint_type_update(*, actor: Actor, channel: Channel | str, complaint_type_id: int,
                          **changes: Any) -> ComplaintType:
    return list_entry_write(ComplaintType, actor=actor, entry_id=complaint_type_id, label="complaint type",
                            **changes)


def complaint_type_delete(*, actor: Actor, channel: Channel | str, complaint_type_id: int) -> None:
    list_entry_delete(ComplaintType, actor=actor, entry_id=complaint_type_id, label="complaint type",
                      used_by="complaints")


def _status_write(actor: Actor, entry_id: int | None, is_resolved: bool | None, values: dict[str, Any]
                  ) -> ComplaintStatus:
    with transaction.atomic():
        if entry_id is not None and is_resolved is not None:
            row = ComplaintStatus.objects.select_for_update().filter(pk=entry_id).first()
            if row is not None and row.is_resolved != is_resolved and row.complaints.exists():
                raise DomainError("in_use", "This complaint status is in use; add another status instead.",
                                  field="isResolved")
        row = list_entry_write(ComplaintStatus, actor=actor, entry_id=entry_id, label="complaint status", **values)
        if is_resolved is not None and row.is_resolved != is_resolved:
            row.is_resolved = is_resolved
            row.save(update_fields=["is_resolved"])
    return row


def complaint_status_create(*, actor: Actor, channel: Channel | str, name: str, is_resolved: bool = False,
                            active: bool = True, position: int = 0) -> ComplaintStatus:
    _require_staff(actor)
    existing = ComplaintStatus.objects.filter(name__iexact=clean_list_entry({"name": name})["name"]).first()
    if existing is not None:
        return existing
    return _status_write(actor, None, is_resolved, {"name": name, "active": active, "position": position})


def complaint_status_update(*, actor: Actor, channel: Channel | str, complaint_status_id: int,
                            is_resolved: bool | None = None, **changes: Any) -> ComplaintStatus:
    """Rename, reorder, (de)activate; ``is_resolved`` only changes on a status no complaint has
    (it would silently open or close them)."""
    _require_staff(actor)
    return _status_write(actor, complaint_status_id, is_resolved, changes)


def complaint_status_delete(*, actor: Actor, channel: Channel | str, complaint_status_id: int) -> None:
    list_entry_delete(ComplaintStatus, actor=actor, entry_id=complaint_status_id, label="complaint status",
                      used_by="complaints")
