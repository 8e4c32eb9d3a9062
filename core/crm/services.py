"""Writes for customers and their properties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.managed_lists import clean_list_entry, list_entry_delete, list_entry_write
from core.phones import normalise_phone
from core.text import refuse_nul

from . import customer_log
from . import history as inquiry_history
from .events import (
    CustomerCreated,
    CustomerUpdated,
    DependentAdded,
    DependentArchived,
    DependentUpdated,
    PropertyAdded,
    PropertyUpdated,
)
from .models import Customer, Dependent, Inquiry, InquiryEntry, PreferredChannel, Property, PropertyType
from .places import property_geocode, queue_geocoding, wants_geocoding  # noqa: F401 (property_geocode: a service)

CUSTOMER_FIELDS = {"name", "email", "mobile", "notes", "automated_email_paused", "automated_sms_paused",
                   "preferred_channel"}
# what a customer may change of their own record: how to reach them, and whether to
CUSTOMER_OWN_FIELDS = {"email", "mobile", "automated_email_paused", "automated_sms_paused", "preferred_channel"}
PROPERTY_FIELDS = {"label", "address", "postcode", "city", "latitude", "longitude", "property_type_id", "time_zone",
                   "access_notes"}
DEPENDENT_FIELDS = {"name", "relationship", "mobile", "email", "notes"}


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
    if "preferred_channel" in out:
        out["preferred_channel"] = (out["preferred_channel"] or "").strip().lower()
        if out["preferred_channel"] not in PreferredChannel.values:
            raise ValidationFailed("preferredChannel", "The preferred channel is sms, email or blank (no "
                                   "preference).", code="invalid_channel")
    return out


def _profile_rules(actor: Actor, values: dict[str, Any], customer: Customer | None) -> None:
    """The company's customer profile settings: required built-ins, hidden ones (core.jobdata.profiles)."""
    from core.jobdata.profiles import check_builtins  # job data reads crm, not the other way at import

    check_builtins("customer", actor=actor, changes=values,
                   current=None if customer is None else {"email": customer.email, "mobile": customer.mobile})


def customer_create(*, actor: Actor, channel: Channel, name: str, email: str = "", mobile: str = "",
                    notes: str = "", preferred_channel: str = "") -> Customer:
    _require_staff(actor)
    values = _clean_customer({"name": name, "email": email, "mobile": mobile, "notes": notes,
                              "preferred_channel": preferred_channel})
    _profile_rules(actor, values, None)
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
        if actor.is_customer and set(changes) - CUSTOMER_OWN_FIELDS:
            raise PermissionDenied()
        cleaned = _clean_customer(changes)
        _profile_rules(actor, cleaned, customer)
        diff = _apply(customer, cleaned)
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
    if "access_notes" in out:
        out["access_notes"] = refuse_nul((out["access_notes"] or "").strip(), "accessNotes")
        if len(out["access_notes"]) > 2000:
            raise ValidationFailed("accessNotes", "At most 2,000 characters.", code="too_long")
    return out


def _check_property_type(values: dict[str, Any], current: int | None = None) -> None:
    """The type must exist; an inactive one is kept where it is set, never newly chosen."""
    chosen = values.get("property_type_id")
    if chosen is None or chosen == current:
        return
    if not PropertyType.objects.filter(pk=chosen, active=True).exists():
        raise NotFound("property type", field="propertyType")


def property_create(*, actor: Actor, channel: Channel, customer_id: int, address: str, label: str = "",
                    postcode: str = "", city: str = "", latitude: float | None = None,
                    longitude: float | None = None, property_type_id: int | None = None,
                    time_zone: str = "", access_notes: str = "") -> Property:
    if not (actor.is_staff or (actor.is_customer and actor.customer_id == customer_id)):
        raise NotFound("customer", field="customerId")
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound("customer", field="customerId")
    values = _clean_property({
        "address": address, "label": label, "postcode": postcode, "city": city, "latitude": latitude,
        "longitude": longitude, "property_type_id": property_type_id, "time_zone": time_zone,
        "access_notes": access_notes,
    })
    _check_property_type(values)
    with transaction.atomic():
        prop = Property.objects.create(customer_id=customer_id, **values)
        customer_log.record(customer_id, actor=actor, channel=channel, action="property_added",
                            event=PropertyAdded, property_id=prop.pk,
                            changes={key: (None, value) for key, value in values.items() if value not in ("", None)},
                            data={"property_id": prop.pk})
        if wants_geocoding(prop):
            queue_geocoding(prop)
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
        cleaned = _clean_property(merged)
        _check_property_type(cleaned, current=prop.property_type_id)
        moved = any(key in changes and (cleaned[key] or "") != getattr(prop, key) for key in ("address", "postcode",
                                                                                             "city"))
        if moved and "latitude" not in changes and "longitude" not in changes:
            # new address, no coordinates given: the old ones are wrong now; the geocoder finds the new
            cleaned["latitude"] = cleaned["longitude"] = None
        diff = _apply(prop, cleaned)
        if {"latitude", "longitude"} & set(changes) and prop.geocode_status:
            prop.geocode_status = ""  # typed in: nothing to find
            Property.objects.filter(pk=prop.pk).update(geocode_status="")
        if diff:
            prop.save(update_fields=sorted(diff))
            if moved and wants_geocoding(prop):
                queue_geocoding(prop)
            if {"latitude", "longitude"} & set(diff):
                from core.bookings.places import bookings_follow_property  # bookings depend on crm, not back

                bookings_follow_property(property_id=prop.pk, latitude=prop.latitude, longitude=prop.longitude)
            customer_log.record(prop.customer_id, actor=actor, channel=channel, action="property_updated",
                                event=PropertyUpdated, property_id=prop.pk, changed=tuple(sorted(diff)),
                                changes=diff, data={"property_id": prop.pk})
    return prop


# --- the property type list (core.managed_lists, decision 0171) ---------------------------------


def property_type_create(*, actor: Actor, channel: Channel, name: str, active: bool = True,
                         position: int = 0) -> PropertyType:
    """Add an entry; asking again for a name already on the list returns that entry unchanged."""
    _require_staff(actor)
    existing = PropertyType.objects.filter(name=clean_list_entry({"name": name})["name"]).first()
    if existing is not None:
        return existing
    return list_entry_write(PropertyType, actor=actor, entry_id=None, label="property type", name=name,
                            active=active, position=position)


def property_type_update(*, actor: Actor, channel: Channel, property_type_id: int, **changes: Any) -> PropertyType:
    """Rename, reorder or (de)activate an entry of the property type list."""
    return list_entry_write(PropertyType, actor=actor, entry_id=property_type_id, label="property type", **changes)


def property_type_delete(*, actor: Actor, channel: Channel, property_type_id: int) -> None:
    list_entry_delete(PropertyType, actor=actor, entry_id=property_type_id, label="property type",
                      used_by="property_set")


# --- dependents: people under a customer (decision 0170) ------------------------------------------


def _clean_dependent(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = refuse_nul((out["name"] or "").strip(), "name")
        if not out["name"]:
            raise ValidationFailed("name", "A name is required.", code="required")
        if len(out["name"]) > 150:
            raise ValidationFailed("name", "At most 150 characters.", code="too_long")
    if "relationship" in out:
        out["relationship"] = refuse_nul((out["relationship"] or "").strip(), "relationship")
        if len(out["relationship"]) > 60:
            raise ValidationFailed("relationship", "At most 60 characters.", code="too_long")
    if "email" in out:
        out["email"] = _email_or_invalid(out["email"])
    if "mobile" in out:
        out["mobile"] = normalise_phone(out["mobile"] or "")
    if "notes" in out:
        out["notes"] = refuse_nul(out["notes"] or "", "notes")
        if len(out["notes"]) > 10_000:
            raise ValidationFailed("notes", "At most 10,000 characters.", code="too_long")
    return out


def _email_or_invalid(value: str | None) -> str:
    value = (value or "").strip().lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationFailed("email", "That is not an e-mail address.", code="invalid_email")
    return value


def _may_manage_dependents(actor: Actor, customer_id: int) -> bool:
    return actor.is_staff or (actor.is_customer and actor.customer_id == customer_id)


def dependent_add(*, actor: Actor, channel: Channel, customer_id: int, name: str, relationship: str = "",
                  mobile: str = "", email: str = "", notes: str = "") -> Dependent:
    """Staff, or the customer for themself; for anyone else the customer does not exist."""
    if not _may_manage_dependents(actor, customer_id) or not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound("customer", field="customerId")
    values = _clean_dependent({"name": name, "relationship": relationship, "mobile": mobile, "email": email,
                               "notes": notes})
    with transaction.atomic():
        dependent = Dependent.objects.create(customer_id=customer_id, **values)
        customer_log.record(customer_id, actor=actor, channel=channel, action="dependent_added",
                            event=DependentAdded, dependent_id=dependent.pk, data={"dependent_id": dependent.pk},
                            changes={key: ("", value) for key, value in values.items() if value})
    return dependent


def _locked_dependent(actor: Actor, dependent_id: int) -> Dependent:
    dependent = Dependent.objects.select_for_update().filter(pk=dependent_id).first()
    if dependent is None or not _may_manage_dependents(actor, dependent.customer_id):
        raise NotFound("dependent")
    return dependent


def dependent_update(*, actor: Actor, channel: Channel, dependent_id: int, **changes: Any) -> Dependent:
    """Change the fields given; an archived dependent is not edited (``archived``)."""
    unknown = set(changes) - DEPENDENT_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    with transaction.atomic():
        dependent = _locked_dependent(actor, dependent_id)
        if dependent.archived_at is not None:
            raise DomainError("archived", "An archived dependent cannot be edited.")
        diff = _apply(dependent, _clean_dependent(changes))
        if diff:
            dependent.save(update_fields=sorted(diff))
            customer_log.record(dependent.customer_id, actor=actor, channel=channel, action="dependent_updated",
                                event=DependentUpdated, dependent_id=dependent.pk, changed=tuple(sorted(diff)),
                                changes=diff, data={"dependent_id": dependent.pk})
    return dependent


def dependent_archive(*, actor: Actor, channel: Channel, dependent_id: int) -> Dependent:
    """Take a dependent off the customer's list; kept for the history. Archiving twice changes nothing."""
    from django.utils import timezone

    with transaction.atomic():
        dependent = _locked_dependent(actor, dependent_id)
        if dependent.archived_at is None:
            dependent.archived_at = timezone.now()
            dependent.save(update_fields=["archived_at"])
            customer_log.record(dependent.customer_id, actor=actor, channel=channel, action="dependent_archived",
                                event=DependentArchived, dependent_id=dependent.pk,
                                data={"dependent_id": dependent.pk, "name": dependent.name})
    return dependent


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


def _inquiry_for_staff(actor: Actor, inquiry_id: int, *, deleted: bool = False) -> Inquiry:
    """The inquiry, locked; ``not_found`` for a missing id and for anyone but staff alike. A soft
    deleted one is missing too, unless ``deleted`` asks for exactly that (to restore it)."""
    if not actor.is_staff:
        raise NotFound("inquiry")
    inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id, deleted_at__isnull=not deleted).first()
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
        contact = (contact or "")[:254]
        prospect = {}
        if customer_id is None:  # an unknown sender: the prospect's number (or address) is where it came from
            if "@" in contact:
                prospect["prospect_email"] = _email_or_blank(contact.lower())
            else:
                prospect["prospect_mobile"] = _phone_or_blank(contact)
        inquiry = Inquiry.objects.create(kind=kind, customer_id=customer_id, channel=str(channel),
                                         contact=contact, body=body, lead_source=_source_of_channel(channel),
                                         **prospect)
        if bookings:
            inquiry.bookings.add(*bookings)
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.OPENED,
                               event=InquiryOpened, body=body, kind=kind, customer_id=customer_id,
                               booking_ids=tuple(b.pk for b in bookings))
        _note_on_bookings(bookings, inquiry, actor=actor, channel=channel)
    return inquiry


def _source_of_channel(channel: Channel | str) -> Any:
    """The lead source of a message filed by ``inquiry_open``: the door of the channel it came through."""
    door = {"sms": "sms", "email": "email", "portal": "portal", "email_link": "portal", "graphql": "staff",
            "admin": "staff"}.get(str(channel))
    return door_source(door) if door else None


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
    all is ``no_contact``. A linked customer's preferred channel comes first when it can be used
    (decision 0615): e-mail to their address, or a text to their mobile when they wrote from elsewhere."""
    from core.sms.selectors import is_opted_out

    customer = inquiry.customer
    preferred = customer.preferred_channel if customer is not None else PreferredChannel.NONE
    phone = _phone_or_blank(inquiry.contact)
    if not phone and preferred == PreferredChannel.SMS:
        phone = _phone_or_blank(customer.mobile)  # type: ignore[union-attr]
    address = _email_or_blank(customer.email if customer is not None else "") or _email_or_blank(inquiry.contact)
    if address and preferred == PreferredChannel.EMAIL:
        return "email", address
    if phone and not is_opted_out(phone):
        return "sms", phone
    if address:
        return "email", address
    if phone:
        raise DomainError("no_contact", "This number has opted out of texts and we have no e-mail address "
                                        "for the sender.")
    raise DomainError("no_contact", "We have no phone number or e-mail address to answer this sender.")


def inquiry_reply(*, actor: Actor, channel: Channel, inquiry_id: int, body: str) -> InquiryEntry:
    """Answer the sender: by SMS (core.sms) or by e-mail, sent after commit by a task.
    The reply is kept on the inquiry, and on the timeline of each booking it concerns."""
    from core.bookings import history
    from core.sms.text import MAX_SEGMENTS, segments, to_gsm7

    from .events import InquiryMoved, InquiryReplied
    from .models import DeliveryStatus, InquiryAction, LeadStatus
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
        deliver_inquiry_reply.enqueue(entry.pk)  # a task row in this transaction
        if inquiry.lead_status == LeadStatus.NEW:  # answering a new lead is contacting it (decision 0195)
            inquiry.lead_status = LeadStatus.CONTACTED
            inquiry.save(update_fields=["lead_status"])
            inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.MOVED,
                                   event=InquiryMoved, data={"lead_status": [LeadStatus.NEW, LeadStatus.CONTACTED],
                                                             "by_reply": entry.pk},
                                   lead_status=LeadStatus.CONTACTED, previous_lead_status=LeadStatus.NEW)
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
    from core.sms.models import SmsKind, SmsStatus
    from core.sms.services import sms_send

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
    from .models import InquiryAction, InquiryStatus, LeadStatus

    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if inquiry.is_open:
            raise DomainError("not_resolved", "This inquiry is open already.")
        if inquiry.lead_status == LeadStatus.CONVERTED:
            raise DomainError("already_converted", "This inquiry is converted; its booking carries on.")
        if inquiry.lead_status == LeadStatus.LOST:
            raise DomainError("lead_lost", "This lead is lost; revive it by moving it to another stage.")
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


# --- leads (decision 0160) ----------------------------------------------------------------------
# Every door files into the one inbox with its lead source: staff (GraphQL, admin), a signed-in
# customer (the portal's inquiry form), an anonymous visitor (the website form) through
# ``inquiry_create``; SMS from unknown numbers through ``inquiry_open`` above. The door is decided
# by who files, never by what they say: a visitor cannot file as staff.

MAX_PREFERRED_DATES = 5
MAX_WANTED_SERVICES = 20
MAX_LOST_REASON = 255
LEAD_FIELDS = {"body", "prospect_name", "prospect_email", "prospect_mobile", "wanted_service_ids",
               "preferred_dates", "address", "postcode", "city", "lead_source_id", "label_ids"}
MAX_LABELS = 10
# The moves ``inquiry_move`` makes; converted is reached through ``inquiry_convert`` only.
LEAD_MOVES = {
    "new": {"contacted", "quoted", "lost"},
    "contacted": {"quoted", "lost"},
    "quoted": {"contacted", "lost"},
    "lost": {"new", "contacted", "quoted"},  # revived
    "converted": set(),
}


def door_source(door: str) -> Any:
    """The lead source a door files with (created if a test database was flushed of the seed rows)."""
    from .models import LeadSource, LeadSourceDoor

    source = LeadSource.objects.filter(door=door).first()
    if source is None:
        source, _ = LeadSource.objects.get_or_create(door=door, defaults={"name": LeadSourceDoor(door).label})
    return source


def _clean_dates(values: Sequence[Any]) -> list[str]:
    from datetime import date, datetime, timedelta

    from django.utils import timezone

    from core.company.selectors import get_company

    values = list(values or ())
    if len(values) > MAX_PREFERRED_DATES:
        raise ValidationFailed("preferredDates", f"At most {MAX_PREFERRED_DATES} dates.", code="too_many")
    today = timezone.localdate(timezone=get_company().tz) if values else None
    out: set[date] = set()
    for value in values:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise ValidationFailed("preferredDates", "Dates are YYYY-MM-DD.", code="invalid_date")
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValidationFailed("preferredDates", "Dates are YYYY-MM-DD.", code="invalid_date")
        if value < today:
            raise ValidationFailed("preferredDates", "Choose dates from today on.", code="in_past")
        if value > today + timedelta(days=366):
            raise ValidationFailed("preferredDates", "Choose dates within a year.", code="too_far")
        out.add(value)
    return [d.isoformat() for d in sorted(out)]


def _clean_lead(values: dict[str, Any], *, staff: bool, new: bool = False) -> dict[str, Any]:
    """Check and normalise lead fields; ``wanted_service_ids`` comes back as Service rows."""
    from core.catalog.models import Service

    from .models import LeadSource

    out = dict(values)
    for key, limit, field in (("prospect_name", 150, "prospectName"), ("address", 255, "address"),
                              ("postcode", 12, "postcode"), ("city", 80, "city"), ("body", MAX_BODY, "body")):
        if key in out:
            out[key] = refuse_nul((out[key] or "").strip(), field)
            if len(out[key]) > limit:
                raise ValidationFailed(field, f"At most {limit} characters.", code="too_long")
    if "prospect_email" in out:
        out["prospect_email"] = refuse_nul((out["prospect_email"] or "").strip().lower(), "prospectEmail")
        if out["prospect_email"]:
            if len(out["prospect_email"]) > 254:
                raise ValidationFailed("prospectEmail", "At most 254 characters.", code="too_long")
            try:
                validate_email(out["prospect_email"])
            except ValidationError:
                raise ValidationFailed("prospectEmail", "That is not an e-mail address.", code="invalid_email")
    if "prospect_mobile" in out:
        out["prospect_mobile"] = normalise_phone(refuse_nul(out["prospect_mobile"] or "", "prospectMobile"),
                                                 field="prospectMobile")
    if "preferred_dates" in out:
        out["preferred_dates"] = _clean_dates(out["preferred_dates"])
    if "wanted_service_ids" in out:
        wanted = list(dict.fromkeys(out.pop("wanted_service_ids") or ()))
        if len(wanted) > MAX_WANTED_SERVICES:
            raise ValidationFailed("wantedServiceIds", f"At most {MAX_WANTED_SERVICES} services.", code="too_many")
        found = {s.pk: s for s in Service.objects.filter(pk__in=wanted, active=True)}
        if len(found) != len(wanted):
            raise NotFound("service", field="wantedServiceIds")
        out["wanted_services"] = [found[pk] for pk in wanted]
    if out.get("lead_source_id") is not None:
        source = LeadSource.objects.filter(pk=out["lead_source_id"]).first()
        if source is None or not staff:
            raise NotFound("lead source", field="leadSourceId")
        if not source.active and new:
            raise DomainError("inactive", "This lead source is no longer offered.", field="leadSourceId")
    return out


def _lead_contact(inquiry: Inquiry, customer: Customer | None) -> str:
    """What ``contact`` holds for a lead: the number a reply by SMS goes to, else the address."""
    if customer is not None:
        return customer.mobile or customer.email
    return inquiry.prospect_mobile or inquiry.prospect_email


def inquiry_create(*, actor: Actor, channel: Channel, body: str = "", customer_id: int | None = None,
                   prospect_name: str = "", prospect_email: str = "", prospect_mobile: str = "",
                   wanted_service_ids: Sequence[int] = (), preferred_dates: Sequence[Any] = (),
                   address: str = "", postcode: str = "", city: str = "", lead_source_id: int | None = None,
                   assignee_id: int | None = None) -> Inquiry:
    """File a lead. Staff: for a customer or a prospect (a name at least), with any lead source
    (default: the staff door's). A signed-in customer: for themself, with the portal's source. Anyone
    else (the website form): a prospect with a name and an e-mail address or mobile, with the
    website's source. The inbox hears of it (``InquiryOpened``) after commit."""
    from .events import InquiryOpened
    from .models import InquiryAction, InquiryKind, LeadSourceDoor

    if actor.is_staff:
        door = LeadSourceDoor.STAFF
    elif actor.is_customer:
        door, customer_id, lead_source_id, assignee_id = LeadSourceDoor.PORTAL, actor.customer_id, None, None
    elif actor.is_fieldworker:
        raise PermissionDenied("Fieldworkers do not file leads.")
    else:
        door, customer_id, lead_source_id, assignee_id = LeadSourceDoor.WEBSITE, None, None, None
    values = _clean_lead({"body": body, "prospect_name": prospect_name, "prospect_email": prospect_email,
                          "prospect_mobile": prospect_mobile, "wanted_service_ids": wanted_service_ids,
                          "preferred_dates": preferred_dates, "address": address, "postcode": postcode,
                          "city": city, "lead_source_id": lead_source_id}, staff=actor.is_staff, new=True)
    wanted = values.pop("wanted_services")
    if customer_id is None:
        if not values["prospect_name"]:
            raise ValidationFailed("prospectName", "A name is required.", code="required")
        if door == LeadSourceDoor.WEBSITE and not (values["prospect_email"] or values["prospect_mobile"]):
            raise ValidationFailed("prospectEmail", "Give an e-mail address or a mobile number.", code="required")
    if door != LeadSourceDoor.STAFF and not (values["body"] or wanted):
        raise ValidationFailed("body", "Tell us what you need.", code="required")
    with transaction.atomic():
        customer = None
        if customer_id is not None:
            customer = Customer.objects.filter(pk=customer_id).first()
            if customer is None:
                raise NotFound("customer", field="customerId")
        if assignee_id is not None:
            _staff_user(assignee_id, "assigneeId")
        if values["lead_source_id"] is None:
            values["lead_source_id"] = door_source(door).pk
        inquiry = Inquiry(kind=InquiryKind.INQUIRY, customer=customer, channel=str(channel), assignee_id=assignee_id,
                          **values)
        inquiry.contact = _lead_contact(inquiry, customer)[:254]
        inquiry.save()
        if wanted:
            inquiry.wanted_services.add(*wanted)
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.OPENED,
                               event=InquiryOpened, body=inquiry.body, kind=inquiry.kind, customer_id=customer_id,
                               data={"door": str(door), "lead_source_id": inquiry.lead_source_id})
    return inquiry


def _staff_user(user_id: int, field: str) -> Any:
    from core.accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("user", field=field)
    if not Actor.from_user(user).is_staff:
        raise DomainError("not_staff", "Only a staff member can answer an inquiry.", field=field)
    return user


def _inquiry_labels(label_ids: Sequence[int], *, current: Inquiry) -> list[Any]:
    """Labels from the company list that tag inquiries; one retired since it was set may stay, none is
    newly chosen (like a property type, decision 0171)."""
    from core.company.models import Label

    wanted = list(dict.fromkeys(label_ids))
    if len(wanted) > MAX_LABELS:
        raise ValidationFailed("labelIds", f"At most {MAX_LABELS} labels.", code="too_many")
    kept = set(current.labels.values_list("pk", flat=True))
    found = {label.pk: label for label in Label.objects.filter(pk__in=wanted)
             if label.pk in kept or (label.active and "inquiry" in (label.applies_to or []))}
    if len(found) != len(wanted):
        raise NotFound("label", field="labelIds")
    return [found[pk] for pk in wanted]


def inquiry_update(*, actor: Actor, channel: Channel, inquiry_id: int, **changes: Any) -> Inquiry:
    """Edit what the lead asked for and who asked (not its customer: ``inquiry_link``; not its
    stage: ``inquiry_move``). Only the fields that differ are written, and recorded as
    {field: [before, after]}."""
    from .events import InquiryUpdated
    from .models import InquiryAction

    unknown = set(changes) - LEAD_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    if not actor.is_staff:
        raise NotFound("inquiry")
    label_ids = changes.pop("label_ids", None)
    values = _clean_lead(changes, staff=True)
    wanted = values.pop("wanted_services", None)
    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        labels = None if label_ids is None else _inquiry_labels(label_ids, current=inquiry)
        if "lead_source_id" in values and values["lead_source_id"] is None:
            raise ValidationFailed("leadSourceId", "Choose a lead source.", code="required")
        diff: dict[str, list[Any]] = {key: [before, after] for key, (before, after) in _apply(inquiry, values).items()}
        if wanted is not None:
            before = sorted(inquiry.wanted_services.values_list("pk", flat=True))
            after = sorted(s.pk for s in wanted)
            if before != after:
                inquiry.wanted_services.set(wanted)
                diff["wanted_service_ids"] = [before, after]
        if labels is not None:
            before = sorted(inquiry.labels.values_list("pk", flat=True))
            after = sorted(label.pk for label in labels)
            if before != after:
                inquiry.labels.set(labels)
                diff["label_ids"] = [before, after]
        if not diff:
            return inquiry
        if inquiry.customer_id is None and {"prospect_mobile", "prospect_email"} & set(diff):
            inquiry.contact = _lead_contact(inquiry, None)[:254]
        inquiry.save()
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.UPDATED,
                               event=InquiryUpdated, data={"changes": diff}, changed=tuple(sorted(diff)))
    return inquiry


def inquiry_move(*, actor: Actor, channel: Channel, inquiry_id: int, lead_status: str,
                 lost_reason: str = "") -> Inquiry:
    """Move the lead: new -> contacted -> quoted (and back to contacted), lost from any open stage
    (a reason is required; the inquiry is resolved with it), and a lost lead revived (reopened).
    Converted is reached through ``inquiry_convert`` only, and is final."""
    from django.utils import timezone

    from .events import InquiryMoved
    from .models import InquiryAction, InquiryStatus, LeadStatus

    if lead_status not in LeadStatus.values:
        raise ValidationFailed("leadStatus", "Unknown lead status.")
    lost_reason = refuse_nul((lost_reason or "").strip(), "lostReason")
    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        before = inquiry.lead_status
        if before == lead_status:
            return inquiry
        if before == LeadStatus.CONVERTED:
            raise DomainError("already_converted", "This lead is converted; its stage is final.", field="leadStatus")
        if lead_status == LeadStatus.CONVERTED:
            raise DomainError("convert_instead", "Convert the inquiry into a customer and booking instead.",
                              field="leadStatus")
        if lead_status not in LEAD_MOVES[before]:
            raise DomainError("invalid_move", f"A {before} lead cannot be moved to {lead_status}.",
                              field="leadStatus")
        if lead_status == LeadStatus.LOST:
            if not lost_reason:
                raise ValidationFailed("lostReason", "Say why the lead was lost.", code="required")
            if len(lost_reason) > MAX_LOST_REASON:
                raise ValidationFailed("lostReason", f"At most {MAX_LOST_REASON} characters.", code="too_long")
        elif lost_reason:
            raise ValidationFailed("lostReason", "A reason goes with a lost lead only.", code="invalid")
        inquiry.lead_status = lead_status
        if lead_status == LeadStatus.LOST:
            inquiry.lost_reason = lost_reason
            if inquiry.is_open:
                inquiry.status, inquiry.resolved_at, inquiry.resolved_by = (InquiryStatus.RESOLVED, timezone.now(),
                                                                            actor.user)
                inquiry.resolution_note = f"Lost: {lost_reason}"[:MAX_NOTE]
        elif before == LeadStatus.LOST:
            inquiry.lost_reason = ""
            inquiry.status, inquiry.resolved_at, inquiry.resolved_by = InquiryStatus.OPEN, None, None
            inquiry.resolution_note = ""
        inquiry.save(update_fields=["lead_status", "lost_reason", "status", "resolved_at", "resolved_by",
                                    "resolution_note"])
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.MOVED,
                               event=InquiryMoved, body=lost_reason,
                               data={"lead_status": [before, lead_status]}, lead_status=lead_status,
                               previous_lead_status=before, lost_reason=lost_reason)
    return inquiry


def inquiry_delete(*, actor: Actor, channel: Channel, inquiry_id: int, reason: str = "") -> Inquiry:
    """Soft delete: the inquiry leaves the inbox (every list, node and service treats it as missing)
    and keeps its row and history; ``inquiry_restore`` brings it back."""
    from django.utils import timezone

    from .events import InquiryDeleted
    from .models import InquiryAction

    reason = refuse_nul((reason or "").strip(), "reason")
    if len(reason) > MAX_NOTE:
        raise ValidationFailed("reason", f"At most {MAX_NOTE} characters.", code="too_long")
    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        inquiry.deleted_at, inquiry.deleted_by = timezone.now(), actor.user
        inquiry.save(update_fields=["deleted_at", "deleted_by"])
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.DELETED,
                               event=InquiryDeleted, body=reason)
    return inquiry


def inquiry_restore(*, actor: Actor, channel: Channel, inquiry_id: int) -> Inquiry:
    from .events import InquiryRestored
    from .models import InquiryAction

    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id, deleted=True)
        inquiry.deleted_at, inquiry.deleted_by = None, None
        inquiry.save(update_fields=["deleted_at", "deleted_by"])
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.RESTORED,
                               event=InquiryRestored)
    return inquiry


@dataclass(frozen=True)
class Conversion:
    inquiry: Inquiry
    customer: Customer
    booking: Any
    customer_created: bool


def inquiry_convert(*, actor: Actor, channel: Channel, inquiry_id: int, scheduled_start: Any,
                    scheduled_end: Any = None, time_zone: str | None = None, merge_into_customer_id: int | None = None,
                    create_customer: bool = False) -> Conversion:
    """Turn the lead into a customer and a booking in one transaction, carrying every field over:
    the customer is the inquiry's own, else the one staff chose to merge into (its blank e-mail and
    mobile filled from the prospect's), else a new one from the prospect's name, e-mail and mobile.
    Customers with the prospect's e-mail or mobile are never passed over silently: without an
    explicit choice the answer is ``duplicate_customer`` (the candidates in ``data``). The address
    becomes (or finds) the customer's property, the wanted services the booking's lines, the
    message its notes, the owner the assignee; the inquiry is linked to the booking and resolved."""
    from django.utils import timezone

    from core.bookings.models import BookingSource
    from core.bookings.services import LineInput, booking_create

    from .events import InquiryConverted
    from .models import InquiryAction, InquiryStatus, LeadStatus
    from .selectors import duplicate_customers

    if merge_into_customer_id is not None and create_customer:
        raise ValidationFailed("createCustomer", "Merge into a customer or create one, not both.", code="invalid")
    with transaction.atomic():
        inquiry = _inquiry_for_staff(actor, inquiry_id)
        if inquiry.lead_status == LeadStatus.CONVERTED:
            raise DomainError("already_converted", "This inquiry is converted already.")
        if inquiry.lead_status == LeadStatus.LOST:
            raise DomainError("lead_lost", "This lead is lost; revive it first.")
        created = False
        if inquiry.customer_id is not None:
            if merge_into_customer_id not in (None, inquiry.customer_id) or create_customer:
                raise DomainError("other_customer", "This inquiry is already tied to a customer.",
                                  field="mergeIntoCustomerId")
            customer = Customer.objects.select_for_update().get(pk=inquiry.customer_id)
        elif merge_into_customer_id is not None:
            customer = Customer.objects.select_for_update().filter(pk=merge_into_customer_id).first()
            if customer is None:
                raise NotFound("customer", field="mergeIntoCustomerId")
            fill = {key: value for key, value in (("email", inquiry.prospect_email),
                                                  ("mobile", inquiry.prospect_mobile))
                    if value and not getattr(customer, key)}
            if fill:
                customer = customer_update(actor=actor, channel=channel, customer_id=customer.pk, **fill)
        else:
            candidates = list(duplicate_customers(actor, email=inquiry.prospect_email,
                                                  mobile=inquiry.prospect_mobile))
            if candidates and not create_customer:
                raise DomainError("duplicate_customer", "Customers with this e-mail or mobile exist: merge into "
                                  "one of them, or choose to create a new customer.", field="mergeIntoCustomerId",
                                  data={"candidate_ids": [c.pk for c in candidates]})
            if not inquiry.prospect_name:
                raise ValidationFailed("prospectName", "The prospect has no name to create a customer from.",
                                       code="required")
            customer = customer_create(actor=actor, channel=channel, name=inquiry.prospect_name,
                                       email=inquiry.prospect_email, mobile=inquiry.prospect_mobile)
            created = True
        property_id = None
        if inquiry.address:
            found = customer.properties.filter(address__iexact=inquiry.address).first()
            if found is None:
                found = property_create(actor=actor, channel=channel, customer_id=customer.pk, address=inquiry.address,
                                        postcode=inquiry.postcode, city=inquiry.city)
            property_id = found.pk
        lines = [LineInput(service_id=s.pk) for s in inquiry.wanted_services.order_by("name", "pk")]
        booking = booking_create(actor=actor, channel=channel, customer_id=customer.pk,
                                 scheduled_start=scheduled_start, scheduled_end=scheduled_end,
                                 property_id=property_id, lines=lines, time_zone=time_zone,
                                 owner_id=inquiry.assignee_id, source=_booking_source(inquiry, BookingSource),
                                 notes=inquiry.body)
        previous_customer = inquiry.customer_id
        inquiry.customer = customer
        inquiry.contact = inquiry.contact or _lead_contact(inquiry, customer)[:254]
        inquiry.lead_status, inquiry.converted_booking, inquiry.converted_at = (LeadStatus.CONVERTED, booking,
                                                                                 timezone.now())
        if inquiry.is_open:
            inquiry.status, inquiry.resolved_at = InquiryStatus.RESOLVED, timezone.now()
            inquiry.resolved_by = actor.user
            inquiry.resolution_note = f"Converted into booking {booking.number}."
        inquiry.save()
        inquiry.bookings.add(booking)
        inquiry_history.record(inquiry, actor=actor, channel=channel, action=InquiryAction.CONVERTED,
                               event=InquiryConverted, data={
                                   "customer_id": [previous_customer, customer.pk], "booking_id": booking.pk,
                                   "booking_number": str(booking.number), "customer_created": created,
                                   "property_id": property_id},
                               customer_id=customer.pk, booking_id=booking.pk, customer_created=created)
        _note_on_bookings([booking], inquiry, actor=actor, channel=channel, linked=True)
    return Conversion(inquiry=inquiry, customer=customer, booking=booking, customer_created=created)


def _booking_source(inquiry: Inquiry, choices: Any) -> str:
    door = inquiry.lead_source.door if inquiry.lead_source_id and inquiry.lead_source else ""
    return {"website": choices.WEBSITE, "portal": choices.PORTAL, "sms": choices.SMS}.get(door or "", choices.STAFF)


# --- lead sources (a managed list) ---------------------------------------------------------------


def _clean_source_name(name: str) -> str:
    name = refuse_nul((name or "").strip(), "name")
    if not name:
        raise ValidationFailed("name", "A name is required.", code="required")
    if len(name) > 80:
        raise ValidationFailed("name", "At most 80 characters.", code="too_long")
    return name


def lead_source_create(*, actor: Actor, channel: Channel, name: str) -> Any:
    from .models import LeadSource

    _require_staff(actor)
    name = _clean_source_name(name)
    with transaction.atomic():
        if LeadSource.objects.filter(name__iexact=name).exists():
            raise DomainError("duplicate", "A lead source with this name exists.", field="name")
        return LeadSource.objects.create(name=name)


def lead_source_update(*, actor: Actor, channel: Channel, lead_source_id: int, name: str | None = None,
                       active: bool | None = None) -> Any:
    """Rename or (de)activate. A door's source stays active: the door files with it."""
    from .models import LeadSource

    _require_staff(actor)
    with transaction.atomic():
        source = LeadSource.objects.select_for_update().filter(pk=lead_source_id).first()
        if source is None:
            raise NotFound("lead source")
        fields = []
        if name is not None:
            name = _clean_source_name(name)
            if LeadSource.objects.filter(name__iexact=name).exclude(pk=source.pk).exists():
                raise DomainError("duplicate", "A lead source with this name exists.", field="name")
            if name != source.name:
                source.name = name
                fields.append("name")
        if active is not None and active != source.active:
            if not active and source.door:
                raise DomainError("door_source", "The source a door files with stays active.", field="active")
            source.active = active
            fields.append("active")
        if fields:
            source.save(update_fields=fields)
    return source


def lead_source_delete(*, actor: Actor, channel: Channel, lead_source_id: int) -> None:
    """Remove an unused source that no door files with; one in use is deactivated instead."""
    from .models import LeadSource

    _require_staff(actor)
    with transaction.atomic():
        source = LeadSource.objects.select_for_update().filter(pk=lead_source_id).first()
        if source is None:
            raise NotFound("lead source")
        if source.door:
            raise DomainError("door_source", "A door files with this source; rename it instead.")
        if source.inquiries.exists():
            raise DomainError("in_use", "Inquiries came from this source; deactivate it instead.")
        source.delete()
