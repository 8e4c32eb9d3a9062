"""Where a webhook may go (decision 0061): an absolute https URL whose host resolves only to public
addresses. Plain http and loopback addresses are allowed only with ``FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK``
(on under DEBUG and tests), for a receiver on this machine. Private, link-local (the cloud metadata
address 169.254.169.254 among them), multicast, reserved and unspecified addresses are always
refused: a webhook must not become a way to reach the inside of our network. Checked when the URL
is saved and again before every attempt (a name may resolve elsewhere later)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import ValidationFailed

MAX_URL = 500


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationFailed("url", f"The host {host[:100]} cannot be resolved.", code="webhook_url_unresolvable")
    found = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        found.append(address)
    return found


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.is_loopback:
        return not settings.FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK
    return (address.is_private or address.is_link_local or address.is_multicast or address.is_reserved
            or address.is_unspecified or not address.is_global)


def check_url(url: object) -> str:
    """The URL as stored, or ValidationFailed on field ``url`` (codes in core/error_codes.py)."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed("url", "A URL is required.", code="required")
    url = url.strip()
    if len(url) > MAX_URL:
        raise ValidationFailed("url", f"At most {MAX_URL} characters.", code="too_long")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationFailed("url", "Not a URL.", code="webhook_url_invalid")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password \
            or any(ch.isspace() for ch in url):
        raise ValidationFailed("url", "An absolute https:// URL, without a user name or password.",
                               code="webhook_url_invalid")
    addresses = _addresses(parts.hostname, port)
    if not addresses or any(_refused(address) for address in addresses):
        raise ValidationFailed("url", "The URL leads to a private, local or reserved address.",
                               code="webhook_url_private")
    if parts.scheme != "https" and not (settings.FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK
                                        and all(address.is_loopback for address in addresses)):
        raise ValidationFailed("url", "The URL must start with https://.", code="webhook_https_required")
    return url
