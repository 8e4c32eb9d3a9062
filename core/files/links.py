"""Short-lived signed download links of stored files, made for one viewer (decision 0922).

``file_url(actor, stored, variant)`` gives ``FIELDOPS_PUBLIC_URL/files/<token>/``: a
``django.core.signing`` token (own salt) naming the file, the variant (the file or its thumbnail) and
the viewer it was made for (a user, or a customer or fieldworker without a login). The download view
re-checks that this viewer still sees the file (``selectors.visible_files``), so a link outlives
neither the viewer's right nor ``FIELDOPS_FILE_LINK_SECONDS``, and a forwarded link opens only what the
person it was made for may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from core.actors import Actor

from .models import StoredFile

SALT = "fieldops.files.download"
MAX_TOKEN_CHARS = 300
VARIANTS = ("file", "thumbnail")


@dataclass(frozen=True)
class TokenProblem:
    code: str  # "invalid" or "expired"


@dataclass(frozen=True)
class Viewer:
    kind: str  # "u" user, "c" customer, "f" fieldworker
    pk: int


def viewer_of(actor: Actor) -> Viewer | None:
    if actor.is_customer and actor.customer_id is not None:
        return Viewer("c", actor.customer_id)
    if actor.is_fieldworker and actor.fieldworker_id is not None:
        return Viewer("f", actor.fieldworker_id)
    if actor.is_staff and actor.user is not None:
        return Viewer("u", actor.user.pk)
    return None


def actor_of(viewer: Viewer) -> Actor:
    """The viewer as they are now (a deactivated user or a changed role sees what they now may)."""
    if viewer.kind == "u":
        from core.accounts.models import User

        return Actor.from_user(User.objects.filter(pk=viewer.pk).first())
    if viewer.kind == "c":
        from core.crm.models import Customer

        customer = Customer.objects.select_related("user").filter(pk=viewer.pk).first()
        return Actor.for_customer(customer) if customer is not None else Actor.anonymous()
    from core.workforce.models import Fieldworker

    fieldworker = Fieldworker.objects.select_related("user").filter(pk=viewer.pk).first()
    if fieldworker is None or (fieldworker.user is not None and not fieldworker.user.is_active):
        return Actor.anonymous()
    return Actor.for_fieldworker(fieldworker)


def file_path(actor: Actor, stored: StoredFile, variant: str = "file") -> str | None:
    viewer = viewer_of(actor)
    if viewer is None or variant not in VARIANTS or (variant == "thumbnail" and not stored.thumbnail):
        return None
    token = signing.dumps({"f": stored.pk, "v": variant[0], "w": f"{viewer.kind}{viewer.pk}"}, salt=SALT)
    return f"/files/{token}/"


def file_url(actor: Actor, stored: StoredFile, variant: str = "file") -> str | None:
    path = file_path(actor, stored, variant)
    return f"{settings.FIELDOPS_PUBLIC_URL}{path}" if path else None


def read_token(token: str) -> tuple[int, str, Viewer] | TokenProblem:
    """(file id, variant, viewer) that a valid, unexpired token names; never raises for bad input."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return TokenProblem("invalid")
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.FIELDOPS_FILE_LINK_SECONDS)
    except signing.SignatureExpired:
        return TokenProblem("expired")
    except (signing.BadSignature, ValueError):
        return TokenProblem("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("f"), int) or data.get("v") not in ("f", "t"):
        return TokenProblem("invalid")
    who = data.get("w")
    if not isinstance(who, str) or len(who) < 2 or who[0] not in "ucf" or not who[1:].isdigit():
        return TokenProblem("invalid")
    return data["f"], "file" if data["v"] == "f" else "thumbnail", Viewer(who[0], int(who[1:]))


# --- signing links: a fieldworker's phone opens a signing page for one job (sent by the bot) -----------

SIGNING_SALT = "fieldops.files.signing"


def signing_token(*, fieldworker_id: int, booking_id: int) -> str:
    return signing.dumps({"w": fieldworker_id, "b": booking_id}, salt=SIGNING_SALT)


def signing_url(*, fieldworker_id: int, booking_id: int) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/sign/{signing_token(fieldworker_id=fieldworker_id, booking_id=booking_id)}/"


def read_signing_token(token: str) -> tuple[int, int] | TokenProblem:
    """(fieldworker id, booking id) of a valid, unexpired signing link; never raises for bad input."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return TokenProblem("invalid")
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=settings.FIELDOPS_SIGNING_LINK_SECONDS)
    except signing.SignatureExpired:
        return TokenProblem("expired")
    except (signing.BadSignature, ValueError):
        return TokenProblem("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("w"), int) or not isinstance(data.get("b"), int):
        return TokenProblem("invalid")
    return data["w"], data["b"]
