"""The invoice PDF (``pdf/invoice.html``), branded with the invoice's trading name, with the terms
version it was issued under (a draft: the version in force now) and every figure read from the
stored lines, so the PDF, the list and the database add the same cents (decision 0830).

Also the invoice's signed link for e-mails (``/i/<token>/``): it names the invoice and its number
and lasts ``SALES_INVOICE_LINK_DAYS``; a renumbered or deleted invoice's links stop working."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone

from core.actors import Actor
from core.company.selectors import get_company, terms_in_force
from core.pdf import Document, document_path, document_url, image_data_uri

from .invoice_models import Invoice, InvoiceStatus
from .invoice_selectors import paid_of, visible_invoices
from .invoice_totals import payment_status

LINK_SALT = "fieldops.invoice.link"


def _invoices():
    return (Invoice.objects.select_related("trading_name", "customer", "booking__property", "terms_version")
            .prefetch_related("lines", "payments"))


def context_for(invoice: Invoice) -> dict:
    trading_name = invoice.trading_name
    lines = list(invoice.lines.all())
    paid = paid_of(invoice)
    terms = invoice.terms_version if invoice.status != InvoiceStatus.DRAFT else terms_in_force(trading_name)
    company = get_company()
    from .invoices import figures

    totals = figures(lines)
    return {
        "trading_name": trading_name,
        "logo": image_data_uri(trading_name.logo),
        "company": company,
        "currency": invoice.currency,
        "invoice": invoice,
        "customer": invoice.customer,
        "booking": invoice.booking,
        "property": invoice.booking.property if invoice.booking_id else None,
        "rows": [{"line": line, "figures": line.figures} for line in lines],
        "taxes": [{"rate": rate, "tax": tax} for rate, tax in totals.taxes if tax],
        "tax_summary": totals.summary,
        "subtotal": invoice.subtotal,
        "discount_total": invoice.discount_total,
        "tax_total": invoice.tax_total,
        "total": invoice.total,
        "paid": paid,
        "balance": invoice.total - paid,
        "payment_status": payment_status(invoice.total, paid).replace("_", " "),
        "payments": list(invoice.payments.all()),
        "terms": terms,
        "printed_at": timezone.now().astimezone(company.tz).strftime("%d %b %Y %H:%M"),
    }


def invoice_document(invoice: Invoice) -> Document:
    return Document(filename=f"invoice-{invoice.number}.pdf", template="pdf/invoice.html",
                    context=context_for(invoice))


def render(invoice: Invoice) -> bytes:
    return invoice_document(invoice).render()


def build(pk: int, check: str) -> Document | None:
    """For ``core.pdf.DOCUMENTS``: the invoice a link names while its number still matches."""
    invoice = _invoices().filter(pk=pk).first()
    if invoice is None or invoice.number != check:
        return None
    return invoice_document(invoice)


def loaded(invoice_id: int, actor: Actor) -> Invoice | None:
    """The invoice with what its PDF prints, when ``actor`` may see it."""
    return _invoices().filter(pk__in=visible_invoices(actor).filter(pk=invoice_id).values("pk")).first()


def download_url(actor: Actor, invoice: Invoice) -> str | None:
    return document_url("invoice", invoice.pk, invoice.number) if _may(actor, invoice) else None


def download_path(actor: Actor, invoice: Invoice) -> str | None:
    return document_path("invoice", invoice.pk, invoice.number) if _may(actor, invoice) else None


def _may(actor: Actor, invoice: Invoice) -> bool:
    """Rows reach a caller through ``visible_invoices`` already; this keeps a draft's PDF the office's."""
    return actor.is_staff or actor.is_system or invoice.status != InvoiceStatus.DRAFT


# --- the e-mailed link --------------------------------------------------------------------------


def link_token(invoice: Invoice) -> str:
    return signing.dumps({"i": invoice.pk, "n": invoice.number}, salt=LINK_SALT, compress=True)


def link_url(invoice: Invoice) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/i/{link_token(invoice)}/"


@dataclass(frozen=True)
class LinkProblem:
    code: str  # invalid or expired


def read_link(token: str) -> Invoice | LinkProblem:
    """The issued (or void) invoice a token names, or why not. Never raises for bad input."""
    if not token or len(token) > 300:
        return LinkProblem("invalid")
    days = getattr(settings, "SALES_INVOICE_LINK_DAYS", 400)
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=days * 86400)
    except signing.SignatureExpired:
        return LinkProblem("expired")
    except signing.BadSignature:
        return LinkProblem("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("n"), str):
        return LinkProblem("invalid")
    invoice = _invoices().filter(pk=data["i"], number=data["n"]).exclude(status=InvoiceStatus.DRAFT).first()
    return invoice if invoice is not None else LinkProblem("invalid")
