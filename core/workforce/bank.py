"""Fieldworkers' bank details, encrypted at rest (decision 0184).

The fields are kept as one MultiFernet token of their JSON. ``FIELDOPS_BANK_KEYS`` holds the keys,
comma separated, newest first: new tokens are made with the first; any of them reads. Rotating
(``manage.py rotate_bank_keys``) re-encrypts every row with the first key, after which an old key
may be dropped from the list.

Everyone but staff holding ``workforce.read_bank_details`` gets the masked view; every clear read
is logged (``BankDetailsRead``: who, when, through what).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from core import events
from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, ValidationFailed
from core.text import refuse_nul

from .events import FieldworkerUpdated
from .models import BankDetails, BankDetailsRead, Fieldworker
from .services import _event_base, _locked_fieldworker, _log

PERMISSION = "workforce.read_bank_details"
FIELDS = ("account_name", "bank_name", "branch_code", "account_number")
LIMITS = {"account_name": 100, "bank_name": 100, "branch_code": 20, "account_number": 34}


def _fernet() -> MultiFernet:
    raw = [key.strip() for key in (getattr(settings, "FIELDOPS_BANK_KEYS", "") or "").split(",") if key.strip()]
    if not raw:  # a refusal the caller sees, not a fault: the business has not set up bank details yet
        raise DomainError("bank_key_missing", "Bank details cannot be stored or read: no key is configured.")
    try:
        return MultiFernet([Fernet(key) for key in raw])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELDOPS_BANK_KEYS holds a key that is not a Fernet key: {exc}") from exc


def encrypt(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, str]:
    return json.loads(_fernet().decrypt(token.encode()))


@dataclass(frozen=True)
class BankView:
    """What a reader gets: the clear fields (``masked`` False) or only the last four digits."""

    masked: bool
    account_name: str
    bank_name: str
    branch_code: str
    account_number: str
    updated_at: object


def may_read_clear(actor: Actor) -> bool:
    return actor.is_staff and actor.user is not None and actor.user.has_perm(PERMISSION)


def _mask(row: BankDetails) -> BankView:
    return BankView(True, "", "", "", f"****{row.last4}", row.updated_at)


def _clean(values: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in FIELDS:
        value = refuse_nul(" ".join(str(values.get(key) or "").split()), key)
        if not value:
            raise ValidationFailed(_camel(key), "A value is required.", code="required")
        if len(value) > LIMITS[key]:
            raise ValidationFailed(_camel(key), f"At most {LIMITS[key]} characters.", code="too_long")
        out[key] = value
    for key in ("branch_code", "account_number"):
        digits = out[key].replace(" ", "").replace("-", "")
        if not digits.isalnum():
            raise DomainError("invalid", "Letters and digits only.", field=_camel(key))
        out[key] = digits
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def bank_details_set(*, actor: Actor, channel: Channel, fieldworker_id: int, account_name: str, bank_name: str,
                     branch_code: str, account_number: str) -> BankView:
    """Staff, or the fieldworker themself, store new details (the old ones are replaced). The
    answer is masked unless the actor may read the clear details."""
    values = _clean({"account_name": account_name, "bank_name": bank_name, "branch_code": branch_code,
                     "account_number": account_number})
    with transaction.atomic():
        fieldworker = _locked_fieldworker(fieldworker_id, actor)
        token = encrypt(values)
        row, _ = BankDetails.objects.update_or_create(
            fieldworker=fieldworker, defaults={"ciphertext": token, "last4": values["account_number"][-4:],
                                               "updated_at": timezone.now(), "updated_by": actor.user})
        _log(fieldworker.pk, actor=actor, channel=channel, action="bank_details_set",
             data={"last4": row.last4})  # never the details themselves
        events.publish(FieldworkerUpdated(**_event_base(fieldworker.pk, actor, channel), changed=("bank_details",)))
    return _mask(row)


def bank_details_read(*, actor: Actor, channel: Channel, fieldworker_id: int) -> BankView | None:
    """The fieldworker's details: clear for staff with the permission (the read logged), masked for
    other staff and for the fieldworker themself; someone else's look missing. None: none stored."""
    is_self = actor.is_fieldworker and actor.fieldworker_id == fieldworker_id
    if not (actor.is_staff or is_self):
        raise NotFound("fieldworker", field="fieldworkerId")
    row = BankDetails.objects.filter(fieldworker_id=fieldworker_id).first()
    if row is None:
        if not Fieldworker.objects.filter(pk=fieldworker_id).exists():
            raise NotFound("fieldworker", field="fieldworkerId")
        return None
    if not may_read_clear(actor):
        return _mask(row)
    try:
        values = decrypt(row.ciphertext)
    except InvalidToken:
        raise DomainError("bank_key_missing", "These details were stored under a key that is no longer configured.")
    BankDetailsRead.objects.create(fieldworker_id=fieldworker_id, reader=actor.user, channel=str(channel))
    return BankView(False, values["account_name"], values["bank_name"], values["branch_code"],
                    values["account_number"], row.updated_at)


def rotate(*, batch: int = 200, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-encrypt every row under the first key of ``FIELDOPS_BANK_KEYS``; returns how many rows.
    Rows are locked a batch at a time, so a concurrent edit is not lost."""
    fernet = _fernet()
    ids = list(BankDetails.objects.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        with transaction.atomic():
            for row in BankDetails.objects.select_for_update().filter(pk__in=chunk).order_by("pk"):
                new = fernet.rotate(row.ciphertext.encode()).decode()
                BankDetails.objects.filter(pk=row.pk).update(ciphertext=new)
                done += 1
        if progress is not None:
            progress(done, len(ids))
    return done
