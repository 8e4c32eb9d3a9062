"""The booking job sheet: what is to be done, where and when, for how much, under which terms, branded
with the default trading name. Rendered by ``core.pdf`` (template ``pdf/booking_job_sheet.html``)."""

from __future__ import annotations

from django.utils import timezone

from core.actors import Actor
from core.company.selectors import default_trading_name, get_company, terms_in_force
from core.pdf import Document, document_path, document_url, image_data_uri

from . import zones
from .models import AssignmentStatus, Booking


def _when(start, end) -> str:
    same_day = start.date() == end.date()
    return (f"{start:%a %d %b %Y, %H:%M} to {end:%H:%M}" if same_day
            else f"{start:%a %d %b %Y, %H:%M} to {end:%a %d %b %Y, %H:%M}")


def context_for(booking: Booking) -> dict:
    trading_name = default_trading_name()
    lines = list(booking.lines.all())
    zone = zones.zone_of(booking)
    company = get_company()
    return {
        "trading_name": trading_name,
        "logo": image_data_uri(trading_name.logo),
        "company": company,
        "currency": company.currency,
        "booking": booking,
        "number": booking.number,
        "customer": booking.customer,
        "property": booking.property,
        # formatted here, on the booking's wall clock: the template engine would convert to its own zone
        "when": _when(booking.scheduled_start.astimezone(zone), booking.scheduled_end.astimezone(zone)),
        "zone_name": zone.key,
        "lines": lines,
        "subtotal": booking.subtotal,
        "tax_total": booking.tax_total,
        "total": booking.total,
        "workers": [assignment.fieldworker for assignment in booking.assignments.all()
                    if assignment.status == AssignmentStatus.ACCEPTED],
        "terms": terms_in_force(trading_name),
        "printed_at": timezone.now().astimezone(zone).strftime("%d %b %Y %H:%M"),
        "signatures": _signatures(booking, zone),
        "forms": _forms(booking.pk),
    }


def _signatures(booking: Booking, zone) -> list[dict]:
    """The signatures drawn on the booking, each as a ``data:`` image with who signed and when (core.files)."""
    from core.files.selectors import booking_signatures

    return [{"signer_name": item.signer_name, "image": image_data_uri(item.file.file, "image/png"),
             "signed_at": item.signed_at.astimezone(zone).strftime("%d %b %Y %H:%M")}
            for item in booking_signatures(booking.pk)]


def _forms(booking_id: int) -> list:
    """The submitted customer-visible forms (the sheet goes to the customer too, decision 0916)."""
    from core.jobdata.forms_selectors import shown_forms

    return shown_forms(booking_id)


def job_sheet(booking: Booking) -> Document:
    return Document(filename=f"booking-{booking.number}.pdf", template="pdf/booking_job_sheet.html",
                    context=context_for(booking))


def build(pk: int, check: str) -> Document | None:
    """For ``core.pdf.DOCUMENTS``: the booking a link names while its number still matches."""
    booking = (Booking.objects.select_related("customer", "property")
               .prefetch_related("lines", "assignments__fieldworker").filter(pk=pk).first())
    if booking is None or str(booking.number) != check:
        return None
    return job_sheet(booking)


def may_download(actor: Actor, booking: Booking) -> bool:
    """Staff, and the booking's own customer. (Fieldworkers have the job in chat; not the priced sheet.)"""
    return actor.is_staff or (actor.is_customer and actor.customer_id is not None
                              and booking.customer_id == actor.customer_id)


def download_url(actor: Actor, booking: Booking) -> str | None:
    """An absolute, short-lived link of the job sheet, or None for an actor who may not have it."""
    return document_url("booking", booking.pk, booking.number) if may_download(actor, booking) else None


def download_path(actor: Actor, booking: Booking) -> str | None:
    return document_path("booking", booking.pk, booking.number) if may_download(actor, booking) else None
