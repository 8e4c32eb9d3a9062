"""Writes for customers and their properties."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.phones import normalise_phone

from . import customer_log
from . import history as inquiry_history
from .events import CustomerCreated, CustomerUpdated, PropertyAdded, PropertyUpdated
from .models import Customer, Inquiry, InquiryEntry, Property, PropertyType

CUSTOMER_FIELDS = {"name", "email", "mobile", "notes", "automated_email_paused", "automated_sms_paused"}
PROPERTY_FIELDS = {"label", "address", "postcode", "city", "latitude", "longitude", "property_type_id", "time_zone"}


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied()


def _clean_customer(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise ValidationFailed("name", "A name is required.", code="required")
        if len(out["name"]) > 150:
            raise ValidationFailed("name", "At most 150 characters.", code="too_long")
    if "email" in out:
        out["email"] = (out["email"] or "").strip().lower()
        if out["email"]:
            try:
                validate_email(out["email"])
            except ValidationError:
                raise ValidationFailed("email", "That is not an e-mail address.", code="invalid_email")
    if "mobile" in out:
        out["mobile"] = normalise_phone(out["mobile"])
    if "notes" in out and len(out["notes"] or "") > 10_000:
        raise ValidationFailed("notes", "At most 10,000 characters.", code="too_long")
    return out


def customer_create(*, actor: Actor, channel: Channel, name: str, email: str = "", mobile: str = "",
                    notes: str = "") -> Customer:
    _require_staff(actor)
    values = _clean_customer({"name": name, "email": email, "mobile": mobile, "notes": notes})
    with transaction.atomic():
        customer = Customer.objects.create(**values)
        customer_log.record(customer.pk, actor=actor, channel=channel, action="created", event=CustomerCreated,
                            changes={key: ("", value) for key, value in values.items() if value})
    return customer


def _apply(row: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ on ``row``; return {field: (before, after)} of those."""
    diff: dict[str, tuple[Any, Any]] = {}
    for key, value in values.items():
        before = getattr(row, key)
        if before != value:
            diff[key] = (before, value)
            setattr(row, key, value)
    return diff


def customer_update(*, actor: Actor, channel: Channel, customer_id: int, **changes: Any) -> Customer:
    unknown = set(changes) - CUSTOMER_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None or not (actor.is_staff or (actor.is_customer and actor.customer_id == customer_id)):
            raise NotFound("customer")
        if actor.is_customer and set(changes) - {"email", "mobile", "automated_email_paused",
                                                  "automated_sms_paused"}:
            raise PermissionDenied()
        diff = _apply(customer, _clean_customer(changes))
        if diff:  # only the changed columns: a legacy unparsable mobile does not block a flag change
            customer.save(update_fields=sorted(diff))
            customer_log.record(customer.pk, actor=actor, channel=channel, action="updated", changes=diff,
                                event=CustomerUpdated, changed=tuple(sorted(diff)))
    return customer


def customer_set_automation(*, actor: Actor, channel: Channel, customer_id: int, email_paused: bool | None = None,
                            sms_paused: bool | None = None) -> Customer:
    changes: dict[str, Any] = {}
    if email_paused is not None:
        changes["automated_email_paused"] = email_paused
    if sms_paused is not None:
        changes["automated_sms_paused"] = sms_paused
    return customer_update(actor=actor, channel=channel, customer_id=customer_id, **changes)


def _clean_property(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "address" in out:
        out["address"] = (out["address"] or "").strip()
        if not out["address"]:
            raise ValidationFailed("address", "An address is required.", code="required")
        if len(out["address"]) > 255:
            raise ValidationFailed("address", "At most 255 characters.", code="too_long")
    for key, limit in (("label", 80), ("postcode", 12), ("city", 80)):
        if key in out:
            out[key] = (out[key] or "").strip()
            if len(out[key]) > limit:
                raise ValidationFailed(key, f"At most {limit} characters.", code="too_long")
    if out.get("latitude") is not None and not -90 <= out["latitude"] <= 90:
        raise ValidationFailed("latitude", "Latitude is between -90 and 90.", code="out_of_range")
    if out.get("longitude") is not None and not -180 <= out["longitude"] <= 180:
        raise ValidationFailed("longitude", "Longitude is between -180 and 180.", code="out_of_range")
    if ("latitude" in out or "longitude" in out) and (out.get("latitude") is None) != (out.get("longitude") is None):
        raise ValidationFailed("latitude", "Give both latitude and longitude, or neither.")
    if out.get("time_zone"):
        from core.company.models import validate_time_zone

        try:
            validate_time_zone(out["time_zone"])
        except ValidationError:
            raise ValidationFailed("timeZone", "Unknown time zone.", code="invalid_time_zone")
    if out.get("property_type_id") is not None and not PropertyType.objects.filter(pk=out["property_type_id"]).exists():
        raise NotFound("property type", field="propertyType")
    return out


def property_create(*, actor: Actor, channel: Channel, customer_id: int, address: str, label: str = "",
                    postcode: str = "", city: str = "", latitude: float | None = None,
                    longitude: float | None = None, property_type_id: int | None = None,
                    time_zone: str = "") -> Property:
    if not (actor.is_staff or (actor.is_customer and actor.customer_id == customer_id)):
        raise NotFound("customer", field="customerId")
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound("customer", field="customerId")
    values = _clean_property({
        "address": address, "label": label, "postcode": postcode, "city": city, "latitude": latitude,
        "longitude": longitude, "property_type_id": property_type_id, "time_zone": time_zone,
    })
    with transaction.atomic():
        prop = Property.objects.create(customer_id=customer_id, **values)
        customer_log.record(customer_id, actor=actor, channel=channel, action="property_added",
                            event=PropertyAdded, property_id=prop.pk,
                            changes={key: (None, value) for key, value in values.items() if value not in ("", None)},
                            data={"property_id": prop.pk})
    return prop


def property_update(*, actor: Actor, channel: Channel, property_id: int, **changes: Any) -> Property:
    unknown = set(changes) - PROPERTY_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    with transaction.atomic():
        prop = Property.objects.select_for_update().filter(pk=property_id).first()
        if prop is None or not (actor.is_staff or (actor.is_customer and actor.customer_id == prop.customer_id)):
            raise NotFound("property")
        merged = {"latitude": prop.latitude, "longitude": prop.longitude, **changes}
        diff = _apply(prop, _clean_property(merged))
        if diff:
            prop.save(update_fields=sorted(diff))
            if {"latitude", "longitude"} & set(diff):
                from core.bookings.places import bookings_follow_property  # bookings depend on crm, not back

                bookings_follow_property(property_id=prop.pk, latitude=prop.latitude, longitude=prop.longitude)
            customer_log.record(prop.customer_id, actor=actor, channel=channel, action="property_updated",
                                event=PropertyUpdated, property_id=prop.pk, changed=tuple(sorted(diff)),
                                changes=diff, data={"property_id": prop.pk})
    return prop


def property_type_create(*, actor: Actor, channel: Channel, name: str) -> PropertyType:
    _require_staff(actor)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed("name", "A name of 1 to 60 characters is required.")
    obj, _ = PropertyType.objects.get_or_create(name=name)
    return obj


def property_type_update(*, actor: Actor, channel: Channel, property_type_id: int, name: str) -> PropertyType:
    """Rename an entry of the property type list."""
    _require_staff(actor)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed("name", "A name of 1 to 60 characters is required.")
    with transaction.atomic():
        obj = PropertyType.objects.select_for_update().filter(pk=property_type_id).first()
        if obj is None:
            raise NotFound("property type")
        if PropertyType.objects.filter(name__iexact=name).exclude(pk=obj.pk).exists():
            raise DomainError("duplicate", "A property type with that name exists.", field="name")
        if obj.name != name:
            obj.name = name
            obj.save(update_fields=["name"])
    return obj


# --- the staff inbox ----------------------------------------------------------------------------
# An inquiry is something staff must answer (decision 0408). Only staff read or change one; for
# anyone else it does not exist (``not_found``), exactly like a missing id. Every change writes an
# ``InquiryEntry`` and publishes its ``InquiryEvent`` (core.crm.history); every booking an
# inquiry concerns gets a row on its own timeline too (decision 0130).

MAX_BODY = 5000
MAX_REPLY = 2000
MAX_NOTE = 2000
MAX_LINKED = 20


def _note_on_bookings(bookings: Sequence[Any], inquiry: Inquiry, *, actor: Actor, channel: Channel | str,
                      linked: bool = False) -> None:
    """One timeline row on each booking the inquiry concerns, so staff see it where they look."""
    from core.bookings import history

    from .models import InquiryKind

    data: dict[str, Any] = {"inquiry_id": inquiry.pk, "kind": inquiry.kind, "body": inquiry.body[:500]}
    if linked:
        data["linked"] = True
    request = inquiry.kind == InquiryKind.CANCELLATION_REQUEST
    for booking in bookings:  # each row leaves as a TimelineNoted event (core.bookings.history)
        history.record(booking, actor=actor, channel=channel,
                       action="cancellation_requested" if request else "inquiry_received", data=data)


def _inquiry_for_staff(actor: Actor, inquiry_id: int) -> Inquiry:
    """The inquiry, locked; ``not_found`` for a missing id and for anyone but staff alike."""
    if not actor.is_staff:
        raise NotFound("inquiry")
    inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id).first()
    if inquiry is None:
        raise NotFound("inquiry")
    return inquiry


def _bookings(ids: Sequence[int], field: str) -> list[Any]:
    from core.bookings.models import Booking

    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_LINKED:
        raise ValidationFailed(field, f"At most {MAX_LINKED} bookings.", code="too_many")
    found = {b.pk: b for b in Booking.objects.filter(pk__in=wanted)}
    if len(found) != len(wanted):
        raise NotFound("booking", field=field)
    return [found[pk] for pk in wanted]


def inquiry_open(*, actor: Actor, channel: Channel, body: str, kind: str = "inquiry",
                 customer_id: int | None = None, booking_ids: Sequence[int] = (), contact: str = "") -> Inquiry:
    """File something for staff to answer. Every booking it concerns (a bare CANCEL from a customer
    with two open bookings concerns both) gets an ``inquiry_received`` or ``cancellation_requested``
    row on its timeline."""
    from .events import InquiryOpened
    from .models import InquiryAction, InquiryKind

    if kind not in InquiryKind.values:
        raise ValidationFailed("kind", "Unknown kind of inquiry.")
    body = (body or "").strip()[:MAX_BODY]
    with transaction.atomic():
        if customer_id is not None and not Customer.objects.filter(pk=customer_id).exists():
            raise NotFound("customer", field="customerId")
        bookings = _bookings(booking_ids, "bookingIds")
        if actor.is_customer and any(b.customer_id != actor.customer_id for b in bookings):
            raise NotFound("booking", field="bookingIds")
        inquiry = Inquiry.objects.create(kind=kind, customer_id=customer_id, channel=str(channel),
                                         contact=(contact or "")[:254], body=body)
        if bookings:
            inquiry.bookings.add(*bookings)
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.OPENED,
                               event=InquiryOpened, body=body, kind=kind, customer_id=customer_id,
                               booking_ids=tuple(b.pk for b in bookings))
        _note_on_bookings(bookings, inquiry, actor=actor, channel=channel)
    return inquiry


def inquiry_assign(*, actor: Actor, channel: Channel, inquiry_id: int, assignee_id: int | None) -> Inquiry:
    """Give the inquiry to a staff member (``None``: to nobody)."""
    from core.accounts.models import User

    from .events import InquiryAssigned
    from .models import InquiryAction

    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if assignee_id is not None:
            assignee = User.objects.filter(pk=assignee_id).first()
            if assignee is None:
                raise NotFound("user", field="assigneeId")
            if not Actor.from_user(assignee).is_staff:
                raise DomainError("not_staff", "Only a staff member can answer an inquiry.", field="assigneeId")
        previous = inquiry.assignee_id
        if previous == assignee_id:
            return inquiry
        inquiry.assignee_id = assignee_id
        inquiry.save(update_fields=["assignee"])
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.ASSIGNED,
                               event=InquiryAssigned, data={"assignee_id": [previous, assignee_id]},
                               assignee_id=assignee_id, previous_assignee_id=previous)
    return inquiry


def _phone_or_blank(value: str) -> str:
    try:
        return normalise_phone(value) if value and "@" not in value else ""
    except ValidationFailed:
        return ""


def _email_or_blank(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _reply_route(inquiry: Inquiry) -> tuple[str, str]:
    """How a reply reaches the sender: ``("sms", number)`` while the contact is a phone number that
    has not opted out, else ``("email", address)`` (the customer's, or the contact's own); none at
    all is ``no_contact``."""
    from core.notifications.selectors import is_opted_out

    phone = _phone_or_blank(inquiry.contact)
    if phone and not is_opted_out(phone):
        return "sms", phone
    customer = inquiry.customer
    address = _email_or_blank(customer.email if customer is not None else "") or _email_or_blank(inquiry.contact)
    if address:
        return "email", address
    if phone:
        raise DomainError("no_contact", "This number has opted out of texts and we have no e-mail address "
                                        "for the sender.")
    raise DomainError("no_contact", "We have no phone number or e-mail address to answer this sender.")


def inquiry_reply(*, actor: Actor, channel: Channel, inquiry_id: int, body: str) -> InquiryEntry:
    """Answer the sender: by SMS (core.notifications) or by e-mail, sent after commit by a task.
    The reply is kept on the inquiry, and on the timeline of each booking it concerns."""
    from core.bookings import history
    from core.notifications.text import MAX_SEGMENTS, segments, to_gsm7

    from .events import InquiryReplied
    from .models import DeliveryStatus, InquiryAction
    from .tasks import deliver_inquiry_reply

    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if not inquiry.is_open:
            raise DomainError("inquiry_resolved", "This inquiry is resolved; reopen it to reply.")
        body = (body or "").strip()
        if not body:
            raise ValidationFailed("body", "Write a reply.", code="required")
        if len(body) > MAX_REPLY:
            raise ValidationFailed("body", f"At most {MAX_REPLY} characters.", code="too_long")
        via, to = _reply_route(inquiry)
        if via == "sms" and segments(to_gsm7(body)) > MAX_SEGMENTS:
            raise ValidationFailed("body", "A reply by SMS fits in two texts (about 300 characters).",
                                   code="too_long")
        entry = inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.REPLIED,
                                       event=InquiryReplied, body=body, data={"via": via, "to": to},
                                       delivery_status=DeliveryStatus.QUEUED, via=via)
        for booking in inquiry.bookings.all():
            history.record(booking, actor=actor, channel=channel, action="inquiry_replied",
                           data={"inquiry_id": inquiry.pk, "via": via, "body": body[:500]})
        transaction.on_commit(lambda: deliver_inquiry_reply.enqueue(entry.pk))
    return entry


def _reply_email(inquiry: Inquiry, entry: InquiryEntry) -> Any:
    from django.conf import settings
    from django.core.mail import EmailMessage

    from core.company.selectors import get_company

    company = get_company()
    quoted = "\n".join(f"> {line}" for line in inquiry.body.splitlines()) if inquiry.body else ""
    text = f"{entry.body}\n\n--\n{company.name}" + (f"\n\nYou wrote:\n{quoted}" if quoted else "")
    return EmailMessage(f"{company.name}: re your message", text, settings.DEFAULT_FROM_EMAIL,
                        [entry.data.get("to", "")], reply_to=[company.email] if company.email else None)


def inquiry_reply_deliver(*, actor: Actor, channel: Channel, entry_id: int) -> InquiryEntry:
    """Send a recorded reply (the task after commit; never inside the staff member's transaction).
    The entry is claimed first (queued -> sending), so a task run twice sends once."""
    from core.notifications.models import SmsKind, SmsStatus
    from core.notifications.services import sms_send

    from .models import DeliveryStatus

    if not actor.is_system:
        raise PermissionDenied("Only the system delivers replies.")
    claimed = InquiryEntry.objects.filter(pk=entry_id, delivery_status=DeliveryStatus.QUEUED).update(
        delivery_status=DeliveryStatus.SENDING)
    entry = InquiryEntry.objects.select_related("inquiry__customer").get(pk=entry_id)
    if not claimed:
        return entry
    inquiry = entry.inquiry
    outcome: dict[str, Any] = {}
    if entry.data.get("via") == "sms":
        linked = list(inquiry.bookings.values_list("pk", flat=True)[:2])
        message = sms_send(actor=actor, channel=channel, to=entry.data.get("to", ""), body=entry.body,
                           kind=SmsKind.MANUAL, customer_id=inquiry.customer_id,
                           booking_id=linked[0] if len(linked) == 1 else None)
        outcome["sms_message"] = message
        if message.status == SmsStatus.SKIPPED:
            outcome.update(delivery_status=DeliveryStatus.SKIPPED, delivery_error=message.error_message[:255])
        elif message.status == SmsStatus.FAILED:
            outcome.update(delivery_status=DeliveryStatus.FAILED, delivery_error=message.error_message[:255])
        else:
            outcome["delivery_status"] = DeliveryStatus.SENT
    else:
        try:
            _reply_email(inquiry, entry).send()
        except Exception as exc:  # a transport failure is recorded on the entry, never raised
            outcome.update(delivery_status=DeliveryStatus.FAILED, delivery_error=f"{type(exc).__name__}: {exc}"[:255])
        else:
            outcome["delivery_status"] = DeliveryStatus.SENT
    InquiryEntry.objects.filter(pk=entry.pk).update(**outcome)
    for key, value in outcome.items():
        setattr(entry, key, value)
    return entry


def inquiry_resolve(*, actor: Actor, channel: Channel, inquiry_id: int, note: str = "") -> Inquiry:
    from django.utils import timezone

    from .events import InquiryResolved
    from .models import InquiryAction, InquiryStatus

    note = (note or "").strip()
    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if not inquiry.is_open:
            raise DomainError("already_resolved", "This inquiry is already resolved.")
        if len(note) > MAX_NOTE:
            raise ValidationFailed("note", f"At most {MAX_NOTE} characters.", code="too_long")
        inquiry.status, inquiry.resolved_at, inquiry.resolved_by = InquiryStatus.RESOLVED, timezone.now(), actor.user
        inquiry.resolution_note = note
        inquiry.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.RESOLVED,
                               event=InquiryResolved, body=note, note=note)
    return inquiry


def inquiry_reopen(*, actor: Actor, channel: Channel, inquiry_id: int) -> Inquiry:
    from .events import InquiryReopened
    from .models import InquiryAction, InquiryStatus

    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if inquiry.is_open:
            raise DomainError("not_resolved", "This inquiry is open already.")
        inquiry.status, inquiry.resolved_at, inquiry.resolved_by = InquiryStatus.OPEN, None, None
        inquiry.resolution_note = ""
        inquiry.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.REOPENED,
                               event=InquiryReopened)
    return inquiry


def inquiry_link(*, actor: Actor, channel: Channel, inquiry_id: int, customer_id: int | None = None,
                 booking_ids: Sequence[int] = ()) -> Inquiry:
    """Tie the inquiry to the customer it came from and/or to bookings it concerns (added to those
    already linked). Linking bookings of a customer also links that customer; every booking linked
    gets the inquiry on its timeline."""
    from .events import InquiryLinked
    from .models import InquiryAction

    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if customer_id is None and not booking_ids:
            raise ValidationFailed("customerId", "Give a customer, bookings, or both.", code="required")
        customer = None
        if customer_id is not None:
            customer = Customer.objects.filter(pk=customer_id).first()
            if customer is None:
                raise NotFound("customer", field="customerId")
        bookings = _bookings(booking_ids, "bookingIds")
        linked = list(inquiry.bookings.all())
        owners = {b.customer_id for b in bookings}
        target = customer.pk if customer is not None else (
            inquiry.customer_id if inquiry.customer_id is not None else (next(iter(owners)) if len(owners) == 1
                                                                        else None))
        if target is None or any(owner != target for owner in owners):
            raise DomainError("other_customer", "Those bookings belong to different customers.", field="bookingIds")
        if any(b.customer_id != target for b in linked):
            raise DomainError("other_customer", "The inquiry is linked to bookings of another customer.",
                              field="customerId")
        known = {b.pk for b in linked}
        added = [b for b in bookings if b.pk not in known]
        if target == inquiry.customer_id and not added:
            return inquiry
        data: dict[str, Any] = {}
        if target != inquiry.customer_id:
            data["customer_id"] = [inquiry.customer_id, target]
            inquiry.customer_id = target
            inquiry.save(update_fields=["customer"])
        if added:
            inquiry.bookings.add(*added)
            data["booking_ids"] = [b.pk for b in added]
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.LINKED,
                               event=InquiryLinked, data=data, customer_id=target,
                               booking_ids=tuple(b.pk for b in added))
        _note_on_bookings(added, inquiry, actor=actor, channel=channel, linked=True)
    return inquiry
