"""The quote e-mail: sent when the quote is, through outreach's logged path (``email_queue``: a log
row and its delivery task, ids only), tied to its quote by a ``QuoteEmail`` row. It renders when
sent, from the quote as it is then, with the PDF attached and the quote's signed link. Sending a
quote is a deliberate act of the office, not an automated e-mail: the pause switches do not hold
it back (decision 0824)."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.actors import Actor, Channel
from core.outreach import services as outreach
from core.outreach.emails import Rendered, own_address
from core.outreach.models import EmailKind, EmailMessage

from . import quote_pdf
from .quote_models import Quote, QuoteEmail, QuoteStatus
from .quote_selectors import loaded_quotes


def queue(quote: Quote, *, dedupe_key: str) -> EmailMessage | None:
    message = outreach.email_queue(actor=Actor.system(), channel=Channel.SYSTEM, kind=EmailKind.QUOTE,
                                   customer_id=quote.customer_id, dedupe_key=dedupe_key)
    if message is not None:
        QuoteEmail.objects.create(quote=quote, email_message=message)
    return message


def render(message: EmailMessage) -> Rendered | None:
    link = QuoteEmail.objects.filter(email_message_id=message.pk).first()
    if link is None:
        return None
    quote = loaded_quotes().filter(pk=link.quote_id).first()
    if quote is None or quote.status != QuoteStatus.SENT:
        return None  # answered or expired before it went: nothing to send (recorded as failed)
    trading_name = quote.trading_name
    subject = f"{trading_name.name}: quote {quote.number}"
    context = {"company": trading_name, "subject": subject, "quote": quote, "customer": quote.customer,
               "link_url": quote_pdf.link_url(quote)}
    return Rendered(subject=subject, text=render_to_string("sales/email/quote.txt", context),
                    html=render_to_string("sales/email/quote.html", context),
                    attachments=((f"quote-{quote.number}.pdf", quote_pdf.render(quote), "application/pdf"),),
                    sender_name=trading_name.sender_name or trading_name.name, reply_to=trading_name.email,
                    from_address=own_address(trading_name.sender_name or trading_name.name, trading_name.email))


def sms_body(quote: Quote) -> str:
    return (f"{quote.trading_name.name}: quote {quote.number} for {quote.currency} {quote.total}, valid until "
            f"{quote.valid_until:%d %b %Y}. View: {quote_pdf.link_url(quote)} Reply ACCEPT {quote.number} "
            f"or DECLINE {quote.number}.")
