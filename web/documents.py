"""PDF downloads: ``/documents/<token>/`` for the short-lived signed links GraphQL hands out
(``Booking.pdfUrl``), and the job sheet of a booking on the portal and behind a booking link.

A link that is forged, garbled, expired or names a document that changed answers 404 or 410 with a
plain sentence and nothing of the document. Responses are never cached and send no referrer (the
token is in the URL). Rendering costs CPU, so downloads are rate-limited per client address."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from core import pdf
from core.bookings import job_sheet
from core.ratelimit import hit

from .ratelimit import client_ip

DOWNLOAD_LIMIT = (30, 10 * 60)  # PDFs per client address per window (seconds)


def _plain(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def pdf_response(request, document: pdf.Document) -> HttpResponse:
    if not hit("pdf", client_ip(request), limit=DOWNLOAD_LIMIT[0], window=DOWNLOAD_LIMIT[1]):
        return _plain(429, "Too many downloads. Please wait a few minutes.")
    response = HttpResponse(document.render(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "HEAD"])
def document(request, token: str):
    found = pdf.read_document_token(token)
    if isinstance(found, pdf.TokenProblem):
        if found.code == "expired":
            return _plain(410, "This download link has expired. Ask for a new one.")
        return _plain(404, "No such document.")
    built = pdf.build_document(*found)
    if built is None:
        return _plain(404, "No such document.")
    return pdf_response(request, built)


def booking_job_sheet(request, booking, actor, where):
    """For the portal and booking-link views: the booking (already scoped to ``actor``) as a PDF."""
    if not job_sheet.may_download(actor, booking):
        return _plain(404, "No such document.")
    return pdf_response(request, job_sheet.job_sheet(booking))
