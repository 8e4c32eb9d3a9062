"""The signing link the bot sends for a form's signature element: a signed, short-lived token that
names the booking, the form, the element and the fieldworker it was sent to (decision 0914). The
page that opens it (``web/form_signature.py``) draws on a canvas and saves the PNG through the
form services as that fieldworker, so every rule of filling applies."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "jobdata.form-signature"
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SigningLink:
    booking_id: int
    template_id: int
    key: str
    fieldworker_id: int


def signing_token(link: SigningLink) -> str:
    return signing.dumps({"b": link.booking_id, "t": link.template_id, "k": link.key, "f": link.fieldworker_id},
                         salt=SALT, compress=True)


def signing_url(link: SigningLink) -> str:
    return settings.FIELDOPS_PUBLIC_URL + reverse("form-signature", args=[signing_token(link)])


def read_signing_token(token: str) -> SigningLink | None:
    """The link a token names, or None when it is forged, malformed or older than a day."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
        return SigningLink(booking_id=int(data["b"]), template_id=int(data["t"]), key=str(data["k"]),
                           fieldworker_id=int(data["f"]))
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        return None
