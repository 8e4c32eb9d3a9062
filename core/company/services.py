"""Writes for the business record and its settings."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

from . import log as company_log
from . import logos
from .events import LabelCreated, LabelUpdated, TermsPublished, TradingNameCreated, TradingNameUpdated
from .models import Company, Counter, Label, TermsVersion, TradingName
from .selectors import forget, get_company

EDITABLE = {
    "name", "time_zone", "currency", "email", "phone", "website", "address",
    "customers_may_cancel", "customers_may_reschedule", "cancellation_fee_type", "cancellation_fee_amount",
    "cancellation_notice_hours", "reschedule_notice_hours",
    "fieldworkers_may_decline", "fieldworkers_may_cancel", "tax_mode",
    "review_requests_enabled", "review_request_delay_minutes", "review_public_url", "review_public_min_rating",
}
MAX_ADDRESS = 1000


def _camel(name: str) -> str | None:
    """Model field -> input field name, as the other services report it (``time_zone`` -> ``timeZone``)."""
    if name == "__all__":
        return None
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def company_update(*, actor: Actor, channel: Channel, **changes: Any) -> Company:
    if not actor.is_staff:
        raise PermissionDenied()
    unknown = set(changes) - EDITABLE
    if unknown:
        raise DomainError("invalid", f"Unknown setting {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    with transaction.atomic():
        get_company()
        company = Company.objects.select_for_update().get(pk=1)
        for key, value in changes.items():
            if key == "cancellation_fee_amount":
                try:
                    value = Decimal(str(value))
                except InvalidOperation:
                    raise DomainError("invalid", "Not a number.", field="cancellationFeeAmount")
            if key == "address" and len(value or "") > MAX_ADDRESS:  # a TextField: full_clean has no limit
                raise DomainError("too_long", f"At most {MAX_ADDRESS} characters.", field="address")
            setattr(company, key, value)
        try:
            company.full_clean()
        except ValidationError as exc:
            field, errors = next(iter(exc.error_dict.items()))
            code = "invalid_phone" if errors[0].code == "invalid_phone" else "invalid"  # as normalise_phone says
            raise DomainError(code, next(iter(errors[0])), field=_camel(field))
        company.save()
        forget()
    return company


def next_number(name: str, start: int) -> int:
    """Next value of a named counter; must run inside the caller's transaction."""
    counter, _ = Counter.objects.select_for_update().get_or_create(name=name, defaults={"value": start - 1})
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


# --- trading names, terms and labels (issue 18) ---------------------------------------------------

TRADING_NAME_FIELDS = {
    "name", "email", "phone", "website", "review_url", "address", "tax_number", "sender_name", "quote_prefix",
    "invoice_prefix", "number_start", "active",
}
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./_-]{0,11}")
_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_TERMS_CHARS = 50_000
MAX_LABELS = 500
LABEL_KINDS = ("quote", "invoice", "booking", "customer", "inquiry")


def _trading_name_values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in ("name", "email", "website", "review_url", "tax_number", "sender_name", "quote_prefix",
                "invoice_prefix"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "name" in out and not 1 <= len(out["name"]) <= 120:
        raise ValidationFailed("name", "A name of 1 to 120 characters is required.")
    if "address" in out and len(out["address"] or "") > MAX_ADDRESS:
        raise DomainError("too_long", f"At most {MAX_ADDRESS} characters.", field="address")
    if "tax_number" in out and len(out["tax_number"]) > 40:
        raise DomainError("too_long", "At most 40 characters.", field="taxNumber")
    if out.get("sender_name") and not _SENDER.fullmatch(out["sender_name"]):
        raise ValidationFailed("senderName", "1 to 11 letters, digits or spaces, with at least one letter.")
    for key in ("quote_prefix", "invoice_prefix"):
        if key in out and out[key] and not _PREFIX.fullmatch(out[key]):
            raise ValidationFailed(str(_camel(key)), "Up to 12 letters, digits and . / _ - (first a letter or digit).")
    if "number_start" in out:
        try:
            start = int(out["number_start"])
        except (TypeError, ValueError):
            raise ValidationFailed("numberStart", "Not a number.")
        if not 1 <= start <= 999_999_999:
            raise ValidationFailed("numberStart", "Between 1 and 999,999,999.", code="out_of_range")
        out["number_start"] = start
    if "active" in out:
        out["active"] = bool(out["active"])
    return out


def _full_clean(row: Any, *, exclude: list[str] | None = None) -> None:
    try:
        row.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, errors = next(iter(exc.error_dict.items()))
        code = "invalid_phone" if errors[0].code == "invalid_phone" else "invalid"
        raise DomainError(code, next(iter(errors[0])), field=_camel(field))


def _check_trading_name(row: TradingName) -> None:
    """Guards that need the rest of the table."""
    if row.quote_prefix and row.quote_prefix.lower() == row.invoice_prefix.lower():
        raise DomainError("duplicate_prefix", "Quotes and invoices need different prefixes.", field="invoicePrefix")
    if TradingName.objects.filter(name__iexact=row.name).exclude(pk=row.pk).exists():
        raise DomainError("duplicate", "A trading name with that name exists.", field="name")


def _store_logo(row: TradingName, checked: logos.CheckedImage) -> str:
    """Store the checked bytes through the storage API under a fresh name; returns the stored name."""
    name = f"{row.pk}/logo-{secrets.token_hex(8)}.{checked.extension}"
    row.logo.save(name, ContentFile(checked.data), save=False)
    return row.logo.name


def _delete_file_on_commit(storage: Any, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def trading_name_create(*, actor: Actor, channel: Channel, name: str, logo: IO[bytes] | bytes | None = None,
                        is_default: bool = False, **details: Any) -> TradingName:
    if not actor.is_staff:
        raise PermissionDenied()
    unknown = set(details) - TRADING_NAME_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=_camel(sorted(unknown)[0]))
    values = _trading_name_values({"name": name, **details})
    checked = logos.check_logo(logo) if logo is not None else None
    row = TradingName(**values)
    _full_clean(row, exclude=["logo"])
    stored = ""
    try:
        with transaction.atomic():
            _check_trading_name(row)
            if is_default:
                TradingName.objects.select_for_update(no_key=True).filter(is_default=True).update(is_default=False)
            row.is_default = is_default or not TradingName.objects.filter(is_default=True).exists()
            row.save()
            if checked is not None:
                stored = _store_logo(row, checked)
                row.save(update_fields=["logo"])
            company_log.record("trading_name", row.pk, actor=actor, channel=channel, action="created",
                               event=TradingNameCreated, trading_name_id=row.pk,
                               data={"name": row.name, "logo": stored, "default": row.is_default})
    except BaseException:
        if stored:
            row.logo.storage.delete(stored)
        raise
    return row


def trading_name_update(*, actor: Actor, channel: Channel, trading_name_id: int,
                        logo: IO[bytes] | bytes | None = None, remove_logo: bool = False,
                        **changes: Any) -> TradingName:
    """Change the details sent; ``logo`` replaces the logo, ``remove_logo`` takes it away. The old
    file is deleted from storage after commit."""
    if not actor.is_staff:
        raise PermissionDenied()
    unknown = set(changes) - TRADING_NAME_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=_camel(sorted(unknown)[0]))
    if logo is not None and remove_logo:
        raise DomainError("invalid", "Send a new logo or remove the logo, not both.", field="removeLogo")
    values = _trading_name_values(changes)
    checked = logos.check_logo(logo) if logo is not None else None
    stored = ""
    row = None
    try:
        with transaction.atomic():
            row = TradingName.objects.select_for_update(no_key=True).filter(pk=trading_name_id).first()
            if row is None:
                raise NotFound("trading name")
            before = {key: getattr(row, key) for key in values}
            for key, value in values.items():
                setattr(row, key, value)
            _full_clean(row, exclude=["logo"])
            if row.is_default and row.active is False:
                raise DomainError("default_inactive", "The default trading name stays active.", field="active")
            _check_trading_name(row)
            changed = [key for key in values if getattr(row, key) != before[key]]
            diff = {key: (before[key], getattr(row, key)) for key in changed}
            old_logo = row.logo.name or ""
            if checked is not None or (remove_logo and old_logo):
                if checked is not None:
                    stored = _store_logo(row, checked)
                else:
                    row.logo = ""
                diff["logo"] = (old_logo, row.logo.name or "")
                changed.append("logo")
                _delete_file_on_commit(row.logo.storage, old_logo)
            if not changed:
                return row
            row.save(update_fields=changed)
            company_log.record("trading_name", row.pk, actor=actor, channel=channel, action="updated",
                               event=TradingNameUpdated, trading_name_id=row.pk, changes=diff,
                               changed=tuple(changed))
    except BaseException:
        if stored and row is not None:
            row.logo.storage.delete(stored)
        raise
    return row


def trading_name_set_default(*, actor: Actor, channel: Channel, trading_name_id: int) -> TradingName:
    if not actor.is_staff:
        raise PermissionDenied()
    with transaction.atomic():
        rows = {row.pk: row for row in TradingName.objects.select_for_update(no_key=True).filter(
            Q(pk=trading_name_id) | Q(is_default=True))}
        row = rows.get(trading_name_id)
        if row is None:
            raise NotFound("trading name")
        if row.is_default:
            return row
        if not row.active:
            raise DomainError("inactive", "An inactive trading name cannot be the default.", field="id")
        previous = [other for other in rows.values() if other.pk != row.pk]
        TradingName.objects.filter(pk__in=[other.pk for other in previous]).update(is_default=False)
        row.is_default = True
        row.save(update_fields=["is_default"])
        company_log.record("trading_name", row.pk, actor=actor, channel=channel, action="made_default",
                           event=TradingNameUpdated, trading_name_id=row.pk, changed=("is_default",),
                           changes={"is_default": (False, True)},
                           data={"previous": previous[0].pk if previous else None})
    return row


def terms_publish(*, actor: Actor, channel: Channel, trading_name_id: int, text: str,
                  in_force_from: datetime | None = None) -> TermsVersion:
    """Add the next version of a trading name's terms. It is in force from ``in_force_from`` (now when
    not given; never in the past, so what was printed before stays what was in force)."""
    if not actor.is_staff:
        raise PermissionDenied()
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("text", "The terms need some text.")
    if len(text) > MAX_TERMS_CHARS:
        raise DomainError("too_long", f"At most {MAX_TERMS_CHARS} characters.", field="text")
    now = timezone.now()
    if in_force_from is None:
        in_force_from = now
    elif timezone.is_naive(in_force_from):
        raise ValidationFailed("inForceFrom", "Give a time with its offset.")
    elif in_force_from < now - timedelta(minutes=1):
        raise DomainError("in_the_past", "A new version cannot start in the past.", field="inForceFrom")
    elif in_force_from.year > 2999:
        raise ValidationFailed("inForceFrom", "Before the year 3000.", code="out_of_range")
    with transaction.atomic():
        trading_name = TradingName.objects.select_for_update(no_key=True).filter(pk=trading_name_id).first()
        if trading_name is None:
            raise NotFound("trading name", field="tradingNameId")
        latest = trading_name.terms_versions.order_by("-version").first()
        if latest is not None and in_force_from < latest.in_force_from:
            raise DomainError("before_latest", "A new version starts no earlier than the latest one.",
                              field="inForceFrom")
        version = TermsVersion.objects.create(trading_name=trading_name, text=text, in_force_from=in_force_from,
                                              version=(latest.version if latest else 0) + 1)
        company_log.record("terms", version.pk, actor=actor, channel=channel, action="published",
                           event=TermsPublished, trading_name_id=trading_name.pk, terms_version_id=version.pk,
                           version=version.version, in_force_from=in_force_from.isoformat(),
                           data={"trading_name": trading_name.pk, "version": version.version})
    return version


def _label_values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = " ".join((out["name"] or "").split())
        if not 1 <= len(out["name"]) <= 40:
            raise ValidationFailed("name", "A name of 1 to 40 characters is required.")
    if "colour" in out:
        out["colour"] = (out["colour"] or "").strip().lower()
        if not _COLOUR.fullmatch(out["colour"]):
            raise ValidationFailed("colour", "A colour as #rrggbb.")
    if "applies_to" in out:
        kinds = list(dict.fromkeys(str(kind) for kind in (out["applies_to"] or [])))
        bad = [kind for kind in kinds if kind not in LABEL_KINDS]
        if bad:
            raise ValidationFailed("appliesTo", f"Unknown kind {bad[0]!r}; one of {', '.join(LABEL_KINDS)}.")
        if not kinds:
            raise ValidationFailed("appliesTo", "A label tags at least one kind of object.")
        out["applies_to"] = sorted(kinds, key=LABEL_KINDS.index)
    if "active" in out:
        out["active"] = bool(out["active"])
    return out


def label_create(*, actor: Actor, channel: Channel, name: str, applies_to: list[str],
                 colour: str = "#64748b") -> Label:
    if not actor.is_staff:
        raise PermissionDenied()
    values = _label_values({"name": name, "colour": colour, "applies_to": applies_to})
    with transaction.atomic():
        if Label.objects.filter(name__iexact=values["name"]).exists():
            raise DomainError("duplicate", "A label with that name exists.", field="name")
        if Label.objects.count() >= MAX_LABELS:
            raise DomainError("too_many", f"At most {MAX_LABELS} labels.")
        label = Label.objects.create(**values)
        company_log.record("label", label.pk, actor=actor, channel=channel, action="created", event=LabelCreated,
                           label_id=label.pk, data=values)
    return label


def label_update(*, actor: Actor, channel: Channel, label_id: int, **changes: Any) -> Label:
    """Rename, recolour, change the kinds or retire (``active=False``) a label; labels are never deleted,
    so whatever carries one keeps it."""
    if not actor.is_staff:
        raise PermissionDenied()
    unknown = set(changes) - {"name", "colour", "applies_to", "active"}
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=_camel(sorted(unknown)[0]))
    values = _label_values(changes)
    with transaction.atomic():
        label = Label.objects.select_for_update().filter(pk=label_id).first()
        if label is None:
            raise NotFound("label")
        if "name" in values and Label.objects.filter(name__iexact=values["name"]).exclude(pk=label.pk).exists():
            raise DomainError("duplicate", "A label with that name exists.", field="name")
        changed = [key for key, value in values.items() if getattr(label, key) != value]
        if not changed:
            return label
        diff = {key: (getattr(label, key), values[key]) for key in changed}
        for key in changed:
            setattr(label, key, values[key])
        label.save(update_fields=changed)
        company_log.record("label", label.pk, actor=actor, channel=channel, action="updated", event=LabelUpdated,
                           label_id=label.pk, changes=diff, changed=tuple(changed))
    return label
