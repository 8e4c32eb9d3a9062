"""Background work for quotes, through the Tasks API; arguments are ids only (decision 0037).

* ``expire_quotes`` (periodic, daily just after midnight company time): sent quotes past their
  validity become expired; ``JobRun`` makes each day's run once, and the service skips a quote
  answered in between, so a quote expires exactly once.
* ``send_follow_up_reminders`` (periodic, daily at 08:00): the owner of each quote whose follow-up
  date has come gets one e-mail per follow-up date: the quote is marked in the transaction that
  enqueues the e-mail's task (decision 0826).
* ``send_quote_sms``: the text of a quote sent with ``send_sms``.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from core.actors import Actor, Channel

from . import quote_mail, quotes
from .quote_models import Quote, QuoteStatus

logger = logging.getLogger(__name__)


def expire_quotes_now() -> int:
    return quotes.quote_expire_due(actor=Actor.system(), channel=Channel.SYSTEM)


@task()
def expire_quotes() -> int:
    return expire_quotes_now()


def send_follow_up_reminders_now() -> int:
    count = 0
    for pk in quotes.follow_ups_due():
        with transaction.atomic():
            quote = quotes.quote_follow_up_mark(actor=Actor.system(), channel=Channel.SYSTEM, quote_id=pk)
            if quote is not None:
                send_follow_up.enqueue(quote.pk)
                count += 1
    return count


@task()
def send_follow_up_reminders() -> int:
    return send_follow_up_reminders_now()


@task()
def send_follow_up(quote_id: int) -> bool:
    quote = Quote.objects.select_related("owner", "customer").filter(pk=quote_id).first()
    if quote is None or quote.owner is None or not quote.owner.email:
        return False
    send_mail(subject=f"Follow up quote {quote.number} ({quote.customer.name})",
              message=(f"Quote {quote.number} for {quote.customer.name}, {quote.currency} {quote.total}, is "
                       f"{quote.get_status_display().lower()}. Its follow-up date is "
                       f"{quote.follow_up_date:%d %b %Y}."),
              from_email=None, recipient_list=[quote.owner.email])
    return True


@task()
def send_quote_sms(quote_id: int) -> int | None:
    """Text a sent quote to the number kept when it was sent; the log row's id, or None."""
    from core.sms import services as sms_services

    quote = Quote.objects.select_related("trading_name").filter(pk=quote_id, status=QuoteStatus.SENT).first()
    if quote is None or not quote.sms_to:
        return None
    message = sms_services.sms_send(actor=Actor.system(), channel=Channel.SYSTEM, to=quote.sms_to,
                                    body=quote_mail.sms_body(quote), customer_id=quote.customer_id)
    return message.pk
