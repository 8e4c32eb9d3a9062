"""Writes for customers and their properties."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.phones import normalise_phone

from .models import Customer, Inquiry, Property, PropertyType

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
    return Customer.objects.create(**values)


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
        for key, value in _clean_customer(changes).items():
            setattr(customer, key, value)
        customer.save()
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
    return Property.objects.create(customer_id=customer_id, **values)


def property_update(*, actor: Actor, channel: Channel, property_id: int, **changes: Any) -> Property:
    unknown = set(changes) - PROPERTY_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    with transaction.atomic():
        prop = Property.objects.select_for_update().filter(pk=property_id).first()
        if prop is None or not (actor.is_staff or (actor.is_customer and actor.customer_id == prop.customer_id)):
            raise NotFound("property")
        merged = {"latitude": prop.latitude, "longitude": prop.longitude, **changes}
        for key, value in _clean_property(merged).items():
            setattr(prop, key, value)
        prop.save()
    return prop


def property_type_create(*, actor: Actor, channel: Channel, name: str) -> PropertyType:
    _require_staff(actor)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed("name", "A name of 1 to 60 characters is required.")
    obj, _ = PropertyType.objects.get_or_create(name=name)
    return obj


def inquiry_open(*, actor: Actor, channel: Channel, body: str, kind: str = "inquiry",
                 customer_id: int | None = None, booking_id: int | None = None, contact: str = "") -> Inquiry:
    """File something for staff to answer. A cancellation request on a booking also lands on the
    booking's timeline so staff see it where they look."""
    from .models import InquiryKind

    if kind not in InquiryKind.values:
        raise ValidationFailed("kind", "Unknown kind of inquiry.")
    body = (body or "").strip()[:5000]
    with transaction.atomic():
        inquiry = Inquiry.objects.create(kind=kind, customer_id=customer_id, booking_id=booking_id,
                                         channel=str(channel), contact=contact[:254], body=body)
        if booking_id is not None and kind == InquiryKind.CANCELLATION_REQUEST:
            from core.bookings import history
            from core.bookings.models import Booking

            booking = Booking.objects.filter(pk=booking_id).first()
            if booking is not None:
                history.record(booking, actor=actor, channel=channel, action="cancellation_requested",
                               data={"inquiry_id": inquiry.pk, "body": body[:500]})
    return inquiry
