"""Subscribers of quote events, registered in ``SalesConfig.ready``. Durable (decision 0030): the
e-mail log row and the task rows commit with the sending of the quote, or not at all."""

from __future__ import annotations

from core import events

from . import quote_mail
from .quote_events import QuoteSent
from .quote_models import Quote, QuoteStatus


def on_quote_sent(event: QuoteSent) -> None:
    quote = Quote.objects.filter(pk=event.quote_id, status=QuoteStatus.SENT).first()
    if quote is None:
        return
    if event.send_email:
        quote_mail.queue(quote, dedupe_key=f"quote:{event.event_id}")
    if event.send_sms:
        from .quote_tasks import send_quote_sms

        send_quote_sms.enqueue(quote.pk)


def register() -> None:
    events.subscribe(QuoteSent, on_quote_sent, durable=True)
