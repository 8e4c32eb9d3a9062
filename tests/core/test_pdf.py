"""The PDF module: a template and a context give a PDF, which fetches nothing from outside."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pypdf

from core import pdf
from tests.core.company.images import png


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def images_in(data: bytes) -> int:
    count = 0
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        count += len(page.images)
    return count


def test_a_template_and_context_give_a_pdf_with_the_text(tmp_path, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    (tmp_path / "t.html").write_text("<h1>Quote {{ number }}</h1><p>Total {{ total }}</p><img src='{{ logo }}'>")
    logo = "data:image/png;base64," + __import__("base64").b64encode(png()).decode()
    data = pdf.render_pdf("t.html", {"number": "Q-1042", "total": "110.00", "logo": logo})
    assert data.startswith(b"%PDF-")
    assert "Quote Q-1042" in text_of(data) and "Total 110.00" in text_of(data)
    assert images_in(data) == 1  # a data: URI is the one way in


def test_nothing_outside_the_document_is_fetched(tmp_path, settings):
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = png()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        image = tmp_path / "secret.png"
        image.write_bytes(png())
        http = f"http://127.0.0.1:{server.server_port}/x.png"
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
        (tmp_path / "t.html").write_text(
            '<link rel="stylesheet" href="{{ http }}"><img src="{{ http }}"><img src="file://{{ file }}">'
            '<img src="{{ file }}"><p style="background: url({{ http }})">Body</p>')
        data = pdf.render_pdf("t.html", {"http": http, "file": image})
    finally:
        server.shutdown()
    assert "Body" in text_of(data)
    assert hits == []
    assert images_in(data) == 0


def test_tokens_name_one_document_and_expire(settings):
    token = pdf.document_token("booking", 7, 1042)
    assert pdf.read_document_token(token) == ("booking", 7, "1042")
    assert pdf.read_document_token(token[:-2] + "xx") == pdf.TokenProblem("invalid")
    assert pdf.read_document_token("") == pdf.TokenProblem("invalid")
    assert pdf.read_document_token("a" * 1000) == pdf.TokenProblem("invalid")
    settings.FIELDOPS_PDF_LINK_SECONDS = -1
    assert pdf.read_document_token(token) == pdf.TokenProblem("expired")
