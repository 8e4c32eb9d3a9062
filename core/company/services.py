"""Writes for the business record and its settings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, PermissionDenied

from .models import Company, Counter
from .selectors import forget, get_company

EDITABLE = {
    "name", "time_zone", "currency", "email", "phone", "website", "address",
    "customers_may_cancel", "customers_may_reschedule", "cancellation_fee_type", "cancellation_fee_amount",
    "cancellation_notice_hours", "reschedule_notice_hours",
    "fieldworkers_may_decline", "fieldworkers_may_cancel", "tax_mode",
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
