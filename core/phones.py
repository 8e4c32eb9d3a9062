"""Phone numbers are stored in E.164; parsing and validation by ``phonenumbers``.

``normalise_phone`` is what services call on input. ``PhoneField`` is the model column that holds
a number: whatever path writes it (a service, a ModelForm, ``save()``, ``QuerySet.update()``,
``bulk_create``), the stored value is E.164 or empty, and a value that is not a phone number is
refused with the same ``invalid_phone`` error the services raise (decision 0041)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models

from core.errors import ValidationFailed

DEFAULT_REGION = "AU"


@lru_cache(maxsize=16_384)
def _e164(raw: str, region: str) -> tuple[str, str]:
    """(E.164, "") or ("", why not). Cached: a number written is parsed again by ``PhoneField`` on save
    (``pre_save``, ``get_db_prep_save``, ``to_python``); an import of 10,000 customers parsed each
    number five times (decision 0191)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "", "That is not a phone number."
    if not phonenumbers.is_valid_number(number):
        return "", "That is not a valid phone number."
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def normalise_phone(raw: str, *, field: str = "mobile", region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of ``raw`` or raise ``ValidationFailed``; empty stays empty."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if len(raw) > 32:
        raise ValidationFailed(field, "That is not a phone number.", code="invalid_phone")
    e164, error = _e164(raw, region)
    if error:
        raise ValidationFailed(field, error, code="invalid_phone")
    return e164


class PhoneField(models.CharField):
    """A phone number column: E.164 or empty, never anything else.

    - ``to_python`` (``full_clean``, ModelForms) normalises what it can parse; ``validate`` refuses the
      rest with a ``ValidationError`` of code ``invalid_phone``.
    - ``pre_save`` and ``get_db_prep_save`` (every INSERT and UPDATE, ``QuerySet.update()`` included)
      normalise, and raise ``ValidationFailed(field, code="invalid_phone")`` for a value that is not a
      number, so nothing can store one. Like a constraint violation, the failed write leaves the
      enclosing atomic block to be rolled back (the services validate first, so they never get here).
    - Lookups are left alone: filtering by an unparsable sender (an alphanumeric SMS sender id, say)
      simply matches nothing instead of failing.
    """

    description = "Phone number (E.164)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def _stored(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return normalise_phone(str(value), field=self.name)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalise_phone(value, field=self.name)
        except ValidationFailed:
            return value.strip()  # validate() says why

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if value:
            try:
                normalise_phone(value, field=self.name)
            except ValidationFailed as exc:
                raise ValidationError(exc.message, code="invalid_phone")

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self._stored(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return super().get_db_prep_save(self._stored(value), connection)


def normalise_stored(model: type[models.Model], field: str, *, logger: logging.Logger) -> tuple[int, int]:
    """Rewrite the stored values of ``model.field`` as E.164 (for data migrations). Values that are not
    phone numbers are left as they are and logged, one warning each. Returns (rewritten, left)."""
    rewritten = left = 0
    rows = model._default_manager.exclude(**{field: ""}).exclude(**{f"{field}__isnull": True})
    for pk, raw in rows.values_list("pk", field).iterator():
        try:
            e164 = normalise_phone(raw, field=field)
        except ValidationFailed:
            logger.warning("%s %s: %s %r is not a phone number; left as it is", model._meta.label, pk, field, raw)
            left += 1
            continue
        if e164 != raw:
            model._default_manager.filter(pk=pk).update(**{field: e164})
            rewritten += 1
    return rewritten, left
