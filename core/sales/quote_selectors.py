"""Scoped reads of quotes (decision 0103).

Who sees a quote: staff every one; a customer their own once sent (drafts are the office's); a
fieldworker none (a quote is prices and nothing else). System: all. (Decision 0822.)
"""

from __future__ import annotations

from django.db.models import QuerySet

from core.actors import Actor

from .quote_models import Quote, QuoteEvent, QuoteStatus


def visible_quotes(actor: Actor) -> QuerySet[Quote]:
    qs = Quote.objects.all()
    if actor.is_staff or actor.is_system:
        return qs
    if actor.is_customer and actor.customer_id is not None:
        return qs.filter(customer_id=actor.customer_id).exclude(status=QuoteStatus.DRAFT)
    return qs.none()


def visible_quote_history(actor: Actor) -> QuerySet[QuoteEvent]:
    """The office's record: staff only."""
    return QuoteEvent.objects.all() if (actor.is_staff or actor.is_system) else QuoteEvent.objects.none()


def loaded_quotes() -> QuerySet[Quote]:
    """With what a page, an e-mail or the PDF prints."""
    return (Quote.objects.select_related("trading_name", "customer", "property", "terms_version", "owner")
            .prefetch_related("lines", "labels"))
