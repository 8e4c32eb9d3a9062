"""PDF documents (booking job sheets now; quotes and invoices next) from HTML templates, with WeasyPrint.

* ``render_pdf(template_name, context)`` -> the PDF's bytes. The HTML may reach nothing outside itself:
  the URL fetcher answers ``data:`` URIs only (a logo goes in as one, ``image_data_uri``), so a
  template or a value in it can never make the server fetch a URL or read a file (decision 0812).
* ``document_url(kind, pk, check)`` / ``read_document_token(token)``: a short-lived signed download
  link (``FIELDOPS_PDF_LINK_SECONDS``) that names one document. ``check`` is a value the document
  must still have (a booking's number), so a token cannot be moved to another row.
* ``DOCUMENTS`` maps a kind to the function that builds its ``Document`` (who may have it is checked
  before a link is made; the link itself is the permission, like the signed booking links).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

DOCUMENT_SALT = "fieldops.pdf.document"
MAX_TOKEN_CHARS = 300

# kind -> dotted path of ``build(pk, check) -> Document | None``; quotes and invoices add theirs here
DOCUMENTS: dict[str, str] = {
    "booking": "core.bookings.job_sheet.build",
    "invoice": "core.sales.invoice_pdf.build",
    "quote": "core.sales.quote_pdf.build",
    "payroll_statement": "core.payroll.statements.build",
}


@dataclass(frozen=True)
class Document:
    filename: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    def render(self) -> bytes:
        return render_pdf(self.template, self.context)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render the template with Django's engine and lay it out as a PDF."""
    from weasyprint import HTML  # imported on first use: it loads pango, which only PDFs need
    from weasyprint.urls import URLFetcher

    html = render_to_string(template_name, context)
    fetcher = URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher, base_url="data:,").write_pdf()


def image_data_uri(file_field: Any, content_type: str | None = None) -> str:
    """A stored image (read through its storage) as a ``data:`` URI, or "" when there is none."""
    if not file_field:
        return ""
    try:
        with file_field.storage.open(file_field.name, "rb") as handle:
            data = handle.read()
    except OSError:
        return ""  # a missing file leaves the document without its logo rather than without the document
    if content_type is None:
        extension = file_field.name.rsplit(".", 1)[-1].lower()
        content_type = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                        "webp": "image/webp"}.get(extension, "application/octet-stream")
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def document_token(kind: str, pk: int, check: str | int) -> str:
    if kind not in DOCUMENTS:
        raise ValueError(f"unknown document kind {kind!r}")
    return signing.dumps({"k": kind, "i": pk, "c": str(check)}, salt=DOCUMENT_SALT, compress=True)


def document_path(kind: str, pk: int, check: str | int) -> str:
    return f"/documents/{document_token(kind, pk, check)}/"


def document_url(kind: str, pk: int, check: str | int) -> str:
    return f"{settings.FIELDOPS_PUBLIC_URL}{document_path(kind, pk, check)}"


@dataclass(frozen=True)
class TokenProblem:
    code: str  # "invalid" or "expired"


def read_document_token(token: str) -> tuple[str, int, str] | TokenProblem:
    """(kind, pk, check) that a valid, unexpired token names; never raises for bad input."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return TokenProblem("invalid")
    try:
        data = signing.loads(token, salt=DOCUMENT_SALT, max_age=settings.FIELDOPS_PDF_LINK_SECONDS)
    except signing.SignatureExpired:
        return TokenProblem("expired")
    except (signing.BadSignature, ValueError):
        return TokenProblem("invalid")
    if (not isinstance(data, dict) or data.get("k") not in DOCUMENTS or not isinstance(data.get("i"), int)
            or not isinstance(data.get("c"), str)):
        return TokenProblem("invalid")
    return data["k"], data["i"], data["c"]


def build_document(kind: str, pk: int, check: str) -> Document | None:
    """The document a token names, or None when it is gone or no longer matches."""
    builder = import_string(DOCUMENTS[kind])
    return builder(pk, check)
