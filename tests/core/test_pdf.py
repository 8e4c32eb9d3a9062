"""The PDF module: a template and a context give a PDF, which fetches nothing from outside."""

from __future__ import annotations

import io

import pypdf
import pytest

from core import pdf


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_a_template_and_context_give_a_pdf_with_the_text(tmp_path, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    (tmp_path / "t.html").write_text("<h1>Quote {{ number }}</h1><p>Total {{ total }}</p>")
    data = pdf.render_pdf("t.html", {"number": "Q-1042", "total": "110.00"})
    assert data.startswith(b"%PDF-")
    assert "Quote Q-1042" in text_of(data) and "Total 110.00" in text_of(data)


@pytest.mark.parametrize("src", ["http://127.0.0.1:9/x.png", "file:///etc/passwd", "/etc/hostname"])
def test_nothing_outside_the_document_is_fetched(tmp_path, settings, src):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    (tmp_path / "t.html").write_text('<img src="{{ src }}"><link rel="stylesheet" href="{{ src }}">'
                                     '<iframe src="{{ src }}"></iframe><p>Body</p>')
    fetched: list[str] = []
    real = pdf._fetch_data_only

    def spy(url, *args, **kwargs):
        fetched.append(url)
        return real(url, *args, **kwargs)

    pdf_fetch = pdf._fetch_data_only
    try:
        pdf._fetch_data_only = spy
        data = pdf.render_pdf("t.html", {"src": src})
    finally:
        pdf._fetch_data_only = pdf_fetch
    assert "Body" in text_of(data)
    assert fetched  # asked, and refused: the page renders without it
    with pytest.raises(ValueError):
        real(fetched[0])


def test_tokens_name_one_document_and_expire(settings):
    token = pdf.document_token("booking", 7, 1042)
    assert pdf.read_document_token(token) == ("booking", 7, "1042")
    assert pdf.read_document_token(token[:-2] + "xx") == pdf.TokenProblem("invalid")
    assert pdf.read_document_token("") == pdf.TokenProblem("invalid")
    assert pdf.read_document_token("a" * 1000) == pdf.TokenProblem("invalid")
    settings.FIELDOPS_PDF_LINK_SECONDS = -1
    assert pdf.read_document_token(token) == pdf.TokenProblem("expired")
