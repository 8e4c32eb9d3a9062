"""The signing page a form's signature question links to from the chat (decision 0914): a canvas
the fieldworker hands to the customer, whose drawing is posted as a PNG data URL and saved
through the form services as the fieldworker the link was sent to. GET never changes anything."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.actors import Actor, Channel
from core.bookings.models import Booking
from core.errors import DomainError
from core.jobdata import forms_services
from core.jobdata.forms_links import read_signing_token
from core.jobdata.forms_selectors import forms_for_viewer
from core.workforce.models import Fieldworker

MAX_BODY = 400_000  # a 200 kB PNG as base64, with room for the form's other fields


def _gone(request: HttpRequest, message: str, status: int = 404) -> HttpResponse:
    return render(request, "web/forms/signature_done.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def form_signature(request: HttpRequest, token: str) -> HttpResponse:
    link = read_signing_token(token)
    worker = Fieldworker.objects.filter(pk=link.fieldworker_id).first() if link else None
    if link is None or worker is None or worker.user_id is None:
        return _gone(request, "This signing link is not valid or has expired. Ask for a new one in the chat.")
    actor = Actor.for_fieldworker(worker)
    form = next((item for item in forms_for_viewer(actor, link.booking_id) if item.template.pk == link.template_id),
                None)
    element = next((item for item in form.elements if item.key == link.key), None) if form else None
    if form is None or element is None or element.kind != "signature":
        return _gone(request, "This signing link is not valid or has expired. Ask for a new one in the chat.")
    booking = Booking.objects.get(pk=link.booking_id)
    context = {"booking": booking, "form": form, "element": element, "error": ""}
    if form.submitted or form.answers.get(element.key):
        return _gone(request, "Signed. Thank you. You can close this page.", status=200)
    if request.method == "POST":
        if len(request.body) > MAX_BODY:
            context["error"] = "The drawing is too large."
        elif not request.POST.get("signature"):
            context["error"] = "Draw your signature first."
        else:
            try:
                forms_services.form_answers_save(actor=actor, channel=Channel.TELEGRAM, booking_id=booking.pk,
                                                 template_id=form.template.pk,
                                                 answers={element.key: request.POST.get("signature", "")})
            except DomainError as exc:
                context["error"] = exc.message
            else:
                return _gone(request, "Signed. Thank you. Press Signed in the chat to go on.", status=200)
        return render(request, "web/forms/signature.html", context, status=400)
    return render(request, "web/forms/signature.html", context)
