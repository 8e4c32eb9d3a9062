"""Phone numbers are stored in E.164; parsing and validation by ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

from core.errors import ValidationFailed

DEFAULT_REGION = "AU"


def normalise_phone(raw: str, *, field: str = "mobile", region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of ``raw`` or raise ``ValidationFailed``; empty stays empty."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if len(raw) > 32:
        raise ValidationFailed(field, "That is not a phone number.", code="invalid_phone")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed(field, "That is not a phone number.", code="invalid_phone")
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(field, "That is not a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
