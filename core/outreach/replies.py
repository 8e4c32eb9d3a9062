"""Reply addresses: an e-mail about a booking can be answered, and the answer lands in its discussion.

A booking's e-mails carry ``Reply-To: reply+<booking id>.<mac>@<INBOUND_EMAIL_DOMAIN>``. The mac is a
keyed HMAC of the booking id (Django's ``salted_hmac`` with the secret key), lower-case hex so that a
mail system folding the local part to lower case does not break it, and 20 characters long so that
the local part stays far below the 64 characters an address allows (decision 0614). No expiry: an
answer to last month's reminder still belongs to that booking.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "fieldops.outreach.reply-address"
_MAC_LENGTH = 20
_LOCAL = re.compile(r"^reply\+(?P<booking>[1-9][0-9]{0,17})\.(?P<mac>[0-9a-f]{" + str(_MAC_LENGTH) + "})$")


def _mac(booking_id: int) -> str:
    return salted_hmac(_SALT, str(booking_id), algorithm="sha256").hexdigest()[:_MAC_LENGTH]


def enabled() -> bool:
    return bool(getattr(settings, "INBOUND_EMAIL_DOMAIN", ""))


def reply_address(booking_id: int) -> str | None:
    """The address an answer to this booking's e-mails goes to; None while inbound mail is off."""
    if not enabled():
        return None
    return f"reply+{booking_id}.{_mac(booking_id)}@{settings.INBOUND_EMAIL_DOMAIN}"


def booking_of(recipient: str) -> int | None:
    """The booking a reply address was made for, or None for any other address (a forged or altered
    mac, another domain, a plain address)."""
    address = parseaddr(recipient or "")[1].strip()
    local, _, domain = address.rpartition("@")
    if not local or domain.lower() != str(getattr(settings, "INBOUND_EMAIL_DOMAIN", "")).lower():
        return None
    match = _LOCAL.match(local.lower())
    if match is None:
        return None
    booking_id = int(match["booking"])
    return booking_id if constant_time_compare(match["mac"], _mac(booking_id)) else None
