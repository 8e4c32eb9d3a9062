"""Invoices for customers: the portal's list and pages (``/portal/invoices/``) and the landing of the
signed link an invoice e-mail carries (``/i/<token>/``), each with the PDF. Only reads: every view
is a GET. A customer sees their own issued and void invoices (``visible_invoices``); anyone else's,
a draft, and a missing one all answer the same "not found" page."""

from __future__ import annotations

from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.sales import invoice_pdf
from core.sales.invoice_models import Invoice
from core.sales.invoice_selectors import paid_of, visible_invoices, with_paid
from core.sales.invoice_totals import payment_status

from .documents import _plain, pdf_response
from .portal import _login_redirect, _page, _portal_actor

GET = require_http_methods(["GET", "HEAD"])


def _row(invoice: Invoice) -> dict:
    paid = paid_of(invoice)
    return {"invoice": invoice, "paid": paid, "balance": invoice.total - paid,
            "payment_status": payment_status(invoice.total, paid).replace("_", " ")}


def _missing(request):
    return _page(request, "message.html", {"title": "Invoice not found",
                                           "text": "This invoice does not exist or is not yours."}, status=404)


def _detail(request, invoice: Invoice, pdf_url: str, back_url: str | None):
    return _page(request, "invoice.html", {**_row(invoice), "lines": [
        {"line": line, "figures": line.figures} for line in invoice.lines.all()],
        "payments": list(invoice.payments.all()), "pdf_url": pdf_url, "back_url": back_url,
        "signed_in": back_url is not None})


@GET
def portal_invoices(request):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    rows = with_paid(visible_invoices(actor)).order_by("-issue_date", "-id")[:200]
    return _page(request, "invoices.html", {"rows": [_row(invoice) for invoice in rows], "signed_in": True})


@GET
def portal_invoice(request, invoice_id: int):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    invoice = invoice_pdf.loaded(invoice_id, actor)
    if invoice is None:
        return _missing(request)
    return _detail(request, invoice, reverse("portal-invoice-pdf", args=[invoice.pk]), reverse("portal-invoices"))


@GET
def portal_invoice_pdf(request, invoice_id: int):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    invoice = invoice_pdf.loaded(invoice_id, actor)
    if invoice is None:
        return _plain(404, "No such document.")
    return pdf_response(request, invoice_pdf.invoice_document(invoice))


def _linked(request, token: str):
    found = invoice_pdf.read_link(token)
    if isinstance(found, invoice_pdf.LinkProblem):
        status = 410 if found.code == "expired" else 404
        title = "This link has expired" if found.code == "expired" else "Invoice not found"
        return None, _page(request, "message.html", {"title": title, "text": "Sign in to the portal to see your "
                                                     "invoices.", "show_login": True}, status=status)
    return found, None


@GET
def link_invoice(request, token: str):
    invoice, refusal = _linked(request, token)
    if refusal is not None:
        return refusal
    return _detail(request, invoice, reverse("link-invoice-pdf", args=[token]), None)


@GET
def link_invoice_pdf(request, token: str):
    invoice, refusal = _linked(request, token)
    if refusal is not None:
        return refusal
    return pdf_response(request, invoice_pdf.invoice_document(invoice))
