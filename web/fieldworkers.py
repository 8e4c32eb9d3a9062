"""The fieldworker's e-mail verification page: the signed link from the verification e-mail opens a
form that sets their password; posting it verifies the address and spends the link (decision 0182).
Opening the link only looks (mail scanners open links)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.actors import Actor, Channel
from core.errors import DomainError
from core.ratelimit import hit
from core.workforce import messaging

from .ratelimit import client_ip

VERIFY_IP_LIMIT = (20, 600)  # posts per address per window (seconds)


def _page(request, context: dict, status: int = 200):
    return render(request, "web/fieldworker_verify.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request, uid: str, token: str):
    if messaging.read_verification_link(uid, token) is None:
        return _page(request, {"invalid": True}, status=410)
    if request.method != "POST":
        return _page(request, {})
    if not hit("fw-verify-ip", client_ip(request), limit=VERIFY_IP_LIMIT[0], window=VERIFY_IP_LIMIT[1]):
        return _page(request, {"error": "Too many attempts; try again in a few minutes."}, status=429)
    password, again = request.POST.get("password", ""), request.POST.get("password2", "")
    if password != again:
        return _page(request, {"error": "The two passwords differ."}, status=400)
    try:
        messaging.fieldworker_email_verify(actor=Actor.anonymous(), channel=Channel.EMAIL_LINK, uid=uid, token=token,
                                           password=password)
    except DomainError as exc:
        return _page(request, {"error": exc.message, "invalid": exc.code == "invalid_link"}, status=400)
    return _page(request, {"done": True})


@require_http_methods(["GET", "HEAD"])
def photo(request, token: str):
    """A fieldworker's photo through the short-lived link ``FieldworkerNode.photoUrl`` hands out."""
    from django.http import FileResponse, HttpResponse

    from core.workforce.profile import photo_from_token

    stored = photo_from_token(token)
    if stored is None:
        response = HttpResponse("No such photo.", status=404, content_type="text/plain; charset=utf-8")
    else:
        response = FileResponse(stored.storage.open(stored.name, "rb"), content_type="image/jpeg"
                                if stored.name.lower().endswith((".jpg", ".jpeg")) else None)
        response["Content-Disposition"] = "inline"
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
