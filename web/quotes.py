"""Quotes for customers: the landing of the signed link a quote e-mail or text carries (``/q/<token>/``)
and the portal's list and pages (``/portal/quotes/``), each with the PDF. A GET only reads (link
scanners and mail previews follow GETs); a POST, with its CSRF token, accepts or declines through
``core.sales.quotes`` (channel EMAIL_LINK or PORTAL). A customer sees their own sent quotes
(``visible_quotes``); anyone else's, a draft, and a missing one all answer the same "not found" page.

The page also lists the quote's attachments marked for the customer, each behind a link made for this
viewer (decision 0922), and the customer's complaints about the quote with a form to raise one, as the
booking page does (decisions 0935, 0943)."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.actors import Actor, Channel
from core.complaints.selectors import complaint_types, visible_complaints
from core.errors import DomainError
from core.files import links
from core.files.selectors import visible_files
from core.ratelimit import hit
from core.sales import quote_pdf, quotes
from core.sales.quote_models import Quote, QuoteStatus
from core.sales.quote_selectors import visible_quotes

from .documents import _plain, pdf_response
from .portal import _login_redirect, _page, _portal_actor, _too_many, complaint_from_form
from .ratelimit import client_ip

GET = require_http_methods(["GET", "HEAD"])
ANSWER_LIMIT = (10, 10 * 60)  # answers per quote and client address per window (seconds)
NOTICES = {"accepted": "Thank you: the quote is accepted. We will be in touch about the job.",
           "declined": "The quote is declined. Thank you for letting us know."}


def _missing(request):
    return _page(request, "message.html", {"title": "Quote not found",
                                           "text": "This quote does not exist or is not yours."}, status=404)


def quote_files(actor: Actor, quote_id: int) -> list[dict]:
    """The quote's files ``actor`` sees (a customer: those marked for them), with links made for them."""
    rows = visible_files(actor).filter(quote_id=quote_id)
    return [{"stored": row, "url": links.file_path(actor, row),
             "thumbnail_url": links.file_path(actor, row, "thumbnail")} for row in rows]


def _detail(request, quote: Quote, actor: Actor, *, pdf_url: str, complaint_url: str, back_url: str | None,
            notice: str = "", error: str = "", status: int = 200, complaint: dict | None = None):
    complaint = complaint or {}
    return _page(request, "quote.html", {
        "quote": quote, "lines": [{"line": line, "figures": line.figures} for line in quote.lines.all()],
        "pdf_url": pdf_url, "back_url": back_url, "signed_in": back_url is not None, "notice": notice,
        "error": error, "open": quote.status == QuoteStatus.SENT,
        "files": quote_files(actor, quote.pk),
        "complaints": list(visible_complaints(actor).filter(quote_id=quote.pk).select_related("type", "status")
                           .order_by("created_at", "id")),
        "complaint_types": list(complaint_types(actor, active_only=True)), "complaint_url": complaint_url,
        "complaint_text": complaint.get("text", ""), "complaint_type": complaint.get("type", ""),
        "complaint_error": complaint.get("error", "")}, status=status)


def _complaint(request, quote: Quote, actor: Actor, channel: Channel, page):
    """The customer raises a complaint about this quote (POST only: the quote page shows the form).
    ``page(status=..., complaint=...)`` renders the quote page again with the form's error."""
    return complaint_from_form(request, actor=actor, channel=channel, about={"quote_id": quote.pk},
                               missing=_missing, page=page,
                               done_url=request.path.removesuffix("complaint") + "?complained=1#complaints")


def _answer(request, quote: Quote, actor: Actor, channel: Channel):
    """The POST: accept or decline; the page again with the outcome."""
    if not hit("quote-answer", f"{quote.pk}:{client_ip(request)}", limit=ANSWER_LIMIT[0], window=ANSWER_LIMIT[1]):
        return None, _too_many(request)
    answer = request.POST.get("answer", "")
    try:
        if answer == "accept":
            quotes.quote_accept(actor=actor, channel=channel, quote_id=quote.pk)
        elif answer == "decline":
            quotes.quote_decline(actor=actor, channel=channel, quote_id=quote.pk,
                                 reason=request.POST.get("reason", "")[:2000])
        else:
            return "Choose to accept or decline the quote.", None
    except DomainError as exc:
        if exc.code == "not_found":
            return None, _missing(request)
        if exc.code == "illegal_transition":
            return f"This quote is {quote.status} already.", None
        return exc.message, None
    return "", HttpResponseRedirect(request.path + f"?answered={'accepted' if answer == 'accept' else 'declined'}",
                                    status=303)


def _notice(request) -> str:
    if request.GET.get("complained"):
        return "Thank you for telling us. We will look into it and get back to you."
    return NOTICES.get(request.GET.get("answered", ""), "")


# --- the signed link ---------------------------------------------------------------------------


def _linked(request, token: str):
    found = quote_pdf.read_link(token)
    if isinstance(found, quote_pdf.LinkProblem):
        expired = found.code == "expired"
        return None, _page(request, "message.html", {
            "title": "This link has expired" if expired else "Quote not found",
            "text": "Sign in to the portal to see your quotes.", "show_login": True}, status=410 if expired else 404)
    return found, None


@require_http_methods(["GET", "HEAD", "POST"])
def link_quote(request, token: str):
    quote, refusal = _linked(request, token)
    if refusal is not None:
        return refusal
    actor = Actor.for_customer(quote.customer)
    urls = {"pdf_url": reverse("link-quote-pdf", args=[token]),
            "complaint_url": reverse("link-quote-complaint", args=[token]), "back_url": None}
    if request.method == "POST":
        error, response = _answer(request, quote, actor, Channel.EMAIL_LINK)
        if response is not None:
            return response
        quote.refresh_from_db()
        return _detail(request, quote, actor, **urls, error=error, status=409)
    return _detail(request, quote, actor, **urls, notice=_notice(request))


@require_http_methods(["POST"])
def link_quote_complaint(request, token: str):
    quote, refusal = _linked(request, token)
    if refusal is not None:
        return refusal
    actor = Actor.for_customer(quote.customer)
    urls = {"pdf_url": reverse("link-quote-pdf", args=[token]),
            "complaint_url": reverse("link-quote-complaint", args=[token]), "back_url": None}
    return _complaint(request, quote, actor, Channel.EMAIL_LINK,
                      lambda **form: _detail(request, quote, actor, **urls, **form))


@GET
def link_quote_pdf(request, token: str):
    quote, refusal = _linked(request, token)
    if refusal is not None:
        return refusal
    return pdf_response(request, quote_pdf.quote_document(quote))


# --- the portal --------------------------------------------------------------------------------


@GET
def portal_quotes(request):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    rows = visible_quotes(actor).order_by("-sent_at", "-id")[:200]
    return _page(request, "quotes.html", {"rows": rows, "signed_in": True})


def _portal_urls(quote: Quote) -> dict:
    return {"pdf_url": reverse("portal-quote-pdf", args=[quote.pk]),
            "complaint_url": reverse("portal-quote-complaint", args=[quote.pk]), "back_url": reverse("portal-quotes")}


@require_http_methods(["GET", "HEAD", "POST"])
def portal_quote(request, quote_id: int):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    quote = quote_pdf.loaded(quote_id, actor)
    if quote is None:
        return _missing(request)
    if request.method == "POST":
        error, response = _answer(request, quote, actor, Channel.PORTAL)
        if response is not None:
            return response
        quote.refresh_from_db()
        return _detail(request, quote, actor, **_portal_urls(quote), error=error, status=409)
    return _detail(request, quote, actor, **_portal_urls(quote), notice=_notice(request))


@require_http_methods(["POST"])
def portal_quote_complaint(request, quote_id: int):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    quote = quote_pdf.loaded(quote_id, actor)
    if quote is None:
        return _missing(request)
    return _complaint(request, quote, actor, Channel.PORTAL,
                      lambda **form: _detail(request, quote, actor, **_portal_urls(quote), **form))


@GET
def portal_quote_pdf(request, quote_id: int):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    quote = quote_pdf.loaded(quote_id, actor)
    if quote is None:
        return _plain(404, "No such document.")
    return pdf_response(request, quote_pdf.quote_document(quote))
