"""Fieldworker profiles (issue 20): details and photo, industry labels, subworkers, saved lists,
the booking summary, and a fieldworker's own edits (applied at once or held for approval).

Writes go through here and log to ``FieldworkerLog`` with an event, like the schedule writes in
``services``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet

from core import events
from core.actors import Actor, Channel
from core.catalog.models import Service
from core.company import logos
from core.company.selectors import get_company
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.managed_lists import clean_list_entry, list_entry_delete, list_entry_write
from core.money import round_money
from core.text import refuse_nul

from . import change_requests, messaging
from .events import FieldworkerUpdated
from .models import (
    Fieldworker,
    FieldworkerStatus,
    IndustryLabel,
    ProfileSettings,
    SavedFieldworkerList,
    ServiceArea,
)
from .services import _clean, _event_base, _file, _locked_fieldworker, _log, _profile_rules, _staff_only, apply_update

# --- details --------------------------------------------------------------------------------------

DETAIL_LIMITS = {"bio": 2000, "address": 250, "emergency_contact": 200}
# what a fieldworker may change about themself (through approval when the company says so)
SELF_FIELDS = {"name", "mobile", "bio", "address", "emergency_contact", "industry_label_ids", "service_ids"}
STAFF_FIELDS = SELF_FIELDS | {"email", "status", "industry_label", "time_zone", "lead_id"}
_PLAIN = {"name", "mobile", "status", "industry_label", "service_ids", "time_zone"}  # fieldworker_update's


def profile_settings() -> ProfileSettings:
    row = ProfileSettings.objects.filter(pk=1).first()
    if row is None:
        row, _ = ProfileSettings.objects.get_or_create(pk=1)
    return row


def profile_settings_update(*, actor: Actor, channel: Channel, profile_edits_need_approval: bool) -> ProfileSettings:
    _staff_only(actor)
    with transaction.atomic():
        profile_settings()
        row = ProfileSettings.objects.select_for_update().get(pk=1)
        row.profile_edits_need_approval = bool(profile_edits_need_approval)
        row.save()
    return row


def _clean_details(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key, limit in DETAIL_LIMITS.items():
        if key in out:
            out[key] = refuse_nul((out[key] or "").strip(), key)
            if len(out[key]) > limit:
                raise ValidationFailed(_camel(key), f"At most {limit} characters.", code="too_long")
    if "email" in out:
        out["email"] = (out["email"] or "").strip().lower()
        try:
            validate_email(out["email"])
        except ValidationError:
            raise ValidationFailed("email", "That is not an e-mail address.", code="invalid_email")
    if out.get("industry_label_ids") is not None:
        ids = set(out["industry_label_ids"])
        found = IndustryLabel.objects.filter(pk__in=ids)
        if found.count() != len(ids):
            raise NotFound("industry label", field="industryLabelIds")
        out["industry_label_ids"] = sorted(ids)
    if out.get("service_ids") is not None:
        ids = set(out["service_ids"])
        if Service.objects.filter(pk__in=ids).count() != len(ids):
            raise NotFound("service", field="serviceIds")
        out["service_ids"] = sorted(ids)
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass
class ProfileChange:
    """Applied at once (``applied``) or filed as a change request for staff."""

    applied: bool
    fieldworker: Fieldworker
    change_request: Any = None


def fieldworker_profile_update(*, actor: Actor, channel: Channel, fieldworker_id: int,
                               **changes: Any) -> ProfileChange:
    """Change profile fields. Staff apply at once; a fieldworker changing their own profile applies
    at once or files a ``profile`` change request, as ``ProfileSettings`` says."""
    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or actor.is_system or is_self):
        raise NotFound("fieldworker", field="id")
    allowed = SELF_FIELDS if is_self else STAFF_FIELDS
    unknown = set(changes) - STAFF_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=_camel(sorted(unknown)[0]))
    if set(changes) - allowed:
        raise PermissionDenied("Only staff may change that.")
    if "lead_id" in changes:
        raise DomainError("invalid", "Set the lead with setFieldworkerLead.", field="leadId")
    values = _clean_details(changes)
    if is_self and profile_settings().profile_edits_need_approval:
        with transaction.atomic():
            fieldworker = _locked_fieldworker(fieldworker_id, actor)
            _check_plain(actor, fieldworker, values)
            payload = dict(values)
            request = _file(fieldworker, actor=actor, channel=channel, kind="profile", payload=payload,
                            summary="Profile: " + ", ".join(sorted(_camel(k) for k in payload)))
            return ProfileChange(False, fieldworker, request)
    fieldworker = _apply_profile(actor=actor, channel=channel, fieldworker_id=fieldworker_id, values=values)
    return ProfileChange(True, fieldworker)


def _check_plain(actor: Actor, fieldworker: Fieldworker, values: dict[str, Any]) -> None:
    """Validate the fields ``fieldworker_update`` owns before filing a request (no write)."""
    plain = _clean({k: v for k, v in values.items() if k in _PLAIN})
    _profile_rules(actor, plain, fieldworker)


def _apply_profile(*, actor: Actor, channel: Channel, fieldworker_id: int, values: dict[str, Any]) -> Fieldworker:
    plain = _clean({k: v for k, v in values.items() if k in _PLAIN})
    rest = {k: v for k, v in values.items() if k not in _PLAIN}
    with transaction.atomic():
        if plain:
            apply_update(actor=actor, channel=channel, fieldworker_id=fieldworker_id, values=plain)
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        labels = rest.pop("industry_label_ids", None)
        email = rest.pop("email", None)
        diff: dict[str, list[Any]] = {}
        changed_email = None
        if email is not None and email != fieldworker.user.email:
            changed_email = [fieldworker.user.email, email]
            _change_email(fieldworker, email, actor=actor, channel=channel)
        for key, value in rest.items():
            before = getattr(fieldworker, key)
            if before != value:
                diff[key] = [before, value]
                setattr(fieldworker, key, value)
        if diff:
            fieldworker.save(update_fields=sorted(diff))
        if changed_email:
            diff["email"] = changed_email
        if labels is not None:
            before_ids = sorted(fieldworker.industry_labels.values_list("pk", flat=True))
            if before_ids != labels:
                fieldworker.industry_labels.set(labels)
                diff["industry_label_ids"] = [before_ids, labels]
        if diff:
            _log(fieldworker.pk, actor=actor, channel=channel, action="profile_updated", data={"changes": diff})
            events.publish(FieldworkerUpdated(**_event_base(fieldworker.pk, actor, channel),
                                              changed=tuple(sorted(diff))))
    return fieldworker


def _change_email(fieldworker: Fieldworker, email: str, *, actor: Actor, channel: Channel) -> None:
    """A new sign-in address: unverified until its link is used (decision 0182)."""
    from core.accounts.models import User

    if User.objects.filter(email__iexact=email).exclude(pk=fieldworker.user_id).exists():
        raise DomainError("duplicate", "A user with that e-mail exists.", field="email")
    user = fieldworker.user
    user.email = email
    user.save(update_fields=["email"])
    fieldworker.email_verified_at = None
    fieldworker.save(update_fields=["email_verified_at"])
    messaging.queue_verification(fieldworker, actor=actor, channel=channel)


def _approve_profile(request, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    values = _clean_details(dict(request.payload))
    _apply_profile(actor=actor, channel=channel, fieldworker_id=request.fieldworker_id, values=values)
    return {"fields": sorted(values)}


change_requests.register("profile", _approve_profile)


# --- photo ----------------------------------------------------------------------------------------


def fieldworker_set_photo(*, actor: Actor, channel: Channel, fieldworker_id: int,
                          photo: IO[bytes] | bytes | None) -> Fieldworker:
    """A new photo (checked by content like a logo, decision 0811), or none. Staff, or the
    fieldworker themself; the old file is deleted after commit."""
    checked = logos.check_logo(photo, field="photo") if photo is not None else None
    stored = ""
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        old = fieldworker.photo.name or ""
        if checked is None:
            fieldworker.photo = ""
        else:
            name = f"{fieldworker.pk}/photo-{secrets.token_hex(8)}.{checked.extension}"
            fieldworker.photo.save(name, ContentFile(checked.data), save=False)
            stored = fieldworker.photo.name
        fieldworker.save(update_fields=["photo"])
        _log(fieldworker.pk, actor=actor, channel=channel, action="photo_set" if stored else "photo_removed",
             data={"photo": stored})
        events.publish(FieldworkerUpdated(**_event_base(fieldworker.pk, actor, channel), changed=("photo",)))
        if old:
            storage = fieldworker.photo.storage
            transaction.on_commit(lambda: storage.delete(old), robust=True)
    return fieldworker


# --- industry labels (managed list) ----------------------------------------------------------------


def industry_label_create(*, actor: Actor, channel: Channel, name: str, active: bool = True,
                          position: int = 0) -> IndustryLabel:
    _staff_only(actor)
    existing = IndustryLabel.objects.filter(name__iexact=clean_list_entry({"name": name})["name"]).first()
    if existing is not None:
        return existing
    return list_entry_write(IndustryLabel, actor=actor, entry_id=None, label="industry label", name=name,
                            active=active, position=position)


def industry_label_update(*, actor: Actor, channel: Channel, industry_label_id: int, **changes: Any) -> IndustryLabel:
    return list_entry_write(IndustryLabel, actor=actor, entry_id=industry_label_id, label="industry label", **changes)


def industry_label_delete(*, actor: Actor, channel: Channel, industry_label_id: int) -> None:
    list_entry_delete(IndustryLabel, actor=actor, entry_id=industry_label_id, label="industry label",
                      used_by="fieldworkers")


# --- subworkers -----------------------------------------------------------------------------------


def fieldworker_set_lead(*, actor: Actor, channel: Channel, fieldworker_id: int,
                         lead_id: int | None) -> Fieldworker:
    """Put a fieldworker in a lead's team (or take them out with ``lead_id`` None). One level: a lead
    has no lead, a subworker leads no team."""
    _staff_only(actor)
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        lead = None
        if lead_id is not None:
            lead = Fieldworker.objects.select_for_update().filter(pk=lead_id).first()
            if lead is None:
                raise NotFound("fieldworker", field="leadId")
            if lead.pk == fieldworker.pk:
                raise DomainError("invalid_team", "A fieldworker cannot lead themself.", field="leadId")
            if lead.lead_id is not None:
                raise DomainError("invalid_team", f"{lead.name} is in a team; a lead has no lead.", field="leadId")
            if fieldworker.subworkers.exists():
                raise DomainError("invalid_team", f"{fieldworker.name} leads a team.", field="fieldworkerId")
        before = fieldworker.lead_id
        if before != lead_id:
            fieldworker.lead = lead
            fieldworker.save(update_fields=["lead"])
            _log(fieldworker.pk, actor=actor, channel=channel, action="lead_set", data={"lead_id": [before, lead_id]})
            events.publish(FieldworkerUpdated(**_event_base(fieldworker.pk, actor, channel), changed=("lead",)))
    return fieldworker


# --- saved lists ----------------------------------------------------------------------------------

FILTER_KEYS = {"status", "service_ids", "industry_label_ids", "area_ids", "search"}


def _clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise DomainError("invalid", "Unknown filter.", field=_camel(sorted(unknown)[0]))
    if filters.get("status"):
        if filters["status"] not in FieldworkerStatus.values:
            raise ValidationFailed("status", "Unknown status.")
        out["status"] = filters["status"]
    for key, model, label in (("service_ids", Service, "service"), ("industry_label_ids", IndustryLabel,
                                                                     "industry label"),
                              ("area_ids", ServiceArea, "service area")):
        if filters.get(key):
            ids = sorted(set(filters[key]))
            if model.objects.filter(pk__in=ids).count() != len(ids):
                raise NotFound(label, field=_camel(key))
            out[key] = ids
    if filters.get("search"):
        search = refuse_nul(str(filters["search"]).strip(), "search")
        if len(search) > 100:
            raise ValidationFailed("search", "At most 100 characters.", code="too_long")
        if search:
            out["search"] = search
    return out


def filter_fieldworkers(queryset: QuerySet[Fieldworker], filters: dict[str, Any]) -> QuerySet[Fieldworker]:
    """``queryset`` narrowed by a saved list's filters (all of them must hold)."""
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("service_ids"):
        queryset = queryset.filter(services__in=filters["service_ids"])
    if filters.get("industry_label_ids"):
        queryset = queryset.filter(industry_labels__in=filters["industry_label_ids"])
    if filters.get("area_ids"):
        queryset = queryset.filter(service_areas__in=filters["area_ids"])
    if filters.get("search"):
        term = filters["search"]
        queryset = queryset.filter(Q(name__icontains=term) | Q(user__email__icontains=term) | Q(mobile__contains=term))
    return queryset.distinct()


def saved_list_save(*, actor: Actor, channel: Channel, name: str, filters: dict[str, Any],
                    list_id: int | None = None) -> SavedFieldworkerList:
    _staff_only(actor)
    name = refuse_nul((name or "").strip(), "name")
    if not name or len(name) > 80:
        raise ValidationFailed("name", "A name of 1 to 80 characters is required.")
    cleaned = _clean_filters(filters)
    with transaction.atomic():
        if list_id is None:
            row = SavedFieldworkerList(created_by=actor.user)
        else:
            row = SavedFieldworkerList.objects.select_for_update().filter(pk=list_id).first()
            if row is None:
                raise NotFound("fieldworker list", field="id")
        if SavedFieldworkerList.objects.filter(name__iexact=name).exclude(pk=row.pk).exists():
            raise DomainError("duplicate", "A list with that name exists.", field="name")
        row.name, row.filters = name, cleaned
        row.save()
    return row


def saved_list_delete(*, actor: Actor, channel: Channel, list_id: int) -> None:
    _staff_only(actor)
    deleted, _ = SavedFieldworkerList.objects.filter(pk=list_id).delete()
    if not deleted:
        raise NotFound("fieldworker list", field="id")


def saved_list_members(saved: SavedFieldworkerList) -> QuerySet[Fieldworker]:
    return filter_fieldworkers(Fieldworker.objects.all(), saved.filters)


# --- booking summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingSummary:
    start: date
    end: date
    jobs: int
    hours: Decimal
    revenue: Decimal
    pay: Decimal | None  # their pay for those jobs (core.payroll); None without payroll


MAX_SUMMARY_DAYS = 366


def booking_summary(*, actor: Actor, fieldworker_id: int, start: date, end: date) -> BookingSummary:
    """The fieldworker's completed jobs from ``start`` to ``end`` (inclusive, company days): how many,
    hours on the schedule, and revenue (the sum of the jobs' line totals, each job's revenue split
    evenly among the fieldworkers who accepted it, decision 0183)."""
    from core.bookings.models import AssignmentStatus, Booking, BookingStatus

    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or actor.is_system or is_self) or not Fieldworker.objects.filter(pk=fieldworker_id).exists():
        raise NotFound("fieldworker", field="fieldworkerId")
    if end < start:
        raise ValidationFailed("end", "The end must not be before the start.", code="end_before_start")
    if (end - start).days >= MAX_SUMMARY_DAYS:
        raise ValidationFailed("end", "At most a year at a time.", code="too_long")
    import zoneinfo

    tz = zoneinfo.ZoneInfo(get_company().time_zone)
    lo = datetime.combine(start, time.min, tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    bookings = (Booking.objects.filter(status=BookingStatus.COMPLETED, scheduled_start__gte=lo, scheduled_start__lt=hi,
                                       assignments__fieldworker_id=fieldworker_id,
                                       assignments__status=AssignmentStatus.ACCEPTED)
                .distinct().prefetch_related("lines", "assignments"))
    jobs, seconds, revenue = 0, 0.0, Decimal("0")
    for booking in bookings:
        jobs += 1
        seconds += (booking.scheduled_end - booking.scheduled_start).total_seconds()
        crew = sum(1 for a in booking.assignments.all() if a.status == AssignmentStatus.ACCEPTED) or 1
        revenue += sum((line.total for line in booking.lines.all()), Decimal("0")) / crew
    hours = (Decimal(str(seconds)) / Decimal(3600)).quantize(Decimal("0.01"))
    return BookingSummary(start=start, end=end, jobs=jobs, hours=hours, revenue=round_money(revenue),
                          pay=_pay_for(fieldworker_id, bookings))


def _pay_for(fieldworker_id: int, bookings: Any) -> Decimal | None:
    """The fieldworker's pay for those jobs: their computed shares and the adjustments to them (core.payroll,
    read through the app registry: payroll sits above workforce). None when payroll is not installed."""
    from django.apps import apps
    from django.db.models import Sum

    if not apps.is_installed("core.payroll"):
        return None
    entries = apps.get_model("payroll", "PayEntry").objects.filter(
        fieldworker_id=fieldworker_id, booking__in=bookings.values("pk"))
    return round_money(entries.aggregate(total=Sum("amount"))["total"] or Decimal("0"))


# --- the photo's address: a short-lived signed link, as every stored file (no public media, 0920) ------

PHOTO_SALT = "fieldops.workforce.photo"
PHOTO_LINK_SECONDS = 300


def photo_path(fieldworker: Any) -> str | None:
    """A link to the fieldworker's photo that works for a few minutes; None when there is none. The
    link names the stored file, so a replaced photo's old links stop working."""
    if not fieldworker.photo:
        return None
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps({"f": fieldworker.pk, "n": fieldworker.photo.name}, salt=PHOTO_SALT, compress=True)
    return reverse("fieldworker-photo", args=[token])


def photo_from_token(token: str) -> Any:
    """The stored photo (a FieldFile) a link names, or None when the link is forged, expired or stale."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=PHOTO_SALT, max_age=PHOTO_LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    fieldworker = Fieldworker.objects.filter(pk=data.get("f")).only("photo").first()
    if fieldworker is None or not fieldworker.photo or fieldworker.photo.name != data.get("n"):
        return None
    return fieldworker.photo
