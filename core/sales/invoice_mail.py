"""Invoice e-mails: the invoice when it is issued and the overdue reminders, both through outreach's
logged path (``email_queue``: a log row and its delivery task, ids only), each tied to its invoice
by an ``InvoiceEmail`` row. They render when sent, from the invoice as it is then, with the PDF
attached and the invoice's signed link; both kinds are automated e-mails, so the pause switches of
the customer and of the invoice's booking hold them back (logged as skipped, decision 0604)."""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone

from core.actors import Actor, Channel
from core.outreach import services as outreach
from core.outreach.emails import Rendered, own_address
from core.outreach.links import portal_url
from core.outreach.models import EmailKind, EmailMessage

from . import invoice_pdf
from .invoice_models import Invoice, InvoiceEmail, InvoiceEmailKind
from .invoice_selectors import paid_of

KINDS = {InvoiceEmailKind.ISSUED: EmailKind.INVOICE, InvoiceEmailKind.REMINDER: EmailKind.INVOICE_REMINDER}


def queue(invoice: Invoice, kind: str, *, dedupe_key: str, at: datetime | None = None) -> EmailMessage | None:
    """Log the e-mail (or its skip) and tie it to the invoice; None when ``dedupe_key`` was used."""
    message = outreach.email_queue(actor=Actor.system(), channel=Channel.SYSTEM, kind=KINDS[kind],
                                   booking_id=invoice.booking_id, customer_id=invoice.customer_id,
                                   dedupe_key=dedupe_key)
    if message is not None:
        InvoiceEmail.objects.create(invoice=invoice, email_message=message, kind=kind, created_at=at or timezone.now())
    return message


def render(message: EmailMessage) -> Rendered | None:
    link = InvoiceEmail.objects.filter(email_message_id=message.pk).first()
    if link is None:
        return None
    invoice = invoice_pdf._invoices().filter(pk=link.invoice_id).first()
    if invoice is None or invoice.status != "issued":
        return None  # voided or back in draft before it went: nothing to send (recorded as failed)
    paid = paid_of(invoice)
    trading_name = invoice.trading_name
    reminder = link.kind == InvoiceEmailKind.REMINDER
    subject = (f"{trading_name.name}: invoice {invoice.number} is overdue" if reminder
               else f"{trading_name.name}: invoice {invoice.number}")
    context = {"company": trading_name, "subject": subject, "invoice": invoice, "customer": invoice.customer,
               "balance": invoice.total - paid, "paid": paid, "reminder": reminder,
               "link_url": invoice_pdf.link_url(invoice), "portal_url": portal_url()}
    return Rendered(subject=subject, text=render_to_string("sales/email/invoice.txt", context),
                    html=render_to_string("sales/email/invoice.html", context),
                    attachments=((f"invoice-{invoice.number}.pdf", invoice_pdf.render(invoice), "application/pdf"),),
                    sender_name=trading_name.sender_name or trading_name.name, reply_to=trading_name.email,
                    from_address=own_address(trading_name.sender_name or trading_name.name, trading_name.email))
