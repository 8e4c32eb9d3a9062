"""The quote PDF (``pdf/quote.html``), branded with the quote's trading name, with the terms version
it was sent under (a draft: the version in force now) and every figure read from the stored lines.

Also the quote's signed link (``/q/<token>/``): it names the quote and its number and lasts
``SALES_QUOTE_LINK_DAYS``; a renumbered or deleted quote's links stop working. The link is the
customer's permission to see and answer that one quote (decision 0824)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone

from core.actors import Actor
from core.company.selectors import get_company, terms_in_force
from core.pdf import Document, document_path, document_url, image_data_uri

from .quote_models import Quote, QuoteStatus
from .quote_selectors import loaded_quotes, visible_quotes

LINK_SALT = "fieldops.quote.link"


def context_for(quote: Quote) -> dict:
    from .invoices import figures

    trading_name = quote.trading_name
    lines = list(quote.lines.all())
    terms = quote.terms_version if quote.status != QuoteStatus.DRAFT else terms_in_force(trading_name)
    company = get_company()
    totals = figures(lines)  # type: ignore[arg-type]
    return {
        "trading_name": trading_name, "logo": image_data_uri(trading_name.logo), "company": company,
        "currency": quote.currency, "quote": quote, "customer": quote.customer, "property": quote.property,
        "rows": [{"line": line, "figures": line.figures} for line in lines],
        "taxes": [{"rate": rate, "tax": tax} for rate, tax in totals.taxes if tax],
        "tax_summary": totals.summary,
        "subtotal": quote.subtotal, "discount_total": quote.discount_total, "tax_total": quote.tax_total,
        "total": quote.total, "terms": terms,
        "printed_at": timezone.now().astimezone(company.tz).strftime("%d %b %Y %H:%M"),
    }


def quote_document(quote: Quote) -> Document:
    return Document(filename=f"quote-{quote.number}.pdf", template="pdf/quote.html", context=context_for(quote))


def render(quote: Quote) -> bytes:
    return quote_document(quote).render()


def build(pk: int, check: str) -> Document | None:
    """For ``core.pdf.DOCUMENTS``: the quote a link names while its number still matches."""
    quote = loaded_quotes().filter(pk=pk).first()
    if quote is None or quote.number != check:
        return None
    return quote_document(quote)


def loaded(quote_id: int, actor: Actor) -> Quote | None:
    """The quote with what its page and PDF print, when ``actor`` may see it."""
    return loaded_quotes().filter(pk__in=visible_quotes(actor).filter(pk=quote_id).values("pk")).first()


def download_url(actor: Actor, quote: Quote) -> str | None:
    """A short-lived signed link of the PDF; rows reach a caller through ``visible_quotes`` already."""
    if not (actor.is_staff or actor.is_system or quote.status != QuoteStatus.DRAFT):
        return None
    return document_url("quote", quote.pk, quote.number)


def download_path(quote: Quote) -> str:
    return document_path("quote", quote.pk, quote.number)


# --- the link sent to the customer -------------------------------------------------------------


def link_token(quote: Quote) -> str:
    return signing.dumps({"q": quote.pk, "n": quote.number}, salt=LINK_SALT, compress=True)


def link_url(quote: Quote) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}/q/{link_token(quote)}/"


@dataclass(frozen=True)
class LinkProblem:
    code: str  # invalid or expired


def read_link(token: str) -> Quote | LinkProblem:
    """The sent (or answered) quote a token names, or why not. Never raises for bad input."""
    if not token or len(token) > 300:
        return LinkProblem("invalid")
    days = getattr(settings, "SALES_QUOTE_LINK_DAYS", 400)
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=days * 86400)
    except signing.SignatureExpired:
        return LinkProblem("expired")
    except signing.BadSignature:
        return LinkProblem("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("q"), int) or not isinstance(data.get("n"), str):
        return LinkProblem("invalid")
    quote = loaded_quotes().filter(pk=data["q"], number=data["n"]).exclude(status=QuoteStatus.DRAFT).first()
    return quote if quote is not None else LinkProblem("invalid")
