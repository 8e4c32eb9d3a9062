"""``/files/<token>/``: a stored file (or its thumbnail) behind a short-lived link made for one viewer.

The link names the file and the viewer (``core.files.links``); the file is served only while that
viewer still sees it (``core.files.selectors.visible_files``). Expired: 410; forged, garbled, deleted
or no longer the viewer's: 404, one plain sentence each. The bytes are streamed from the storage
with our content type (found by content at upload), ``nosniff``, a sandboxing policy, no caching
beyond the viewer's browser, and ``Content-Disposition``: images inline, PDFs as a download
(decision 0922).
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_http_methods

from core.files import links
from core.files.models import FileKind
from core.files.selectors import visible_files


def _plain(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def download(request, token: str):
    found = links.read_token(token)
    if isinstance(found, links.TokenProblem):
        if found.code == "expired":
            return _plain(410, "This link has expired. Open the file again from where you found it.")
        return _plain(404, "No such file.")
    file_id, variant, viewer = found
    stored = visible_files(links.actor_of(viewer)).filter(pk=file_id).first()
    if stored is None:
        return _plain(404, "No such file.")
    field = stored.thumbnail if variant == "thumbnail" else stored.file
    if not field:
        return _plain(404, "No such file.")
    try:
        handle = field.storage.open(field.name, "rb")
    except OSError:
        return _plain(404, "No such file.")
    is_thumbnail = variant == "thumbnail"
    inline = is_thumbnail or stored.kind in (FileKind.IMAGE, FileKind.SIGNATURE)
    filename = stored.name if not is_thumbnail else f"thumbnail-{stored.name.rsplit('.', 1)[0]}.jpg"
    response = FileResponse(handle, as_attachment=not inline, filename=filename,
                            content_type="image/jpeg" if is_thumbnail else stored.content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
