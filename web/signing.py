"""Signing pages: a canvas to draw on, a name, one POST (decision 0925).

* ``/portal/bookings/<id>/sign``: the signed-in customer signs for their booking (channel PORTAL).
* ``/sign/<token>/``: a link the bot sends a fieldworker who accepted the job; the customer signs on
  the fieldworker's phone (channel TELEGRAM, the fieldworker is the actor, the typed name the signer).

The drawing arrives as the canvas's PNG data URL and is checked by ``core.files.services.signature_add``
(a PNG, within the cap, not blank). GETs only read. Files on the portal booking page are listed here too
(``booking_files``), each behind a link made for the viewer.
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.actors import Actor, Channel
from core.bookings import zones
from core.bookings.models import Booking, BookingStatus
from core.bookings.selectors import booking_for
from core.company.selectors import get_company
from core.errors import DomainError
from core.files import links
from core.files.models import FileKind
from core.files.selectors import visible_files
from core.files.services import signature_add
from core.workforce.models import Fieldworker

PREFIX = "data:image/png;base64,"
MAX_DATA_URL = 300_000  # characters: more than the signature cap (200 kB) in base64


def booking_files(actor: Actor, booking_id: int) -> list[dict]:
    rows = visible_files(actor).filter(booking_id=booking_id).select_related("signature")
    return [{"stored": row, "signature": row.signature if row.kind == FileKind.SIGNATURE else None,
             "url": links.file_path(actor, row), "thumbnail_url": links.file_path(actor, row, "thumbnail")}
            for row in rows]


def _png(raw: str | None) -> bytes:
    raw = raw or ""
    if len(raw) > MAX_DATA_URL:
        raise DomainError("file_over_cap", "The drawing is too large.", field="signature")
    if not raw.startswith(PREFIX):
        raise DomainError("signature_blank", "Draw your signature first.", field="signature")
    try:
        return base64.b64decode(raw[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("file_type_refused", "A signature is a PNG drawing.", field="signature")


def _page(request, booking: Booking, *, action: str, back_url: str, error: str = "", signer_name: str = "",
          done: bool = False, status: int = 200):
    zone = zones.zone_of(booking)
    return render(request, "web/sign.html", {
        "company": get_company(), "booking": booking, "action": action, "back_url": back_url, "error": error,
        "signer_name": signer_name, "done": done, "zone": zone, "zone_name": zone.key}, status=status)


def _sign(request, booking: Booking, actor: Actor, channel: Channel, *, action: str, back_url: str,
          default_name: str = ""):
    if request.method != "POST":
        return _page(request, booking, action=action, back_url=back_url, signer_name=default_name,
                     done=bool(request.GET.get("signed")))
    signer_name = request.POST.get("signer_name", "")
    try:
        signature_add(actor=actor, channel=channel, booking_id=booking.pk, png=_png(request.POST.get("signature")),
                      signer_name=signer_name)
    except DomainError as exc:
        return _page(request, booking, action=action, back_url=back_url, error=exc.message, signer_name=signer_name,
                     status=400)
    return HttpResponseRedirect(f"{action}?signed=1")


def _not_found(request, text: str = "This job does not exist or the link is not yours.", status: int = 404):
    return render(request, "web/portal/message.html", {"company": get_company(), "title": "Nothing to sign",
                                                       "text": text}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def portal_sign(request, booking_id: int):
    from .portal import _login_redirect, _portal_actor  # the portal's session, read the portal's way

    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    booking = booking_for(actor, booking_id)
    if booking is None or booking.status == BookingStatus.CANCELLED:
        return _not_found(request)
    return _sign(request, booking, actor, Channel.PORTAL, action=reverse("portal-sign", args=[booking.pk]),
                 back_url=reverse("portal-booking", args=[booking.pk]),
                 default_name=booking.customer.name)


EXPIRED = "This signing link has expired. Ask the bot for a new one."


@require_http_methods(["GET", "HEAD", "POST"])
def link_sign(request, token: str):
    found = links.read_signing_token(token)
    if isinstance(found, links.TokenProblem):
        if found.code == "expired":
            return _not_found(request, EXPIRED, status=410)
        return _not_found(request)
    fieldworker_id, booking_id = found
    fieldworker = Fieldworker.objects.select_related("user").filter(pk=fieldworker_id).first()
    if fieldworker is None or not fieldworker.user.is_active:
        return _not_found(request)
    actor = Actor.for_fieldworker(fieldworker)
    booking = booking_for(actor, booking_id)
    if booking is None or booking.status == BookingStatus.CANCELLED:
        return _not_found(request)
    path = reverse("link-sign", args=[token])
    return _sign(request, booking, actor, Channel.TELEGRAM, action=path, back_url=path)
